package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/views"
)

// handleTokens is the token viewer: the user's tokens decoded, claim by
// claim. A teaching page: a production app never shows tokens.
// requireLogin and keepTokensFresh have run, so the user is in the context.
func (app *App) handleTokens(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r)
	now := app.now()
	v := tokensView(u, now)
	v.Nav = app.navFor(u, true)
	// Post/Redirect/Get: POST /tokens left the old expiry for
	// this page, once.
	if before, ok := app.sessions.TakeRefresh(r.Context()); ok {
		v.Refreshed = &views.RefreshResult{Before: expiry(before, now), After: expiry(u.Tokens.AccessExpiry, now)}
	}
	app.render(w, r, http.StatusOK, views.Tokens(v))
}

// handleTokensRefresh is "Refresh now": it refreshes the tokens with the
// refresh token (RFC 6749 section 6) even though they have not expired, then
// redirects to the token viewer, which shows the old and the new expiry.
// Same-origin POSTs only (crossOriginProtection runs first).
func (app *App) handleTokensRefresh(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r)
	fresh, err := app.auth.ForceRefresh(r.Context(), u.Login)
	if errors.Is(err, auth.ErrNoRefreshToken) {
		app.fail(w, r, err, problem{
			title:     "There is no refresh token",
			message:   "Keycloak issued no refresh token at login, so there is nothing to refresh with. Log in again to get new tokens.",
			retryURL:  "/tokens",
			retryText: "Back to your tokens",
		})
		return
	}
	if err != nil {
		// Refused by the provider: its session has ended, so this one
		// ends too (401 page), exactly as when a page refreshes them.
		app.refreshFailed(w, r, u, err, "/tokens")
		return
	}
	app.sessions.UpdateLogin(r.Context(), u, fresh)
	app.sessions.RememberRefresh(r.Context(), u.Tokens.AccessExpiry)
	app.logger.Info("tokens refreshed on request", "sub", u.Claims.Subject, "request_id", requestIDFrom(r))
	http.Redirect(w, r, "/tokens?refreshed=1", http.StatusSeeOther)
}

// tokensView decodes the user's tokens for display.
func tokensView(u session.User, now time.Time) views.TokensView {
	t := u.Tokens
	return views.TokensView{
		CanRefresh:   t.RefreshToken != "",
		GrantedScope: t.Scope,
		Tokens: []views.TokenDetail{
			tokenDetail("id-token", "ID token", t.IDToken, t.IDExpiry, now,
				"Who you are, for this app: Keycloak's signed statement about your login. The app checked it at login (step 5 on /flow). It is sent back to Keycloak only as id_token_hint when you log out."),
			tokenDetail("access-token", "Access token", t.AccessToken, t.AccessExpiry, now,
				"For calling APIs on your behalf, in the header Authorization: Bearer …. It is meant for the APIs named in its aud claim, which verify it themselves, and the demo API reads your roles from it. "+
					"This page decodes it only to show it to you: the app decides nothing from it. A client MUST NOT inspect the content of the access token, "+
					"whose format is the API's and Keycloak's business and may change (RFC 9068 section 6); who you are and your roles, the app reads from the ID token and userinfo."),
			tokenDetail("refresh-token", "Refresh token", t.RefreshToken, time.Time{}, now,
				"For getting new tokens from Keycloak's token endpoint without asking you again. The app sends it only to Keycloak, never in a cookie or a URL. This page is the exception: it renders the token below, into the page your browser received, so you can see it. That is why an app that runs beyond a laptop turns this page off (TOKEN_PAGES=off)."),
		},
	}
}

// tokenDetail decodes one token. A token that is not a JWT is opaque:
// shown raw, with nothing to decode. exp (when known to the app) is the
// expiry it keeps; else the token's own exp claim is used.
func tokenDetail(key, title, raw string, exp, now time.Time, purpose string) views.TokenDetail {
	d := views.TokenDetail{Key: key, Title: title, Purpose: purpose, Present: raw != "", Raw: raw}
	if raw == "" {
		return d
	}
	jwt, err := display.DecodeJWT(raw)
	if err == nil {
		d.JWT = true
		d.Header = claimRows(jwt.Header, headerMeaning, now)
		d.Claims = claimRows(jwt.Payload, claimMeaning, now)
		if exp.IsZero() {
			exp = claimTime(jwt.Payload, "exp")
		}
	}
	if !exp.IsZero() {
		d.Expiry = expiry(exp, now)
	}
	return d
}

// claimRows lists the members of a JSON object in the token's own order
// (a map would lose it), each with its meaning.
func claimRows(object []byte, meanings map[string]string, now time.Time) []views.ClaimRow {
	dec := json.NewDecoder(bytes.NewReader(object))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var rows []views.ClaimRow
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return rows
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return rows
		}
		row := views.ClaimRow{Name: name, Value: display.JSONValue(value), Meaning: meanings[name]}
		if timeClaims[name] {
			if n, err := strconv.ParseInt(string(value), 10, 64); err == nil {
				row.When = whenText(name, time.Unix(n, 0), now)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// claimTime reads a NumericDate claim (seconds since 1970).
func claimTime(payload []byte, name string) time.Time {
	var claims map[string]json.RawMessage
	if json.Unmarshal(payload, &claims) != nil {
		return time.Time{}
	}
	secs, err := strconv.ParseInt(string(claims[name]), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(secs, 0)
}

// whenText shows a time claim as a date and relative to now, e.g.
// "2026-11-25 10:04:05 UTC, expires in 4 min".
func whenText(name string, t, now time.Time) string {
	e := expiry(t, now)
	if name == "exp" {
		if e.Expired {
			return e.At + ", expired " + e.Relative
		}
		return e.At + ", expires " + e.Relative
	}
	return e.At + ", " + e.Relative
}

var timeClaims = map[string]bool{"exp": true, "iat": true, "nbf": true, "auth_time": true}

// headerMeaning explains the JOSE header parameters (RFC 7515 4.1).
var headerMeaning = map[string]string{
	"alg": "Signing algorithm: RS256 is an RSA signature with SHA-256, which anyone can check with Keycloak's public key. HS256 and HS512 are HMACs with a shared secret key: " +
		"Keycloak signs its refresh tokens with a key of its own, while an ID token signed with HMAC is keyed with the client secret (OpenID Connect Core 1.0 section 10.1 and 3.1.3.7 step 8), so the app could have made it too.",
	"typ": "The token's media type: JWT.",
	"kid": "Key id: which of Keycloak's keys signed it (published in its JWKS for RSA keys).",
	"cty": "Content type of the payload.",
}

// claimMeaning explains the standard claims (RFC 7519 4.1, OpenID Connect
// Core 2 and 5.1) and the ones Keycloak adds.
var claimMeaning = map[string]string{
	"iss":                "Issuer: who made the token, the Keycloak realm's URL.",
	"sub":                "Subject: your stable, unique id at this issuer. Identify users by iss + sub, never by name or email.",
	"aud":                "Audience: who the token is for. A recipient must find itself here, or refuse the token.",
	"exp":                "Expiry: the token is not valid at or after this time.",
	"iat":                "Issued at: when the token was made.",
	"nbf":                "Not before: the token is not valid before this time.",
	"auth_time":          "When you actually authenticated (typed your password). With single sign-on it can be earlier than iat.",
	"nonce":              "The random value this app sent in the authorization request: the ID token must carry it back (OpenID Connect Core 1.0 3.1.3.7 step 11), so an ID token that came with a code from another login is refused (RFC 9700 4.5.3.2).",
	"azp":                "Authorized party: the client the token was issued to (OpenID Connect Core 1.0 section 2, which expects it only with extensions; Keycloak puts it in every token). This app refuses an ID token whose azp is another client: stricter than the spec asks (internal/auth/checks.go).",
	"sid":                "Session id: your session at Keycloak. Back-channel logout names it.",
	"session_state":      "Keycloak's older name for the session id.",
	"at_hash":            "Access token hash: the left-most half of the hash of the access token (SHA-256 for RS256), base64url. OPTIONAL in the code flow, and the client MAY check it (OpenID Connect Core 1.0 3.1.3.6 and 3.1.3.8); this app does when it is there.",
	"c_hash":             "Code hash: ties the authorization code to this ID token.",
	"typ":                "Keycloak's token type: ID, Bearer (access token) or Refresh.",
	"scope":              "Scopes granted, separated by spaces.",
	"realm_access":       "Keycloak, in the access token: your realm roles, for the APIs. The demo API's /api/admin needs admin here; this app's /admin reads the roles claim of the ID token instead, never the access token (RFC 9068 section 6).",
	"resource_access":    "Keycloak: your roles per client (client roles).",
	"roles":              "Your realm roles, mapped by the demo realm into the ID token, the userinfo response and the access token. The app reads them from the ID token and userinfo (internal/auth/claims.go).",
	"email_verified":     "Whether Keycloak has verified the email address.",
	"email":              "Your email address.",
	"preferred_username": "The name you like to be called by. Not unique or stable: use sub to identify a user.",
	"name":               "Your full name.",
	"given_name":         "Your first name.",
	"family_name":        "Your last name.",
	"jti":                "JWT id: a unique id of this token, which a receiver can use to refuse a replay (RFC 7519 section 4.1.7).",
	"acr":                "Authentication context class: how you authenticated (Keycloak: 1 = with a password now, 0 = by an existing session).",
	"amr":                "Authentication methods used, e.g. pwd, otp.",
	"allowed-origins":    "Keycloak: web origins allowed to use the token from a browser (CORS).",
	"client_id":          "The client the token was issued to.",
	"locale":             "Your preferred language.",
	"cnf":                "Confirmation: the token is DPoP-bound (RFC 9449) to the key whose thumbprint is jkt. Every use needs a fresh DPoP proof signed by that key, so the token alone is useless to a thief.",
}

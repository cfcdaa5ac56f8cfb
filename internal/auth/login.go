package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// AuthRequest is one login attempt: where to send the browser, and the values
// the app must keep (server-side) until the browser comes back.
type AuthRequest struct {
	URL string
	// State binds the callback to this browser session (RFC 6749 section
	// 10.12, login CSRF): the callback is accepted only with a state we issued.
	State string
	// Nonce binds the ID token to this login (OpenID Connect Core 3.1.2.1):
	// a token minted for another login carries another nonce.
	Nonce string
	// Verifier is the PKCE code_verifier (RFC 7636): only its S256 hash goes
	// to the browser, so a stolen code is useless without it.
	Verifier string
}

// StartLogin builds a fresh authorization request (RFC 6749 section 4.1.1).
func (c *Client) StartLogin() (AuthRequest, error) {
	d, err := c.current()
	if err != nil {
		return AuthRequest{}, err
	}
	req := AuthRequest{
		State:    randomValue(),
		Nonce:    randomValue(),
		Verifier: oauth2.GenerateVerifier(),
	}
	req.URL = d.oauth2.AuthCodeURL(req.State,
		oidc.Nonce(req.Nonce),
		oauth2.S256ChallengeOption(req.Verifier))
	return req, nil
}

// Login is the outcome of a completed login: verified identity, tokens and
// the userinfo response.
type Login struct {
	Claims   Claims
	Tokens   Tokens
	UserInfo []byte // the userinfo response as JSON, fetched once at login
}

// Claims are the parts of the ID token (and access token) the app shows.
type Claims struct {
	Subject           string
	SessionID         string // sid: the provider's session, used by back-channel logout
	Name              string
	PreferredUsername string
	Email             string
	EmailVerified     bool
	RealmRoles        []string
	ClientRoles       map[string][]string
}

// LoginError says why a login failed, in words that are safe to log: it
// never holds a token, a code or the client secret.
type LoginError struct {
	Status int    // the HTTP status to answer with
	Reason string // for the log line
}

func (e *LoginError) Error() string { return e.Reason }

func rejected(format string, args ...any) error {
	return &LoginError{Status: http.StatusBadRequest, Reason: fmt.Sprintf(format, args...)}
}

// CompleteLogin trades the authorization code for tokens and checks them.
// verifier and nonce are the values kept from StartLogin for this state.
// The trace records steps 3 to 6 of the login for the flow inspector (the
// caller adds steps 1 and 2, which it kept); it is empty when err is not nil.
func (c *Client) CompleteLogin(ctx context.Context, code, verifier, nonce string) (Login, LoginTrace, error) {
	var trace LoginTrace
	login, err := c.completeLogin(ctx, code, verifier, nonce, &trace)
	if err != nil {
		return Login{}, LoginTrace{}, err
	}
	return login, trace, nil
}

func (c *Client) completeLogin(ctx context.Context, code, verifier, nonce string, trace *LoginTrace) (Login, error) {
	d, err := c.current()
	if err != nil {
		return Login{}, &LoginError{Status: http.StatusServiceUnavailable, Reason: err.Error()}
	}
	ctx = c.withHTTPClient(ctx)

	// RFC 6749 4.1.3 + RFC 7636 4.5: the code, our client credentials and
	// the code_verifier go straight to the token endpoint (back channel).
	// x/oauth2 adds the client secret itself; the trace notes only how.
	trace.TokenRequest = TokenRequestTrace{
		Endpoint: d.oauth2.Endpoint.TokenURL, GrantType: "authorization_code", Code: code,
		RedirectURI: d.oauth2.RedirectURL, CodeVerifier: verifier,
		ClientID: d.oauth2.ClientID, ClientAuth: clientAuthMethod(d.oauth2.Endpoint.AuthStyle),
		SentAt: time.Now(),
	}
	token, err := d.oauth2.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Login{}, providerError("token exchange", err)
	}

	rawIDToken, ok := token.Extra("id_token").(string)
	trace.TokenResponse = TokenResponseTrace{
		TokenType: token.TokenType, ExpiresIn: extraString(token, "expires_in"),
		RefreshExpiresIn: extraString(token, "refresh_expires_in"), Scope: extraString(token, "scope"),
		AccessToken: token.AccessToken != "", IDToken: ok && rawIDToken != "", RefreshToken: token.RefreshToken != "",
		ReceivedAt: time.Now(),
	}
	if !ok || rawIDToken == "" {
		return Login{}, rejected("token response has no id_token (is the openid scope requested?)")
	}
	idToken, err := c.verifyIDToken(ctx, d, rawIDToken, &trace.IDToken)
	if err != nil {
		return Login{}, rejected("id token rejected: %v", err)
	}

	// OpenID Connect Core 3.1.3.7 step 11: the nonce must be the one we sent,
	// or this ID token was issued for another login (replay).
	if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(nonce)) != 1 {
		return Login{}, rejected("id token nonce does not match this login")
	}
	trace.IDToken.record("nonce", CheckPassed, idToken.Nonce, nonce+" (sent in the authorization request)")
	// OpenID Connect Core 3.1.3.6: at_hash, when present, ties the access
	// token to this ID token.
	if idToken.AccessTokenHash != "" {
		if err := idToken.VerifyAccessToken(token.AccessToken); err != nil {
			return Login{}, rejected("access token does not match at_hash")
		}
		trace.IDToken.record("at_hash", CheckPassed, idToken.AccessTokenHash,
			"the left half of the access token's hash (SHA-256 for RS256), base64url")
	} else {
		trace.IDToken.record("at_hash", CheckNotApplicable, "(absent)", "optional in the code flow; checked when present")
	}

	claims, err := readClaims(idToken, token.AccessToken)
	if err != nil {
		return Login{}, rejected("reading id token claims: %v", err)
	}

	userInfo, err := c.fetchUserInfo(ctx, d, token, claims.Subject, &trace.UserInfo)
	if err != nil {
		return Login{}, err
	}

	return Login{
		Claims: claims,
		Tokens: Tokens{
			AccessToken:  token.AccessToken,
			RefreshToken: token.RefreshToken,
			TokenType:    token.Type(),
			IDToken:      rawIDToken,
			AccessExpiry: token.Expiry,
			IDExpiry:     idToken.Expiry,
		},
		UserInfo: userInfo,
	}, nil
}

// verifyIDToken lets go-oidc check the signature (against the provider's
// JWKS, with only the algorithms it advertises, so never "none"), iss, aud
// and exp, then adds the checks go-oidc leaves to the app. Each check that
// passed is recorded in trace (nil: not recorded).
func (c *Client) verifyIDToken(ctx context.Context, d *discovered, raw string, trace *IDTokenTrace) (*oidc.IDToken, error) {
	trace.start(raw)
	idToken, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	trace.record("signature", CheckPassed, "alg "+trace.alg()+", kid "+trace.kid(),
		"a valid signature by a key of the provider's JWKS, with an algorithm the provider advertises (never none)")
	trace.record("iss", CheckPassed, idToken.Issuer, c.settings.Issuer+" (OIDC_ISSUER)")
	trace.record("aud", CheckPassed, strings.Join(idToken.Audience, ", "), "contains "+c.settings.ClientID+" (this client)")
	trace.record("exp", CheckPassed, traceTime(idToken.Expiry), "later than the time of the check, "+traceTime(time.Now()))
	if idToken.Subject == "" {
		return nil, errors.New("sub claim missing")
	}
	trace.record("sub", CheckPassed, idToken.Subject, "present: the user's id at the provider")
	if idToken.IssuedAt.IsZero() {
		return nil, errors.New("iat claim missing")
	}
	trace.record("iat", CheckPassed, traceTime(idToken.IssuedAt), "present: when the token was issued")
	// OpenID Connect Core 3.1.3.7 steps 4 and 5: with several audiences the
	// token must name us as the authorized party.
	var azp struct {
		AuthorizedParty string `json:"azp"`
	}
	if err := idToken.Claims(&azp); err != nil {
		return nil, err
	}
	if len(idToken.Audience) > 1 && azp.AuthorizedParty == "" {
		return nil, errors.New("several audiences but no azp claim")
	}
	if azp.AuthorizedParty != "" && azp.AuthorizedParty != c.settings.ClientID {
		return nil, fmt.Errorf("azp is %q, not this client", azp.AuthorizedParty)
	}
	if azp.AuthorizedParty != "" {
		trace.record("azp", CheckPassed, azp.AuthorizedParty, c.settings.ClientID+" (this client)")
	} else {
		trace.record("azp", CheckNotApplicable, "(absent)", "required only when aud names several parties")
	}
	return idToken, nil
}

// fetchUserInfo calls the userinfo endpoint once, at login, with the new
// access token. Its sub must be the ID token's sub (Core 5.3.2), or the
// response may be about someone else.
func (c *Client) fetchUserInfo(ctx context.Context, d *discovered, token *oauth2.Token, wantSubject string, trace *UserInfoTrace) ([]byte, error) {
	if d.provider.UserInfoEndpoint() == "" {
		return nil, nil
	}
	trace.Endpoint = d.provider.UserInfoEndpoint()
	info, err := d.provider.UserInfo(ctx, oauth2.StaticTokenSource(token))
	if err != nil {
		return nil, &LoginError{Status: http.StatusBadGateway, Reason: "userinfo request failed: " + err.Error()}
	}
	if info.Subject != wantSubject {
		return nil, rejected("userinfo sub does not match the id token's sub")
	}
	trace.Subject, trace.SubjectMatches = info.Subject, true
	var all map[string]any
	if err := info.Claims(&all); err != nil {
		return nil, rejected("userinfo response is not a JSON object")
	}
	return json.Marshal(all)
}

// readClaims collects what the app displays. Keycloak puts realm and client
// roles in the access token (realm_access, resource_access); the demo realm
// also maps realm roles into the ID token as "roles".
func readClaims(idToken *oidc.IDToken, accessToken string) (Claims, error) {
	var fromID struct {
		SessionID         string   `json:"sid"`
		Name              string   `json:"name"`
		PreferredUsername string   `json:"preferred_username"`
		Email             string   `json:"email"`
		EmailVerified     bool     `json:"email_verified"`
		Roles             []string `json:"roles"`
	}
	if err := idToken.Claims(&fromID); err != nil {
		return Claims{}, err
	}
	claims := Claims{
		Subject:           idToken.Subject,
		SessionID:         fromID.SessionID,
		Name:              fromID.Name,
		PreferredUsername: fromID.PreferredUsername,
		Email:             fromID.Email,
		EmailVerified:     fromID.EmailVerified,
		RealmRoles:        fromID.Roles,
	}

	// The access token came to us directly from the token endpoint, so its
	// content is trustworthy for display even though the app (not being its
	// audience) does not verify its signature. It may also be opaque.
	access, err := DecodeJWT(accessToken)
	if err == nil {
		var roles struct {
			RealmAccess struct {
				Roles []string `json:"roles"`
			} `json:"realm_access"`
			ResourceAccess map[string]struct {
				Roles []string `json:"roles"`
			} `json:"resource_access"`
		}
		if json.Unmarshal(access.Payload, &roles) == nil {
			if len(roles.RealmAccess.Roles) > 0 {
				claims.RealmRoles = roles.RealmAccess.Roles
			}
			for client, r := range roles.ResourceAccess {
				if claims.ClientRoles == nil {
					claims.ClientRoles = map[string][]string{}
				}
				claims.ClientRoles[client] = r.Roles
			}
		}
	}
	slices.Sort(claims.RealmRoles)
	return claims, nil
}

// providerError turns an exchange or refresh failure into a LoginError: a
// 4xx from the provider (invalid or replayed code, wrong verifier) is a bad
// request; anything else means the provider is unreachable or broken.
func providerError(step string, err error) error {
	var retrieve *oauth2.RetrieveError
	if errors.As(err, &retrieve) && retrieve.Response != nil && retrieve.Response.StatusCode < 500 {
		return &LoginError{Status: http.StatusBadRequest,
			Reason: fmt.Sprintf("%s rejected by the provider: %d %s", step, retrieve.Response.StatusCode, retrieve.ErrorCode)}
	}
	if errors.As(err, &retrieve) && retrieve.Response != nil {
		return &LoginError{Status: http.StatusBadGateway,
			Reason: fmt.Sprintf("%s failed at the provider: %d", step, retrieve.Response.StatusCode)}
	}
	return &LoginError{Status: http.StatusBadGateway, Reason: step + " failed: provider unreachable or timed out"}
}

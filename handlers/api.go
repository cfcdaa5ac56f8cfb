package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/apiclient"
	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/views"
)

// handleAPIPage shows the /api page: what the user's access token says and
// the buttons that call the demo API. requireLogin and keepTokensFresh have
// run, so the user is in the context with a fresh access token.
func (app *App) handleAPIPage(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r)
	app.render(w, r, http.StatusOK, views.API(app.apiView(u, nil)))
}

// handleAPICall calls the demo API once and shows the request and the answer
// on the /api page.
//
// It is a POST, refused cross-site by crossOriginProtection (routes.go), not
// a GET, although the API call only reads: it makes the app send the user's
// access token to another server, and may refresh the tokens first. A GET
// could be set off by any web page (<img src="…/api?call=admin">) or by a
// browser prefetching links, acting with the user's token without the user
// asking. A same-origin form POST only happens when they press the button.
func (app *App) handleAPICall(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r)
	if app.api == nil {
		app.failf(w, r, errUnavailable, problem{
			title: "No demo API configured", message: "This app has no demo API to call: set API_URL and restart it.",
			retryURL: "/api", retryText: "Back to the API page"}, "no demo API configured")
		return
	}

	var call views.APICall
	switch name := r.PostFormValue("call"); name {
	case "hello", "admin":
		// On the user's behalf: their own access token.
		ex, err := app.api.GetAs(r.Context(), "/api/"+name, u.Tokens.TokenType, u.Tokens.AccessToken)
		if err != nil {
			app.apiUnavailable(w, r, err)
			return
		}
		call = apiCallView(name, fmt.Sprintf("%s calls GET /api/%s", displayName(u), name), ex)
		app.logger.Info("api call", "call", name, "status", ex.Status, "sub", u.Claims.Subject,
			"request_id", requestIDFrom(r))

	case "app-hello":
		if !app.service.Enabled() {
			app.failf(w, r, errBadRequest, problem{
				title:    "Client credentials are not configured",
				message:  "Set OIDC_SERVICE_CLIENT_ID and OIDC_SERVICE_CLIENT_SECRET and restart the app to try this.",
				retryURL: "/api", retryText: "Back to the API page"}, "client credentials not configured")
			return
		}
		// As the app itself: a token from the client credentials grant,
		// reused until it expires. The user's tokens play no part.
		token, err := app.serviceTokens.Token(r.Context())
		if errors.Is(err, auth.ErrRejected) || errors.Is(err, auth.ErrProvider) {
			app.failf(w, r, errUpstream, problem{
				title:    "No token for the app itself",
				message:  "The identity provider did not give the app a client credentials token. Check OIDC_SERVICE_CLIENT_ID and OIDC_SERVICE_CLIENT_SECRET, and that the client has service accounts enabled.",
				retryURL: "/api", retryText: "Back to the API page"}, "client credentials grant failed: %v", err)
			return
		}
		if err != nil {
			app.fail(w, r, err, problem{})
			return
		}
		ex, err := app.api.Get(r.Context(), "/api/hello", token.AccessToken)
		if err != nil {
			app.apiUnavailable(w, r, err)
			return
		}
		call = apiCallView(name, app.service.ID+" (the app itself) calls GET /api/hello", ex)
		call.Service = &views.ServiceTokenFacts{
			ClientID:        app.service.ID,
			Claims:          tokenFacts(token.AccessToken, app.now()),
			HasIDToken:      token.HasIDToken,
			HasRefreshToken: token.HasRefreshToken,
		}
		app.logger.Info("api call", "call", name, "status", ex.Status, "client_id", app.service.ID,
			"request_id", requestIDFrom(r))

	case "write":
		// Incremental consent: a token without demo-api.write cannot
		// write, so the app does not send it; the page offers the login
		// that asks for the scope (stepup.go). The app knows what was
		// granted from the token response (auth.Tokens.Scope), never from
		// the access token itself (RFC 9068 section 6).
		if !u.Tokens.Granted(scopeWrite) {
			v := app.apiView(u, nil)
			v.WriteNotSent = true
			app.logger.Info("api call not sent: scope not granted", "call", name, "scope", scopeWrite,
				"sub", u.Claims.Subject, "request_id", requestIDFrom(r))
			app.render(w, r, http.StatusForbidden, views.API(v))
			return
		}
		text := strings.TrimSpace(r.PostFormValue("text"))
		if text == "" || len(text) > maxNoteBytes {
			app.failf(w, r, errBadRequest, problem{title: "No note to write",
				message:  fmt.Sprintf("Write a note of 1 to %d bytes.", maxNoteBytes),
				retryURL: "/api", retryText: "Back to the API page"}, "note of %d bytes", len(text))
			return
		}
		body, _ := json.Marshal(map[string]string{"text": text})
		ex, err := app.api.PostJSONAs(r.Context(), "/api/notes", u.Tokens.TokenType, u.Tokens.AccessToken, body)
		if err != nil {
			app.apiUnavailable(w, r, err)
			return
		}
		call = apiCallView(name, displayName(u)+" calls POST /api/notes", ex)
		app.logger.Info("api call", "call", name, "status", ex.Status, "sub", u.Claims.Subject,
			"request_id", requestIDFrom(r))

	default:
		app.failf(w, r, errBadRequest, problem{}, "unknown API call %q", display.Truncate(name, 32))
		return
	}
	app.render(w, r, http.StatusOK, views.API(app.apiView(u, &call)))
}

// apiUnavailable shows a 502 page when the API gave no answer (down,
// unreachable, too slow): the app keeps running and says so.
func (app *App) apiUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	app.failf(w, r, errUpstream, problem{
		logAs:     "demo API call failed",
		title:     "The demo API is not answering",
		message:   "The app could not get an answer from the demo API at " + app.api.BaseURL() + ". Is it running? (docker compose up, or scripts/demo.sh start)",
		retryURL:  "/api",
		retryText: "Back to the API page",
	}, "demo API call failed: %v", err)
}

func (app *App) apiView(u session.User, result *views.APICall) views.APIView {
	v := views.APIView{
		Nav:             app.navFor(u, true),
		AccessToken:     tokenFacts(u.Tokens.AccessToken, app.now()),
		GrantedScope:    u.Tokens.Scope,
		ServiceEnabled:  app.service.Enabled(),
		ServiceClientID: app.service.ID,
		Result:          result,
	}
	if !u.Tokens.Granted(scopeWrite) {
		v.WriteStepUp = stepUpFor(scopeWrite)
	}
	if app.api != nil {
		v.APIURL = app.api.BaseURL()
	}
	return v
}

func apiCallView(name, title string, ex apiclient.Exchange) views.APICall {
	return views.APICall{
		Name:            name,
		Title:           title,
		Method:          ex.Method,
		URL:             ex.URL,
		Authorization:   ex.Authorization,
		RequestBody:     ex.RequestBody,
		Status:          ex.Status,
		StatusText:      ex.StatusText,
		WWWAuthenticate: ex.WWWAuthenticate,
		ContentType:     ex.ContentType,
		Body:            ex.Body,
		Duration:        fmt.Sprintf("%d ms", ex.Duration.Milliseconds()),
		Explanation:     explainStatus(ex.Status, ex.InsufficientScope),
		StepUp:          stepUpForNamed(ex.InsufficientScope),
	}
}

// explainStatus says what the API's answer means (RFC 6750 section 3.1);
// missingScope is the scope a 403 named, if any.
func explainStatus(status int, missingScope string) string {
	switch {
	case status >= 200 && status < 300:
		return "The API verified the access token and answered. It knows who is calling from the token alone: no session, no cookie, no call to Keycloak for this request."
	case status == http.StatusUnauthorized:
		return "401: the API did not accept the token, or got none. WWW-Authenticate says so: with a token it names an error code such as error=\"invalid_token\" and a description; " +
			"with none it should carry no error code (RFC 6750 section 3.1)."
	case status == http.StatusForbidden && missingScope != "":
		return "403: the token is valid, but it lacks the scope " + display.Truncate(missingScope, 64) +
			": error=\"insufficient_scope\", and the challenge's scope attribute names what is needed (RFC 6750 section 3.1)."
	case status == http.StatusForbidden:
		return "403: the token is valid, but it does not carry what this endpoint needs: error=\"insufficient_scope\" (RFC 6750 section 3.1). " +
			"The API decided from the access token's realm_access.roles, where the realm role admin is missing."
	case status == http.StatusServiceUnavailable:
		return "503: the API has not reached Keycloak yet, so it cannot check tokens. Try again in a moment."
	default:
		return fmt.Sprintf("The API answered with status %d.", status)
	}
}

// tokenFacts decodes an access token's claims for display, and only for
// display: the app decides nothing from them (a client MUST NOT inspect the
// access token, RFC 9068 section 6). No signature check: the app shows what
// it sends, and the API does the checking.
func tokenFacts(raw string, now time.Time) views.TokenFacts {
	jwt, err := display.DecodeJWT(raw)
	if err != nil {
		return views.TokenFacts{Expires: expiry(time.Time{}, now)}
	}
	var c struct {
		Subject           string          `json:"sub"`
		PreferredUsername string          `json:"preferred_username"`
		AuthorizedParty   string          `json:"azp"`
		Audience          json.RawMessage `json:"aud"` // a string or a list
		Scope             string          `json:"scope"`
		Expiry            int64           `json:"exp"`
		RealmAccess       struct {
			Roles []string `json:"roles"`
		} `json:"realm_access"`
	}
	json.Unmarshal(jwt.Payload, &c)
	var aud []string
	if json.Unmarshal(c.Audience, &aud) != nil {
		var one string
		if json.Unmarshal(c.Audience, &one) == nil && one != "" {
			aud = []string{one}
		}
	}
	var exp time.Time
	if c.Expiry > 0 {
		exp = time.Unix(c.Expiry, 0)
	}
	return views.TokenFacts{
		Subject:           c.Subject,
		PreferredUsername: c.PreferredUsername,
		AuthorizedParty:   c.AuthorizedParty,
		Audience:          aud,
		Scope:             c.Scope,
		RealmRoles:        c.RealmAccess.Roles,
		Expires:           expiry(exp, now),
	}
}

package handlers

import (
	"context"
	"net/http"
	"strings"

	"github.com/authcode-demo/authcode-demo/internal/session"
)

// handleLogin starts the Authorization Code flow (RFC 6749 section 4.1.1):
// it remembers a fresh state, nonce and PKCE verifier in the server-side
// session and redirects the browser to the provider's login page.
func (app *App) handleLogin(w http.ResponseWriter, r *http.Request) {
	next := defaultNext
	if raw := r.URL.Query().Get("next"); raw != "" {
		if safe, ok := safeNext(raw); ok {
			next = safe
		} else {
			app.logger.Warn("ignored unsafe next parameter", "request_id", requestIDFrom(r))
		}
	}

	// A step-up asks for one more scope, from the allow-list only (stepup.go).
	extra, ok := app.stepUpScopes(r)
	if !ok {
		app.refuseStepUp(w, r)
		return
	}

	authURL, _, err := app.startLogin(r.Context(), next, extra...)
	if err != nil {
		// 503 while the provider has not been reached, 502 when it
		// refused the pushed request.
		app.fail(w, r, err, problem{
			title:     "The login could not start",
			message:   "The app could not hand its login request to the identity provider (Keycloak). If it is still starting, wait a moment and try again.",
			retryURL:  r.URL.RequestURI(),
			retryText: "Try again",
		})
		return
	}

	http.Redirect(w, r, authURL, http.StatusFound)
}

// startLogin starts a login in the current session and returns where to
// send the browser, and the login's state. With pushed authorization
// requests (RFC 9126) StartLogin calls the provider now. extraScopes (from
// the allow-list in stepup.go) are asked for beside OIDC_SCOPES.
func (app *App) startLogin(ctx context.Context, next string, extraScopes ...string) (authURL, state string, err error) {
	req, err := app.auth.StartLogin(ctx, extraScopes...)
	if err != nil {
		return "", "", err
	}
	// Keyed by state, so logins started in several tabs do not overwrite
	// each other. Only the state, the nonce and the challenge travel in the
	// redirect; the verifier stays here.
	app.sessions.AddPendingLogin(ctx, req.State, session.PendingLogin{
		Nonce:      req.Nonce,
		Verifier:   req.Verifier,
		Next:       next,
		ExtraScope: strings.Join(extraScopes, " "),
	})
	return req.URL, req.State, nil
}

package handlers

import (
	"net/http"

	"github.com/authcode-demo/authcode-demo/internal/inspector"
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

	// With pushed authorization requests (RFC 9126) StartLogin calls the
	// provider now; the flow inspector listens, and what it hears waits
	// with the pending login until the callback (flow.go).
	ctx, wire := inspector.Listen(r.Context())
	req, err := app.auth.StartLogin(ctx)
	if err != nil {
		app.startLoginFailed(w, r, err) // a 503 or 502 page (errors.go)
		return
	}

	// Keyed by state, so logins started in several tabs do not overwrite
	// each other. Only the state, the nonce and the challenge travel in the
	// redirect; the verifier stays here.
	app.sessions.AddPendingLogin(r.Context(), req.State, session.PendingLogin{
		Nonce:    req.Nonce,
		Verifier: req.Verifier,
		Next:     next,
		AuthURL:  req.URL, // step 1 of the login's trace (/flow)
		Pushed:   app.pushedRecord(wire),
	})
	http.Redirect(w, r, req.URL, http.StatusFound)
}

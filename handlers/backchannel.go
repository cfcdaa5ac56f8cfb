package handlers

import (
	"fmt"
	"io"
	"net/http"
)

// handleBackchannelLogout receives OpenID Connect Back-Channel Logout 1.0
// requests: the provider POSTs a signed logout_token when a user's session
// there ends (logout in another app, an admin, expiry), and the app ends
// every local session of that provider session. No browser is involved.
func (app *App) handleBackchannelLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	raw := r.PostFormValue("logout_token")
	if raw == "" {
		app.refuseLogoutToken(w, r, fmt.Errorf("%w: no logout_token", errBadRequest))
		return
	}

	// The provider hanging up must not stop a logout halfway: the rest
	// runs on a context that outlives the request (logout.go).
	ctx, cancel := app.outlivingTheRequest(r)
	defer cancel()

	token, err := app.auth.VerifyLogoutToken(ctx, raw)
	if err != nil {
		app.refuseLogoutToken(w, r, err) // 400, or 503 before discovery
		return
	}

	// Section 2.6 step 8 lets the RP refuse a logout token whose jti it has
	// recently received (optional); this app does: the jti is remembered
	// until the token expires, and a replay is refused.
	used, err := app.sessions.LogoutTokenUsed(ctx, token.TokenID)
	if err != nil {
		app.refuseLogoutToken(w, r, fmt.Errorf("%w: session store (replay check): %v", errUnavailable, err))
		return
	}
	if used {
		app.refuseLogoutToken(w, r, fmt.Errorf("%w: logout token replayed (jti seen before)", errBadRequest))
		return
	}

	ended, err := app.sessions.EndProviderSession(ctx, token.SessionID, token.Subject)
	if err != nil {
		// The jti is not marked yet, so the provider's retry is carried out.
		app.refuseLogoutToken(w, r, fmt.Errorf("%w: session store (ending sessions): %v", errUnavailable, err))
		return
	}
	// Only now is the token used up. (Two deliveries at the same moment may
	// both get here: ending the same sessions twice does no harm.)
	if err := app.sessions.MarkLogoutTokenUsed(ctx, token.TokenID, token.Expiry); err != nil {
		app.refuseLogoutToken(w, r, fmt.Errorf("%w: sessions ended, but recording the jti failed: %v", errUnavailable, err))
		return
	}
	app.logger.Info("back-channel logout", "sub", token.Subject, "sid", token.SessionID,
		"sessions_ended", ended, "request_id", requestIDFrom(r))
	w.WriteHeader(http.StatusOK)
}

// refuseLogoutToken answers the provider (a program, not a person) with
// the status of err's kind (errors.go) and the JSON error body of section
// 2.8.
func (app *App) refuseLogoutToken(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	app.logger.Warn("back-channel logout refused", "status", status, "reason", err.Error(), "request_id", requestIDFrom(r))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, `{"error":"invalid_request"}`)
}

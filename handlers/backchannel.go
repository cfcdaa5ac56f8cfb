package handlers

import (
	"errors"
	"io"
	"net/http"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// handleBackchannelLogout receives OpenID Connect Back-Channel Logout 1.0
// requests: the provider POSTs a signed logout_token when a user's session
// there ends (logout in another app, an admin, expiry), and the app ends
// every local session of that provider session. No browser is involved.
func (app *App) handleBackchannelLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	raw := r.PostFormValue("logout_token")
	if raw == "" {
		app.backchannelRefused(w, r, http.StatusBadRequest, "no logout_token")
		return
	}

	// The provider hanging up must not stop a logout halfway: the rest
	// runs on a context that outlives the request (logout.go).
	ctx, cancel := app.outlivingTheRequest(r)
	defer cancel()

	token, err := app.auth.VerifyLogoutToken(ctx, raw)
	if errors.Is(err, auth.ErrNotReady) {
		app.backchannelRefused(w, r, http.StatusServiceUnavailable, "provider not discovered yet")
		return
	}
	if err != nil {
		app.backchannelRefused(w, r, http.StatusBadRequest, "invalid logout token: "+err.Error())
		return
	}

	// Section 2.6: a logout token must be used once. Its jti is remembered
	// until it expires; a replay is refused.
	used, err := app.sessions.LogoutTokenUsed(ctx, token.TokenID)
	if err != nil {
		app.logger.Error("back-channel logout: replay check failed", "error", err.Error())
		app.backchannelRefused(w, r, http.StatusServiceUnavailable, "session store unavailable (replay check)")
		return
	}
	if used {
		app.backchannelRefused(w, r, http.StatusBadRequest, "logout token replayed (jti seen before)")
		return
	}

	ended, err := app.sessions.EndProviderSession(ctx, token.SessionID, token.Subject)
	if err != nil {
		// The jti is not marked yet, so the provider's retry is carried out.
		app.logger.Error("back-channel logout: ending sessions failed", "error", err.Error())
		app.backchannelRefused(w, r, http.StatusServiceUnavailable, "session store unavailable (ending sessions)")
		return
	}
	// Only now is the token used up. (Two deliveries at the same moment may
	// both get here: ending the same sessions twice does no harm.)
	if err := app.sessions.MarkLogoutTokenUsed(ctx, token.TokenID, token.Expiry); err != nil {
		app.logger.Error("back-channel logout: sessions ended, but recording the jti failed", "error", err.Error())
		app.backchannelRefused(w, r, http.StatusServiceUnavailable, "session store unavailable (recording the jti)")
		return
	}
	app.logger.Info("back-channel logout", "sub", token.Subject, "sid", token.SessionID,
		"sessions_ended", ended, "request_id", requestIDFrom(r))
	w.WriteHeader(http.StatusOK)
}

// backchannelRefused answers the provider (a program, not a person) with
// the JSON error body of section 2.8.
func (app *App) backchannelRefused(w http.ResponseWriter, r *http.Request, status int, reason string) {
	app.logger.Warn("back-channel logout refused", "reason", reason, "request_id", requestIDFrom(r))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, `{"error":"invalid_request"}`)
}

package handlers

import (
	"context"
	"net/http"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/views"
)

// handleLogoutConfirm shows a form. A GET never logs out: links, prefetching
// and images could otherwise log users out behind their back.
func (app *App) handleLogoutConfirm(w http.ResponseWriter, r *http.Request) {
	app.render(w, r, http.StatusOK, views.LogoutConfirm(views.LogoutView{Nav: app.nav(r)}))
}

// handleLogout ends the app's session, revokes the refresh token, then
// sends the browser to the provider's end_session_endpoint so the
// provider's session ends too (OpenID Connect RP-Initiated Logout 1.0).
// Without that, the next "Log in" would sign the user straight back in
// without a password. The steps are in internal/auth/logout.go.
func (app *App) handleLogout(w http.ResponseWriter, r *http.Request) {
	// A browser that closes the tab now must not stop the logout halfway
	// (net/http cancels r.Context() when the connection closes).
	ctx, cancel := app.outlivingTheRequest(r)
	defer cancel()

	u, loggedIn, err := app.sessions.CurrentUser(ctx)
	if err != nil { // the session store (Redis) failed: a 503 page
		app.sessionStoreError(w, r, err)
		return
	}
	// The session ends first: whatever happens next, this browser is
	// logged out here.
	if err := app.sessions.End(ctx); err != nil {
		app.fail(w, r, err, problem{})
		return
	}
	// Then the refresh token dies (RFC 7009), even if the browser never
	// reaches the provider. A failure must not keep the user logged in
	// here: it is logged, and the logout goes on.
	if loggedIn {
		if err := app.auth.RevokeRefreshToken(ctx, u.Tokens.RefreshToken); err != nil {
			app.logger.Warn("refresh token not revoked", "reason", err.Error(), "request_id", requestIDFrom(r))
		}
	}
	if !loggedIn {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	app.logger.Info("logout", "sub", u.Claims.Subject, "request_id", requestIDFrom(r))

	state := auth.NewLogoutState()
	endSession, ok := app.auth.EndSessionURL(u.Tokens.IDToken, state)
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	// The provider returns the state with the browser to "/", where the
	// home page confirms the logout if it matches.
	app.sessions.RememberLogoutState(ctx, state)
	http.Redirect(w, r, endSession, http.StatusSeeOther)
}

// outlivingTheRequest returns a context for work that must finish once
// begun, even when the caller hangs up: ending sessions and revoking tokens.
// It keeps the request's values (the session) but not its cancellation,
// and is bounded by the provider timeout instead.
func (app *App) outlivingTheRequest(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), app.providerTimeout)
}

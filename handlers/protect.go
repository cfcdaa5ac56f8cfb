package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/session"
)

type userKey struct{}

func userFrom(r *http.Request) (session.User, bool) {
	u, ok := r.Context().Value(userKey{}).(session.User)
	return u, ok
}

// requireLogin lets logged-in users through and sends everyone else to log
// in, with the page they wanted as next.
func (app *App) requireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok, err := app.sessions.CurrentUser(r.Context())
		if err != nil { // the session store (Redis) failed: a 503 page
			app.sessionStoreError(w, r, err)
			return
		}
		if !ok {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	})
}

// keepTokensFresh refreshes the access token when it has expired, before
// the page uses it; the claims and roles are read again from the new tokens.
// If the provider refuses the refresh token, the user's session there has
// ended, so the app's session ends too.
func (app *App) keepTokensFresh(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := userFrom(r)
		login, refreshed, err := app.auth.Fresh(r.Context(), u.Login)
		if err != nil {
			app.refreshFailed(w, r, u, err, r.URL.RequestURI())
			return
		}
		if refreshed {
			app.logger.Info("tokens refreshed", "sub", u.Claims.Subject, "request_id", requestIDFrom(r))
			u = app.sessions.UpdateLogin(r.Context(), u, login)
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, u))
		}
		next.ServeHTTP(w, r)
	})
}

// refreshFailed answers a failed token refresh (keepTokensFresh, and the
// token viewer's "Refresh now"). If the provider refused the refresh token,
// the user's session there has ended, so the app's session ends too and a
// 401 page says why; "Log in again" comes back to next.
func (app *App) refreshFailed(w http.ResponseWriter, r *http.Request, u session.User, err error, next string) {
	if errors.Is(err, auth.ErrRejected) {
		// The provider refused the refresh for another reason than an
		// ended session (invalid_client, say): it failed us, not the user.
		err = fmt.Errorf("%w: token refresh refused: %v", errUpstream, err)
	}
	if !errors.Is(err, auth.ErrSessionEnded) {
		app.fail(w, r, err, problem{}) // 502 or 503: the provider failed
		return
	}
	app.logger.Info("session ended at the provider", "sub", u.Claims.Subject,
		"reason", err.Error(), "request_id", requestIDFrom(r))
	if err := app.sessions.End(r.Context()); err != nil {
		app.fail(w, r, err, problem{})
		return
	}
	app.fail(w, r, err, problem{
		title:     "Your session has ended",
		message:   "Your session at the identity provider has ended (you logged out elsewhere, took back this app's access, or it expired), so you have been logged out here too. Please log in again.",
		retryURL:  "/login?next=" + url.QueryEscape(next),
		retryText: "Log in again",
	})
}

package handlers

import (
	"cmp"
	"net/http"

	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/views"
)

// nav says who is logged in, for the page header. On protected pages
// requireLogin has already checked the user (including the back-channel
// logout marks, a store round trip with Redis), so nav reuses that user
// while the session still holds one; a handler may have ended the session
// since (the "session has ended" page).
func (app *App) nav(r *http.Request) views.Nav {
	if !session.Loaded(r.Context()) {
		return app.navFor(session.User{}, false)
	}
	if u, ok := userFrom(r); ok && app.sessions.HasUser(r.Context()) {
		return app.navFor(u, true)
	}
	u, ok, err := app.sessions.CurrentUser(r.Context())
	return app.navFor(u, err == nil && ok)
}

// navFor is the header for u (loggedIn) or for nobody, with the links to
// the token pages only when they are served (TOKEN_PAGES).
func (app *App) navFor(u session.User, loggedIn bool) views.Nav {
	n := views.Nav{HideTokenPages: !app.tokenPages, ShowLab: app.lab != nil}
	if loggedIn {
		n.LoggedIn, n.Username = true, displayName(u)
	}
	return n
}

// displayName is how pages name the user: the username, else the name.
func displayName(u session.User) string {
	return cmp.Or(u.Claims.PreferredUsername, u.Claims.Name)
}

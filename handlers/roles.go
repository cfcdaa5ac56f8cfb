package handlers

import (
	"net/http"
	"slices"

	"github.com/authcode-demo/authcode-demo/views"
)

// requireRealmRole lets through users who have the realm role (the roles
// claim of the ID token or userinfo: internal/auth/claims.go; never the
// access token, which is the API's). Others get a 403 page
// that names the missing role. It runs after requireLogin (routes.go), which
// sends logged-out users to log in; without a user it refuses too.
//
// It is a check on the server: hiding a link is not a protection.
func (app *App) requireRealmRole(role string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, _ := userFrom(r)
			if !slices.Contains(u.Claims.RealmRoles, role) {
				app.logger.Info("access refused: missing realm role", "role", role, "sub", u.Claims.Subject,
					"path", r.URL.Path, "request_id", requestIDFrom(r))
				app.render(w, r, http.StatusForbidden, views.MissingRole(views.MissingRoleView{
					Nav:        app.navFor(u, true),
					Role:       role,
					RealmRoles: u.Claims.RealmRoles,
				}))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// handleAdmin is the page only realm role "admin" reaches (see routes.go).
func (app *App) handleAdmin(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r)
	app.render(w, r, http.StatusOK, views.Admin(views.AdminView{
		Nav:        app.navFor(u, true),
		Role:       "admin",
		RealmRoles: u.Claims.RealmRoles,
	}))
}

package handlers

import (
	"net/http"
	"slices"

	"github.com/authcode-demo/authcode-demo/views"
)

// requireRealmRole lets through users who have the realm role (Keycloak's
// realm_access.roles, read from the session, where the login stored the
// user's roles). Logged-in users without it get a 403 page that names the
// missing role; logged-out users are sent to log in (requireLogin runs
// first when the route does not already have it).
//
// It is a check on the server: hiding a link is not a protection.
func (app *App) requireRealmRole(role string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		var check http.Handler
		check = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, ok := userFrom(r)
			if !ok {
				app.requireLogin(check).ServeHTTP(w, r)
				return
			}
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
		return check
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

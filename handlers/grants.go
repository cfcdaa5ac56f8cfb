package handlers

import (
	"net/http"

	"github.com/authcode-demo/authcode-demo/views"
)

// handleGrants explains why this app uses the authorization code flow with
// PKCE and not the implicit or the password grant. A public page.
func (app *App) handleGrants(w http.ResponseWriter, r *http.Request) {
	app.render(w, r, http.StatusOK, views.Grants(views.GrantsView{Nav: app.nav(r)}))
}

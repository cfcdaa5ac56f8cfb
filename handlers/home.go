package handlers

import (
	"net/http"

	"github.com/authcode-demo/authcode-demo/views"
)

// handleHome shows the public home page. After logout the provider sends the
// browser back here with the state the app sent; if it matches, the page
// confirms the logout.
func (app *App) handleHome(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		app.fail(w, r, errNotFound, problem{})
		return
	}
	app.render(w, r, http.StatusOK, views.Home(views.HomeView{
		Nav:           app.nav(r),
		JustLoggedOut: app.sessions.TakeLogoutState(r.Context(), r.URL.Query().Get("state")),
	}))
}

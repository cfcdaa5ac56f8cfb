package handlers

// The attack lab (GET /lab, routes.go): one card per classic attack on a
// login, fired at the seed app (cmd/seed, DELIBERATELY INSECURE) and at
// this app (lab_cards.go). It sits beside the protocol path: to start a
// login it calls startLogin, exactly what GET /login does; to check an ID
// token, auth.Client.CheckIDToken, exactly what a login checks; everything
// else it leaves to the app's own routes, to which it sends the learner's
// browser. The attacker's side is played by internal/lab. The lab is
// served only with the token pages on and BASE_URL on this machine
// (internal/app); otherwise /lab is 404.

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/authcode-demo/authcode-demo/internal/lab"
	"github.com/authcode-demo/authcode-demo/views"
)

// handleLab is the lab's page.
func (app *App) handleLab(w http.ResponseWriter, r *http.Request) {
	nav := app.nav(r)
	place := app.labPlace(nav.LoggedIn)
	app.render(w, r, http.StatusOK, views.Lab(views.LabView{
		Nav:       nav,
		LoggedIn:  nav.LoggedIn,
		AppURL:    place.App,
		SeedURL:   place.Seed,
		OtherSite: place.OtherSite,
		Cards:     labCards(place),
	}))
}

// labPlace is where the lab runs, for its cards.
func (app *App) labPlace(loggedIn bool) labPlace {
	s := app.lab.Settings()
	h := app.auth.Hardening()
	return labPlace{
		App:            origin(s.AppURL),
		Seed:           s.SeedURL,
		OtherSite:      origin(lab.OtherSite(s.AppURL)),
		Issuer:         s.Issuer,
		AttackerIssuer: s.AttackerIssuer,
		APIURL:         s.APIURL,
		DPoP:           h.DPoP,
		DPoPLabURL:     s.DPoPLabURL,
		LoggedIn:       loggedIn,
	}
}

// origin is scheme://host[:port] of u.
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// labPolicy is the lab's Content-Security-Policy: the app's own, with the
// seed app added to form-action, for the lab's forms end in a redirect to
// the seed's callback, and browsers hold a form's redirects to
// form-action too.
func (app *App) labPolicy(next http.Handler) http.Handler {
	seed, err := url.Parse(app.lab.Settings().SeedURL)
	seedOrigin := ""
	if err == nil {
		seedOrigin = " " + origin(seed)
	}
	csp := "default-src 'none'; style-src 'self'; img-src 'self'; " +
		"form-action 'self' " + app.providerOrigin + seedOrigin + "; " +
		"frame-ancestors 'none'; base-uri 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		next.ServeHTTP(w, r)
	})
}

// handleLabEvil serves the attacker's pages (GET /lab/evil/{page}) at
// the app's other address, which the browser counts as another site. Asked
// for at the app's own address, it sends the browser there: from the app's
// own site, the page would attack nothing.
func (app *App) handleLabEvil(w http.ResponseWriter, r *http.Request) {
	page := chi.URLParam(r, "page")
	if page != "logout" && page != "landed" {
		app.fail(w, r, errNotFound, problem{})
		return
	}
	s := app.lab.Settings()
	other := lab.OtherSite(s.AppURL)
	if r.Host != other.Host {
		http.Redirect(w, r, origin(other)+"/lab/evil/"+page, http.StatusSeeOther)
		return
	}
	// Its one form posts to this app's /logout, at the app's own address.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action "+origin(s.AppURL)+"; frame-ancestors 'none'; base-uri 'none'")
	app.render(w, r, http.StatusOK, views.LabEvil(views.LabEvilView{
		Page:          page,
		Origin:        origin(other),
		AppLogoutURL:  origin(s.AppURL) + "/logout",
		SeedLogoutURL: s.SeedURL + "/logout",
		LabURL:        origin(s.AppURL) + "/lab#attack-" + map[string]string{"logout": "logout-csrf", "landed": "open-redirect"}[page],
	}))
}

package handlers

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/authcode-demo/authcode-demo/internal/httpserver"
)

// Routes lists every route of the app and the middleware each one goes
// through. Reading this file top to bottom shows the whole HTTP surface.
func (app *App) Routes() http.Handler {
	r := chi.NewRouter()

	// Every request: an id, a log line, panic recovery, security headers.
	r.Use(app.requestID, httpserver.LogRequests(app.logger, requestIDFrom), app.recoverPanics, app.securityHeaders)

	r.NotFound(app.handleNotFound)
	r.MethodNotAllowed(app.handleMethodNotAllowed)

	// Probes and assets need no session.
	r.Get("/healthz", app.handleHealthz)
	r.Get("/readyz", app.handleReadyz)
	r.Handle("/static/*", app.staticFiles())

	// Called by the identity provider itself (server to server), not by a
	// browser: no browser session, no cross-origin check.
	r.Post("/backchannel-logout", app.handleBackchannelLogout)
	// The public key of private_key_jwt, fetched by the provider (404
	// when the app authenticates with a secret).
	r.Get("/.well-known/jwks.json", app.handleJWKS)

	// Pages: the browser session is loaded before and saved after.
	r.Group(func(r chi.Router) {
		r.Use(app.sessions.LoadAndSave(app.sessionStoreError))

		r.Get("/", app.handleHome)
		// The login itself. With the token pages on, the flow inspector's
		// recorder wraps both steps (internal/inspector); the handlers do
		// not know it is there.
		login, callback := http.Handler(http.HandlerFunc(app.handleLogin)), http.Handler(http.HandlerFunc(app.handleCallback))
		if app.flow != nil {
			login, callback = app.flow.Login(login), app.flow.Callback(callback)
		}
		r.With(app.limitLogins).Method(http.MethodGet, "/login", login) // per client and minute (loginlimit.go)
		r.Method(http.MethodGet, "/callback", callback)
		r.Get("/logout", app.handleLogoutConfirm)
		r.Get("/grants", app.handleGrants)
		r.Get("/ladder", app.handleLadder) // the security ladder: three ways to do this login
		// CrossOriginProtection refuses cross-site POSTs (CSRF), using
		// the browser's Sec-Fetch-Site and Origin headers.
		r.With(app.crossOriginProtection).Post("/logout", app.handleLogout)
		// Calls the demo API with the user's access token: same-origin
		// POSTs only, refused before anything else runs (handlers/api.go).
		r.With(app.crossOriginProtection, app.requireLogin, app.keepTokensFresh).Post("/api", app.handleAPICall)
		// "Refresh now" on the token viewer: same-origin POSTs only; it
		// refreshes the tokens itself, so no keepTokensFresh. (Same path
		// as the page: a logged-out POST comes back to GET /tokens.)
		if app.tokenPages {
			r.With(app.crossOriginProtection, app.requireLogin).Post("/tokens", app.handleTokensRefresh)
			app.slowRoutes(r)
		}

		// The attack lab (lab.go): real attacks on the seed app and on
		// this app, beside the routes above, which refuse them. Only with
		// the token pages on and BASE_URL on this machine (app.lab set).
		if app.lab != nil {
			r.Route("/lab", func(r chi.Router) {
				r.Use(app.labPolicy)
				r.Get("/", app.handleLab)
				r.Get("/evil/{page}", app.handleLabEvil) // the attacker's pages, at the other site
				r.With(app.crossOriginProtection).Post("/login-csrf", app.handleLabLoginCSRF)
				r.With(app.crossOriginProtection).Post("/code-injection", app.handleLabCodeInjection)
				r.With(app.crossOriginProtection).Post("/mix-up", app.handleLabMixUp)
				r.With(app.crossOriginProtection).Post("/stolen-token/seed", app.handleLabStolenSeedToken)
				r.With(app.crossOriginProtection, app.requireLogin, app.keepTokensFresh).Post("/stolen-token/app", app.handleLabStolenAppToken)
				r.With(app.requireLogin, app.keepTokensFresh).Get("/tamper", app.handleLabTamperForm)
				r.With(app.crossOriginProtection, app.requireLogin, app.keepTokensFresh).Post("/tamper", app.handleLabTamper)
			})
		}

		// Protected pages: logged-in users only, with fresh tokens.
		r.Group(func(r chi.Router) {
			r.Use(app.requireLogin, app.keepTokensFresh)
			r.Get("/profile", app.handleProfile)
			r.Get("/api", app.handleAPIPage)
			// Teaching pages that render raw tokens: TOKEN_PAGES=off
			// (anything beyond a laptop) leaves them out, so they are 404.
			if app.tokenPages {
				r.Get("/flow", app.handleFlow)     // the user's own login, step by step
				r.Get("/tokens", app.handleTokens) // the user's tokens, decoded
			}
			// Realm role "admin" only; others get a 403 naming the role.
			r.With(app.requireRealmRole("admin")).Get("/admin", app.handleAdmin)
		})
	})
	return r
}

// slowRoutes serve the login in slow motion (slow.go), beside the login:
// its own pages and its own redirect_uri. Anyone may watch a login, so no
// login is required; every Continue is a same-origin POST only. Starting
// one, and sending its authorization request (pushed, with PAR), count as
// starting a login (LOGIN_RATE_LIMIT); the later hops happen once per run.
func (app *App) slowRoutes(r chi.Router) {
	r.Get("/slow", app.handleSlow)
	r.Get(slowCallbackPath, app.handleSlowCallback) // Keycloak sends the browser here
	r.Group(func(r chi.Router) {
		r.Use(app.crossOriginProtection)
		r.With(app.limitLogins).Post("/slow/start", app.handleSlowStart)
		r.With(app.limitLogins).Post("/slow/authorize", app.handleSlowAuthorize) // hop 1's Continue
		r.Post(slowCallbackPath, app.handleSlowAcceptCallback)                   // hop 2's Continue
		r.Post("/slow/token", app.handleSlowToken)                               // hop 3's Continue
		r.Post("/slow/id-token", app.handleSlowCheckIDToken)                     // hop 4's Continue
		r.Post("/slow/userinfo", app.handleSlowUserInfo)                         // hop 5's Continue
	})
}

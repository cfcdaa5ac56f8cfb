// Package handlers is the app's HTTP layer: routes, middleware and one file
// per feature. Handlers hold no protocol logic of their own: they call
// internal/auth for OpenID Connect and internal/session for sessions, and
// render views.
package handlers

import (
	"cmp"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/apiclient"
	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/internal/lab"
	"github.com/authcode-demo/authcode-demo/internal/ratelimit"
	"github.com/authcode-demo/authcode-demo/internal/session"
)

// App holds the dependencies of every handler. There are no globals: main
// builds one App and tests build their own.
type App struct {
	logger   *slog.Logger
	auth     *auth.Client
	sessions *session.Manager
	// providerOrigin is where the browser goes to log in and out; the
	// Content-Security-Policy must allow our forms to redirect there.
	providerOrigin string
	https          bool // BASE_URL is https: HSTS (middleware.go)
	tokenPages     bool // TOKEN_PAGES: serve /tokens and /flow (routes.go)
	// flow records each login for /flow, beside /login and /callback;
	// nil when the token pages are off.
	flow          *inspector.Recorder
	now           func() time.Time
	shuttingDown  atomic.Bool
	api           *apiclient.Client   // the demo API the /api page calls; nil = none
	service       auth.ServiceClient  // client credentials; zero = off
	serviceTokens *auth.ServiceTokens // its tokens, each reused until it expires

	// providerTimeout bounds a logout's work once it no longer depends on
	// the request (logout.go): OIDC_HTTP_TIMEOUT.
	providerTimeout time.Duration
	// loginLimit counts GET /login per client (loginlimit.go); nil = no limit.
	loginLimit *ratelimit.PerClient
	// lab plays the attacker in the attack lab (lab.go); nil = no lab.
	lab *lab.Lab
}

// Deps are what New needs.
type Deps struct {
	Logger   *slog.Logger
	Auth     *auth.Client
	Sessions *session.Manager
	Issuer   string // OIDC_ISSUER: its origin is where the browser logs in
	HTTPS    bool   // BASE_URL is https: browsers are told to stay on https (HSTS)
	// TokenPages serves the token viewer (/tokens) and the flow inspector
	// (/flow), which render the user's raw tokens into the page (TOKEN_PAGES).
	TokenPages bool
	// Flow is the flow inspector's recorder (nil with TokenPages off).
	Flow *inspector.Recorder
	// ProviderTimeout is OIDC_HTTP_TIMEOUT, the timeout of every provider
	// call; it also bounds a logout that goes on after the browser has
	// left (logout.go). 0 = 10 s, the variable's default.
	ProviderTimeout time.Duration
	// LoginsPerMinute is LOGIN_RATE_LIMIT: how many logins one client
	// may start a minute (loginlimit.go); 0 = no limit.
	LoginsPerMinute int

	// The /api page: the demo API (API_URL; nil = the page says there is
	// none) and the client credentials client (optional; zero = off).
	API     *apiclient.Client
	Service auth.ServiceClient

	// Lab is the attack lab's attacker (/lab, lab.go); nil = no lab. The
	// app serves it only with the token pages on and BASE_URL on this
	// machine (internal/app).
	Lab *lab.Lab
}

// New returns the App. Call Routes to get its http.Handler.
func New(deps Deps) *App {
	origin := ""
	if u, err := url.Parse(deps.Issuer); err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	app := &App{
		logger:         deps.Logger,
		auth:           deps.Auth,
		sessions:       deps.Sessions,
		providerOrigin: origin,
		https:          deps.HTTPS,
		tokenPages:     deps.TokenPages,
		flow:           deps.Flow,
		now:            time.Now,
		api:            deps.API,
		service:        deps.Service,
		serviceTokens:  deps.Auth.ServiceTokens(deps.Service),

		providerTimeout: cmp.Or(deps.ProviderTimeout, 10*time.Second),
		lab:             deps.Lab,
	}
	if deps.LoginsPerMinute > 0 {
		app.loginLimit = ratelimit.New(deps.LoginsPerMinute, maxLoginClients)
	}
	return app
}

// ShutDown makes /readyz answer 503, so a load balancer stops sending new
// requests while in-flight ones finish.
func (app *App) ShutDown() { app.shuttingDown.Store(true) }

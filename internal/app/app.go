// Package app builds the web app from its configuration: the OpenID Connect
// client, the sessions, the flow inspector (when the token pages are on) and
// the handlers. It is the one place the app is wired: the program
// (main.go), the handler tests and the load tool (cmd/loadrun) all call New.
package app

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/authcode-demo/authcode-demo/handlers"
	"github.com/authcode-demo/authcode-demo/internal/apiclient"
	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/config"
	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/internal/lab"
	"github.com/authcode-demo/authcode-demo/internal/session"
)

// Options are what a caller may give instead of what the configuration
// says. main.go gives only the logger; tests give the rest.
type Options struct {
	Logger *slog.Logger
	// Stores holds the sessions (nil: the ones SESSION_STORE names).
	// Replicas in a test share one.
	Stores *session.Stores
	// ClientKey and DPoPKey are the app's own keys (nil: read from the
	// key files, or new for this run: internal/auth/clientkey.go).
	ClientKey, DPoPKey *auth.SigningKey
	// ProviderTransport carries the calls to the provider (nil:
	// http.DefaultTransport).
	ProviderTransport http.RoundTripper
	// Now is the clock of sessions and key fetches (nil: time.Now).
	Now func() time.Time
	// Lab adjusts the attack lab's settings (nil: lab.DefaultSettings as
	// they are); whether the lab is served, New decides.
	Lab func(*lab.Settings)
}

// App is the wired app.
type App struct {
	Handler http.Handler // every route (handlers/routes.go)
	Auth    *auth.Client // call Discover or DiscoverInBackground
	Stores  *session.Stores
	web     *handlers.App
}

// New wires the app described by cfg.
func New(cfg config.Config, opts Options) (*App, error) {
	logger := opts.Logger
	clientKey, dpopKey, err := loadKeys(cfg, opts, logger)
	if err != nil {
		return nil, err
	}

	// Every call to the provider goes through one client with a timeout.
	// With the token pages on, its transport lets the flow inspector hear
	// the back-channel calls of a login; it changes nothing they send.
	transport := cmp.Or[http.RoundTripper](opts.ProviderTransport, providerTransport())
	if cfg.TokenPages {
		transport = &inspector.Transport{Base: transport}
	}
	oidc := auth.New(auth.Settings{
		Issuer:        cfg.Issuer,
		DiscoveryURL:  cfg.DiscoveryURL,
		ClientID:      cfg.ClientID,
		ClientSecret:  cfg.ClientSecret,
		Scopes:        cfg.Scopes,
		RedirectURL:   cfg.RedirectURL(),
		PostLogoutURL: cfg.PostLogoutURL(),
		PAR:           cfg.PAR,
		ClientKey:     clientKey,
		DPoPKey:       dpopKey,
		Now:           opts.Now,
	}, &http.Client{Timeout: cfg.ProviderTimeout, Transport: transport}, logger)

	// Sessions live in this process's memory (one replica) or in Redis
	// (SESSION_STORE=redis://...: any number of replicas, and a restart
	// logs nobody out).
	stores := opts.Stores
	if stores == nil {
		stores = session.NewStores(cfg.SessionStore)
	}
	// The flow inspector (TOKEN_PAGES) keeps its records beside the
	// sessions (stores.Attachments); the session store is wrapped so that
	// a session's record goes when the session is deleted.
	sessionStore := stores.Store
	if cfg.TokenPages {
		sessionStore = inspector.ForgetRecords(stores.Attachments, sessionStore)
	}
	sessions := session.New(session.Options{
		IdleTimeout: cfg.SessionIdle,
		Lifetime:    cfg.SessionLifetime,
		Secure:      cfg.SecureCookies(),
		CookieName:  cfg.SessionCookieName,
		Store:       sessionStore,
		Index:       stores.Index,
		Marks:       stores.Marks,
		Now:         opts.Now,
	})
	// And a recorder around /login and /callback (handlers/routes.go).
	var recorder *inspector.Recorder
	if cfg.TokenPages {
		recorder = inspector.NewRecorder(stores.Attachments, sessions, cfg.SessionLifetime, logger, opts.Now)
	}

	deps := handlers.Deps{
		Logger:     logger,
		Auth:       oidc,
		Sessions:   sessions,
		Issuer:     cfg.Issuer,
		HTTPS:      cfg.SecureCookies(),
		TokenPages: cfg.TokenPages,
		Flow:       recorder,
		Service:    auth.ServiceClient{ID: cfg.ServiceClientID, Secret: cfg.ServiceClientSecret},

		// Also bounds a logout that goes on after the browser has left.
		ProviderTimeout: cfg.ProviderTimeout,
		// At most this many logins per client address and minute.
		LoginsPerMinute: cfg.LoginRateLimit,
	}
	if cfg.APIURL != nil {
		// The demo API (cmd/demo-api) the /api page calls. With DPoP, a
		// bound token goes out as "Authorization: DPoP ..." with a fresh
		// proof (RFC 9449 section 7.1).
		apiHTTP := &http.Client{Timeout: cfg.APITimeout}
		if dpopKey != nil {
			apiHTTP.Transport = &auth.DPoPTransport{Base: http.DefaultTransport, Key: dpopKey}
		}
		deps.API = apiclient.New(cfg.APIURL, apiHTTP)
	}
	// The attack lab (/lab): only with the token pages on, and only while
	// BASE_URL is this machine, for it fires real attacks at this app and
	// at the seed app (handlers/lab.go, internal/lab).
	if cfg.TokenPages && lab.IsLoopbackHost(cfg.BaseURL.Hostname()) {
		settings := lab.DefaultSettings(cfg.BaseURL, cfg.Issuer, "")
		if cfg.APIURL != nil {
			settings.APIURL = cfg.APIURL.String()
		}
		if opts.Lab != nil {
			opts.Lab(&settings)
		}
		deps.Lab = lab.New(settings)
	}
	web := handlers.New(deps)
	return &App{Handler: web.Routes(), Auth: oidc, Stores: stores, web: web}, nil
}

// ShutDown makes /readyz answer 503, so a load balancer stops sending new
// requests while in-flight ones finish.
func (a *App) ShutDown() { a.web.ShutDown() }

// providerTransport carries the calls to the provider. The app talks to one
// host all the time; Go's default transport keeps only 2 idle connections
// per host, so under load most calls would open a new connection, and pay
// for it in CPU (BENCHMARKS.md, "Login CPU").
func providerTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

// loadKeys returns the app's own keys, nil for the options that are off.
func loadKeys(cfg config.Config, opts Options, logger *slog.Logger) (clientKey, dpopKey *auth.SigningKey, err error) {
	clientKey = opts.ClientKey
	if clientKey == nil {
		if clientKey, err = loadKey(cfg.ClientAuth == config.PrivateKeyJWT, cfg.ClientKeyFile, "client key (private_key_jwt)", logger); err != nil {
			return nil, nil, fmt.Errorf("OIDC_CLIENT_KEY_FILE: %w", err)
		}
	}
	dpopKey = opts.DPoPKey
	if dpopKey == nil {
		if dpopKey, err = loadKey(cfg.DPoP, cfg.DPoPKeyFile, "DPoP key", logger); err != nil {
			return nil, nil, fmt.Errorf("OIDC_DPOP_KEY_FILE: %w", err)
		}
	}
	// Two paths to one file (a link, a copy) make one key for both jobs
	// (internal/config refuses the same path already).
	if clientKey != nil && dpopKey != nil && clientKey.KeyID() == dpopKey.KeyID() {
		return nil, nil, errors.New("OIDC_CLIENT_KEY_FILE and OIDC_DPOP_KEY_FILE hold the same key: the DPoP key and the client key must be two keys")
	}
	return clientKey, dpopKey, nil
}

// loadKey returns one of the app's own keys (nil when the option is off):
// read from file, created there on the first start, or, without a file, a
// new one for this run (docs/fapi.md).
func loadKey(on bool, file, what string, logger *slog.Logger) (*auth.SigningKey, error) {
	if !on {
		return nil, nil
	}
	if file == "" {
		key, err := auth.GenerateSigningKey()
		if err == nil {
			logger.Info(what+" generated for this run (no key file)", "kid", key.KeyID())
		}
		return key, err
	}
	key, created, err := auth.LoadOrCreateSigningKey(file)
	if err != nil {
		return nil, err
	}
	logger.Info(what, "file", file, "created", created, "kid", key.KeyID(), "alg", key.Algorithm())
	return key, nil
}

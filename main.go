// Command authcode-demo is a server-rendered web app that logs people in
// with the OAuth 2.0 Authorization Code flow (with PKCE) and OpenID Connect.
// See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/authcode-demo/authcode-demo/handlers"
	"github.com/authcode-demo/authcode-demo/internal/apiclient"
	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/config"
	"github.com/authcode-demo/authcode-demo/internal/httpserver"
	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/internal/session"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run wires the app together and serves until ctx is cancelled (SIGINT or
// SIGTERM), then shuts down gracefully. Everything it needs comes in as a
// parameter, so tests can run the whole app in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet(args[0], flag.ContinueOnError)
	flags.SetOutput(stderr)
	envFile := flags.String("env-file", ".env", "optional file of KEY=VALUE lines; environment variables win")
	if err := flags.Parse(args[1:]); err != nil {
		return err
	}

	dotenv, err := config.ReadDotEnv(*envFile)
	if err != nil {
		return fmt.Errorf("reading %s: %w", *envFile, err)
	}
	cfg, err := config.Load(getenv, dotenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))

	// Every call to the provider goes through one client with a timeout.
	// Its transport lets the flow inspector (/flow) hear the back-channel
	// calls of a login (internal/inspector); it changes nothing they send.
	providerHTTP := &http.Client{Timeout: cfg.ProviderTimeout, Transport: &inspector.Transport{}}
	clientKey, err := loadKey(cfg.ClientAuth == config.PrivateKeyJWT, cfg.ClientKeyFile, "client key (private_key_jwt)", logger)
	if err != nil {
		return fmt.Errorf("OIDC_CLIENT_KEY_FILE: %w", err)
	}
	dpopKey, err := loadKey(cfg.DPoP, cfg.DPoPKeyFile, "DPoP key", logger)
	if err != nil {
		return fmt.Errorf("OIDC_DPOP_KEY_FILE: %w", err)
	}
	// Two paths to one file (a link, a copy) make one key for both jobs.
	if clientKey != nil && dpopKey != nil && clientKey.KeyID() == dpopKey.KeyID() {
		return errors.New("OIDC_CLIENT_KEY_FILE and OIDC_DPOP_KEY_FILE hold the same key: the DPoP key and the client key must be two keys")
	}
	oidcClient := auth.New(auth.Settings{
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
	}, providerHTTP, logger)

	// Sessions live in this process's memory (one replica) or in Redis
	// (SESSION_STORE=redis://...: any number of replicas, and a restart
	// logs nobody out). A Redis that is down is not fatal: pages that need
	// a session answer 503 until it is back.
	stores := session.NewStores(cfg.SessionStore)
	defer func() {
		if err := stores.Close(); err != nil {
			logger.Warn("closing the session store", "error", err.Error())
		}
	}()
	if err := stores.Ping(ctx); err != nil {
		logger.Warn("session store not reachable yet", "store", stores.Description, "error", err.Error())
	}
	sessions := session.New(session.Options{
		IdleTimeout: cfg.SessionIdle,
		Lifetime:    cfg.SessionLifetime,
		Secure:      cfg.SecureCookies(),
		CookieName:  cfg.SessionCookieName,
		Store:       stores.Store,
		Index:       stores.Index,
		Marks:       stores.Marks,
		Attachments: stores.Attachments,
	})

	app := handlers.New(handlers.Deps{
		Logger:   logger,
		Auth:     oidcClient,
		Sessions: sessions,
		Issuer:   cfg.Issuer,
		HTTPS:    cfg.SecureCookies(),
		// The token viewer and the flow inspector show raw tokens: on for
		// the demo, off (TOKEN_PAGES=off) anywhere beyond a laptop.
		TokenPages: cfg.TokenPages,
		// Also bounds a logout that goes on after the browser has left.
		ProviderTimeout: cfg.ProviderTimeout,
		// At most this many logins per client address and minute.
		LoginsPerMinute: cfg.LoginRateLimit,
		// The demo API (cmd/demo-api), called by the /api page; every call
		// has a timeout, so a hanging API cannot hold a request forever.
		API:     apiclient.New(cfg.APIURL, apiHTTP(cfg, dpopKey)),
		Service: auth.ServiceClient{ID: cfg.ServiceClientID, Secret: cfg.ServiceClientSecret},
	})

	// Listen before serving, so a busy port fails at once with a clear error.
	listener, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listening on %s (LISTEN_ADDR): %w", cfg.ListenAddr, err)
	}

	// The provider may still be starting: keep trying in the background
	// while the app already serves (/readyz says 503 until it succeeds).
	discoveryCtx, stopDiscovery := context.WithCancel(ctx)
	defer stopDiscovery()
	go oidcClient.DiscoverInBackground(discoveryCtx, cfg.ProviderTimeout)

	logger.Info("listening", "addr", listener.Addr().String(), "base_url", cfg.BaseURL.String(),
		"issuer", cfg.Issuer, "client_id", cfg.ClientID, "session_store", stores.Description,
		"par", cfg.PAR, "client_auth", cfg.ClientAuth, "dpop", cfg.DPoP)

	// Graceful shutdown on SIGTERM: report not-ready first and keep
	// serving for the drain period, so a load balancer polling /readyz
	// stops sending new requests here; then stop accepting, give in-flight
	// requests a bounded time to finish, and exit.
	return httpserver.Serve(ctx, listener, app.Routes(), logger, httpserver.Options{
		OnShutdown: app.ShutDown,
		Drain:      cfg.ShutdownDrain,
		Grace:      10 * time.Second,
	})
}

// loadKey returns one of the app's own keys (nil when the option is off):
// read from file, created there on the first start, or, without a file, a
// new one for this run (README: "Beyond the basics").
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

// apiHTTP is the client of the demo API calls. With DPoP, a bound token
// goes out as "Authorization: DPoP ..." with a fresh proof (RFC 9449 7.1).
func apiHTTP(cfg config.Config, dpopKey *auth.SigningKey) *http.Client {
	h := &http.Client{Timeout: cfg.APITimeout}
	if dpopKey != nil {
		h.Transport = &auth.DPoPTransport{Base: http.DefaultTransport, Key: dpopKey}
	}
	return h
}

// Command authcode-demo is a server-rendered web app that logs people in
// with the OAuth 2.0 Authorization Code flow (with PKCE) and OpenID Connect.
// See README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/authcode-demo/authcode-demo/app"
	"github.com/authcode-demo/authcode-demo/internal/config"
	"github.com/authcode-demo/authcode-demo/internal/httpserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run reads the configuration, wires the app and serves until ctx is
// cancelled (SIGINT or SIGTERM), then shuts down gracefully. Everything it needs comes in as a
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

	// The whole app, wired in one place (app/, shared with the
	// tests and the load tool).
	web, err := app.New(cfg, app.Options{Logger: logger})
	if err != nil {
		return err
	}
	// A Redis that is down is not fatal: pages that need a session answer
	// 503 until it is back.
	defer func() {
		if err := web.Stores.Close(); err != nil {
			logger.Warn("closing the session store", "error", err.Error())
		}
	}()
	if err := web.Stores.Ping(ctx); err != nil {
		logger.Warn("session store not reachable yet", "store", web.Stores.Description, "error", err.Error())
	}

	// Listen before serving, so a busy port fails at once with a clear error.
	listener, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listening on %s (LISTEN_ADDR): %w", cfg.ListenAddr, err)
	}

	// The provider may still be starting: keep trying in the background
	// while the app already serves (/readyz says 503 until it succeeds).
	discoveryCtx, stopDiscovery := context.WithCancel(ctx)
	defer stopDiscovery()
	go web.Auth.DiscoverInBackground(discoveryCtx, cfg.ProviderTimeout)

	logger.Info("listening", "addr", listener.Addr().String(), "base_url", cfg.BaseURL.String(),
		"issuer", cfg.Issuer, "client_id", cfg.ClientID, "session_store", web.Stores.Description,
		"par", cfg.PAR, "client_auth", cfg.ClientAuth, "dpop", cfg.DPoP)

	// Graceful shutdown on SIGTERM: report not-ready first and keep
	// serving for the drain period, so a load balancer polling /readyz
	// stops sending new requests here; then stop accepting, give in-flight
	// requests a bounded time to finish, and exit.
	return httpserver.Serve(ctx, listener, web.Handler, logger, httpserver.Options{
		OnShutdown: web.ShutDown,
		Drain:      cfg.ShutdownDrain,
		Grace:      10 * time.Second,
	})
}

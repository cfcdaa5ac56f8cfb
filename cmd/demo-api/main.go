// Command demo-api is the demo's resource server: a small JSON API that
// accepts only access tokens issued by the realm for the audience demo-api
// (Bearer, or DPoP-bound with a proof), and checks each one itself
// (internal/demoapi). The app's /api
// page calls it. See docs/sso-and-api.md.
//
//	GET  /api/hello  a valid access token with the scope demo-api.read
//	GET  /api/admin  the same, and the realm role admin
//	POST /api/notes  a valid access token with the scope demo-api.write
//	GET /healthz     200 while the process runs
//	GET /readyz      200 once the provider's keys can be fetched
package main

import (
	"context"
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

	"github.com/authcode-demo/authcode-demo/internal/config"
	"github.com/authcode-demo/authcode-demo/internal/demoapi"
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

// adminRole is the realm role GET /api/admin requires.
const adminRole = "admin"

// run wires the API together and serves until ctx is cancelled, then shuts
// down gracefully. Like the app's run, everything comes in as a parameter.
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
	cfg, err := config.LoadAPI(getenv, dotenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))

	settings := demoapi.Settings{
		Issuer:       cfg.Issuer,
		DiscoveryURL: cfg.DiscoveryURL,
		Audience:     cfg.Audience,
		AdminRole:    adminRole,
		PublicURL:    cfg.PublicURL,
	}
	verifier := demoapi.NewVerifier(settings, &http.Client{Timeout: cfg.ProviderTimeout}, logger)
	api := demoapi.NewServer(verifier, settings, logger)

	// Listen before serving, so a busy port fails at once with a clear error.
	listener, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listening on %s (API_LISTEN_ADDR): %w", cfg.ListenAddr, err)
	}
	// Keycloak may still be starting: discover in the background; until
	// then /api answers 503 and /readyz says not ready.
	discoveryCtx, stopDiscovery := context.WithCancel(ctx)
	defer stopDiscovery()
	go verifier.DiscoverInBackground(discoveryCtx, cfg.ProviderTimeout)

	logger.Info("listening", "addr", listener.Addr().String(), "issuer", cfg.Issuer, "audience", cfg.Audience,
		"public_url", cfg.PublicURL)

	// Headers are capped well below net/http's 1 MiB: room for a large
	// access token (demoapi.MaxAuthorizationBytes) and little else, so a
	// huge forged token is refused (431) before it is read into a request.
	return httpserver.Serve(ctx, listener, api.Routes(), logger, httpserver.Options{
		Grace:          10 * time.Second,
		MaxHeaderBytes: 2 * demoapi.MaxAuthorizationBytes,
	})
}

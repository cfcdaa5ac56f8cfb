// Command seed is the seed Flask example ported to Go as it was: /login
// redirects to Keycloak, /callback trades the code for tokens, /logout ends
// the session. It logs you in, and it checks almost nothing.
//
// IT IS DELIBERATELY INSECURE. It exists only to be attacked in the attack
// lab and to be read as a list of what not to do; every flaw carries a
// comment that names the attack and the part of the specification it
// breaks (seed.go). It refuses to start unless BASE_URL is a loopback
// address. The login done right is the main app's (internal/auth).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

// config is the seed's environment. The names are the app's
// (shared/CONTRACT.md); the defaults are the demo realm's client demo-seed.
type config struct {
	listenAddr   string // LISTEN_ADDR
	baseURL      string // BASE_URL: the redirect URI is BASE_URL + "/callback"
	issuer       string // OIDC_ISSUER
	discoveryURL string // OIDC_DISCOVERY_URL: where to fetch discovery (docker compose), default OIDC_ISSUER
	clientID     string // OIDC_CLIENT_ID
	clientSecret string // OIDC_CLIENT_SECRET
}

func loadConfig(getenv func(string) string) (config, error) {
	or := func(name, fallback string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return fallback
	}
	cfg := config{
		// Loopback only by default: no other computer can reach it.
		listenAddr:   or("LISTEN_ADDR", "localhost:3004"),
		baseURL:      or("BASE_URL", "http://localhost:3004"),
		issuer:       or("OIDC_ISSUER", "http://localhost:8080/realms/demo"),
		clientID:     or("OIDC_CLIENT_ID", "demo-seed"),
		clientSecret: or("OIDC_CLIENT_SECRET", "demo-seed-secret-change-me"),
	}
	cfg.discoveryURL = or("OIDC_DISCOVERY_URL", cfg.issuer)
	if err := requireLoopback(cfg.baseURL); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// requireLoopback refuses a BASE_URL that other computers could reach: an
// app built to be attacked must only ever be attacked from this one.
func requireLoopback(baseURL string) error {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("BASE_URL=%q is not an http(s) URL", baseURL)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("BASE_URL=%q: refusing to start, because this app is deliberately insecure (it exists only to be "+
		"attacked in the lab) and may only run on a loopback address: localhost, 127.0.0.0/8 or ::1", baseURL)
}

// run starts the seed and serves until ctx ends.
func run(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	s, err := newSeed(ctx, cfg, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.listenAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	logger.Warn("the seed app is DELIBERATELY INSECURE: use it only for the attack lab", "listen", ln.Addr().String(), "base_url", cfg.baseURL)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

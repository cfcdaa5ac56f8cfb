// Package httpserver runs an http.Handler the way both programs of this repo
// (the app and the demo API) need: with timeouts, until a context ends, then
// with a graceful shutdown.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Options say how to shut down.
type Options struct {
	// OnShutdown runs first when ctx ends (the app makes /readyz say 503).
	OnShutdown func()
	// Drain is how long to keep serving after OnShutdown, so a load
	// balancer polling /readyz stops sending requests here first.
	Drain time.Duration
	// Grace bounds how long requests in flight may take to finish.
	Grace time.Duration
	// MaxHeaderBytes caps the request line and headers (0 = net/http's
	// 1 MiB); a longer request gets 431 before any handler runs.
	MaxHeaderBytes int
}

// Serve serves handler on listener until ctx ends, then shuts down: it
// reports not-ready (OnShutdown), keeps serving for Drain, stops accepting
// connections, and waits up to Grace for requests in flight. It returns nil
// after a clean shutdown.
func Serve(ctx context.Context, listener net.Listener, handler http.Handler, logger *slog.Logger, opts Options) error {
	server := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    opts.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Serve(listener) }()

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}

	logger.Info("shutting down", "drain", opts.Drain.String())
	if opts.OnShutdown != nil {
		opts.OnShutdown()
	}
	time.Sleep(opts.Drain)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), opts.Grace)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

package handlers

import (
	"io"
	"net/http"
)

// handleHealthz answers 200 while the process runs (liveness).
func (app *App) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

// handleReadyz answers 200 once the provider has been discovered, so the app
// can log people in (readiness), and 503 before that or while shutting down.
func (app *App) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	switch {
	case app.shuttingDown.Load():
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "shutting down\n")
	case !app.auth.Ready():
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "identity provider not discovered yet\n")
	default:
		io.WriteString(w, "ready\n")
	}
}

package httpserver

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"
)

// LogRequests is middleware that writes one log line per request: method,
// path, status, duration and, when requestID is not nil, the request id.
// It logs the path without the query string (the app's /callback query holds
// the authorization code) and never a header (they hold cookies and tokens).
func LogRequests(logger *slog.Logger, requestID func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			attrs := []any{"method", r.Method, "path", r.URL.Path, "status", status,
				"duration_ms", float64(time.Since(start).Microseconds()) / 1000}
			if requestID != nil {
				attrs = append(attrs, "request_id", requestID(r))
			}
			logger.Info("request", attrs...)
		})
	}
}

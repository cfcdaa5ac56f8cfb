package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
)

type contextKey int

const requestIDKey contextKey = iota

// requestID gives every request a random id. It appears in the log line and
// on error pages, so a user's report can be matched to the log.
func (app *App) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func requestIDFrom(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// recoverPanics turns a panic in a handler into a logged error and a 500
// page, instead of a dropped connection.
func (app *App) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { // net/http's way to abort a response
				panic(v)
			}
			app.logger.Error("panic in handler", "panic", fmt.Sprint(v),
				"stack", string(debug.Stack()), "request_id", requestIDFrom(r))
			app.fail(w, r, errors.New("panic in handler"), problem{})
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders are sent with every response.
func (app *App) securityHeaders(next http.Handler) http.Handler {
	csp := "default-src 'none'; style-src 'self'; img-src 'self'; " +
		// Our forms post to ourselves; the logout form is then redirected
		// to the provider's end_session_endpoint, which form-action covers.
		"form-action 'self' " + app.providerOrigin + "; " +
		"frame-ancestors 'none'; base-uri 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// No Referer: URLs of this app can carry codes and states.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		// Pages show personal data (at least the name in the header), so
		// no page may be stored by the browser or a proxy. Static files
		// override this.
		h.Set("Cache-Control", "no-store")
		if app.https {
			// HSTS (RFC 6797): for a year, the browser goes to this host
			// over https only, even when a link or a typed URL says http,
			// so no one on the network can strip TLS and read the cookie.
			// Not includeSubDomains: other hosts of the domain are not ours.
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// crossOriginProtection refuses state-changing requests from other sites
// (CSRF) with the standard library's check of Sec-Fetch-Site and Origin.
func (app *App) crossOriginProtection(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app.failf(w, r, errForbidden, problem{}, "cross-origin request refused")
	}))
	return cop.Handler(next)
}

package handlers

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/views"
)

// This file is the one place where a failed request becomes an HTTP status
// and an error page. Handlers say what went wrong as an error of a kind
// (the protocol's kinds are in internal/auth/errors.go, the handlers' own
// below) and call fail; statusOf picks the status from the kind.

// The kinds of failure the handlers report themselves.
var (
	errBadRequest       = errors.New("bad request")                            // 400
	errForbidden        = errors.New("refused")                                // 403
	errNotFound         = errors.New("no such page")                           // 404
	errMethodNotAllowed = errors.New("method not allowed")                     // 405
	errConflict         = errors.New("nothing to do")                          // 409
	errTooManyRequests  = errors.New("too many requests")                      // 429
	errUpstream         = errors.New("a service the app calls did not answer") // 502
	errUnavailable      = errors.New("not available right now")                // 503
)

// statusOf is the HTTP status for an error of a kind; anything else is a
// bug of ours (500).
func statusOf(err error) int {
	switch {
	case errors.Is(err, auth.ErrRejected), errors.Is(err, errBadRequest):
		return http.StatusBadRequest // something sent to us failed a check
	case errors.Is(err, auth.ErrSessionEnded):
		return http.StatusUnauthorized // log in again
	case errors.Is(err, errForbidden):
		return http.StatusForbidden
	case errors.Is(err, errNotFound):
		return http.StatusNotFound
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, auth.ErrNoRefreshToken), errors.Is(err, errConflict):
		return http.StatusConflict
	case errors.Is(err, errTooManyRequests):
		return http.StatusTooManyRequests // a rate limit (loginlimit.go)
	case errors.Is(err, auth.ErrProvider), errors.Is(err, errUpstream):
		return http.StatusBadGateway // the provider or the API failed
	case errors.Is(err, auth.ErrNotReady), errors.Is(err, errUnavailable):
		return http.StatusServiceUnavailable // try again in a moment
	default:
		return http.StatusInternalServerError
	}
}

// problem is what an error page says. Fields left empty take the standard
// words of the status. Messages are written for people and never contain
// internal error strings.
type problem struct {
	logAs     string // the log line's message ("" = "request failed")
	title     string
	message   string
	retryURL  string
	retryText string
}

// standardProblem is the generic page for status.
func standardProblem(status int) problem {
	p := problem{retryURL: "/", retryText: "Back to the home page"}
	switch status {
	case http.StatusBadRequest:
		p.title, p.message = "Bad request", "The request could not be understood."
	case http.StatusUnauthorized:
		p.title, p.message = "Please log in again", "Your session has ended. Please log in again."
	case http.StatusForbidden:
		p.title, p.message = "Forbidden", "This request was refused. If you followed a link or a form from another site, open this app directly and try again."
	case http.StatusNotFound:
		p.title, p.message = "Page not found", "There is no page at this address."
	case http.StatusMethodNotAllowed:
		p.title, p.message = "Method not allowed", "This page does not accept that kind of request."
	case http.StatusBadGateway:
		p.title, p.message = "The identity provider is not answering properly", "The app could not complete a request to the identity provider. Please try again in a moment."
	case http.StatusServiceUnavailable:
		p.title, p.message = "The identity provider is not reachable yet", "The app has not been able to reach the identity provider (Keycloak) yet. If it is still starting, wait a moment and try again."
	case http.StatusInternalServerError:
		p.title, p.message = "Something went wrong", "The app ran into an unexpected problem. It has been logged; please try again."
	default:
		p.title, p.message = http.StatusText(status), "The request could not be completed."
	}
	return p
}

// fail answers a request that failed with err: the status from its kind,
// one log line with the reason (err's text, which never holds a token, a
// code or a secret), and an error page saying what p says.
func (app *App) fail(w http.ResponseWriter, r *http.Request, err error, p problem) {
	status := statusOf(err)
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	app.logger.Log(r.Context(), level, cmp.Or(p.logAs, "request failed"), "status", status, "reason", err.Error(),
		"path", r.URL.Path, "request_id", requestIDFrom(r))

	std := standardProblem(status)
	if p.title == "" {
		p.title, p.message = std.title, std.message
	}
	if p.retryURL == "" {
		p.retryURL, p.retryText = std.retryURL, std.retryText
	}
	app.render(w, r, status, views.Error(views.ErrorView{
		Nav:       app.nav(r),
		Status:    status,
		Title:     p.title,
		Message:   p.message,
		RequestID: requestIDFrom(r),
		RetryURL:  p.retryURL,
		RetryText: p.retryText,
	}))
}

// failf is fail with an error of kind and the reason for the log.
func (app *App) failf(w http.ResponseWriter, r *http.Request, kind error, p problem, format string, args ...any) {
	app.fail(w, r, fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...)), p)
}

// sessionStoreError is called by the session middleware (and handlers)
// when the session store fails: a 503 page with a link to try again.
func (app *App) sessionStoreError(w http.ResponseWriter, r *http.Request, err error) {
	app.fail(w, r, fmt.Errorf("%w: session store error: %v", errUnavailable, err), problem{
		title:     "Sessions are unavailable",
		message:   "The app cannot reach its session store right now. Please try again in a moment.",
		retryURL:  r.URL.Path,
		retryText: "Try again",
	})
}

func (app *App) handleNotFound(w http.ResponseWriter, r *http.Request) {
	app.fail(w, r, errNotFound, problem{})
}

func (app *App) handleMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	app.fail(w, r, errMethodNotAllowed, problem{})
}

// render writes a component with a status, with templ's own handler: it
// renders into a buffer first, so a failing component never leaves half a
// page behind a 200.
func (app *App) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	templ.Handler(c, templ.WithStatus(status), templ.WithErrorHandler(func(r *http.Request, err error) http.Handler {
		app.logger.Error("rendering page", "error", err.Error(), "request_id", requestIDFrom(r))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		})
	})).ServeHTTP(w, r)
}

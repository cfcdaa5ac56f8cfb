package handlers

import (
	"errors"
	"net/http"

	"github.com/a-h/templ"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/views"
)

// problem is what an error page says. Messages are written for people and
// never contain internal error strings.
type problem struct {
	status    int
	title     string
	message   string
	retryURL  string
	retryText string
}

// standardProblem is the generic page for status.
func standardProblem(status int) problem {
	p := problem{status: status}
	switch status {
	case http.StatusBadRequest:
		p.title, p.message = "Bad request", "The request could not be understood."
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

// errorPage renders the generic page for status.
func (app *App) errorPage(w http.ResponseWriter, r *http.Request, status int) {
	app.showProblem(w, r, standardProblem(status))
}

// showProblem renders an error page with a link to try again.
func (app *App) showProblem(w http.ResponseWriter, r *http.Request, p problem) {
	if p.retryURL == "" {
		p.retryURL, p.retryText = "/", "Back to the home page"
	}
	app.render(w, r, p.status, views.Error(views.ErrorView{
		Nav:       app.nav(r),
		Status:    p.status,
		Title:     p.title,
		Message:   p.message,
		RequestID: requestIDFrom(r),
		RetryURL:  p.retryURL,
		RetryText: p.retryText,
	}))
}

// serverError logs err (for us) and shows a generic 500 page (for the user).
func (app *App) serverError(w http.ResponseWriter, r *http.Request, err error) {
	app.logger.Error("internal error", "error", err.Error(), "path", r.URL.Path,
		"request_id", requestIDFrom(r))
	app.errorPage(w, r, http.StatusInternalServerError)
}

// sessionStoreError is called by the session middleware when the store fails.
func (app *App) sessionStoreError(w http.ResponseWriter, r *http.Request, err error) {
	app.logger.Error("session store error", "error", err.Error(), "request_id", requestIDFrom(r))
	app.render(w, r, http.StatusServiceUnavailable, views.Error(views.ErrorView{
		Status:    http.StatusServiceUnavailable,
		Title:     "Sessions are unavailable",
		Message:   "The app cannot reach its session store right now. Please try again in a moment.",
		RequestID: requestIDFrom(r),
		RetryURL:  r.URL.Path,
		RetryText: "Try again",
	}))
}

func (app *App) handleNotFound(w http.ResponseWriter, r *http.Request) {
	app.errorPage(w, r, http.StatusNotFound)
}

func (app *App) handleMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	app.errorPage(w, r, http.StatusMethodNotAllowed)
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

// startLoginFailed answers a login that could not start: the provider has
// not been reached yet (503, try again) or refused the pushed request (502).
func (app *App) startLoginFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, auth.ErrNotReady):
		app.showProblem(w, r, problem{
			status:    http.StatusServiceUnavailable,
			title:     "The identity provider is not reachable yet",
			message:   "The app has not been able to reach Keycloak yet. If it is still starting, wait a moment and try again.",
			retryURL:  r.URL.RequestURI(),
			retryText: "Try again",
		})
	case errors.Is(err, auth.ErrProvider):
		app.logger.Warn("login not started", "reason", err.Error(), "request_id", requestIDFrom(r))
		app.showProblem(w, r, problem{
			status:    http.StatusBadGateway,
			title:     "The identity provider did not accept the login request",
			message:   "The app could not hand its login request to the identity provider. Please try again in a moment.",
			retryURL:  r.URL.RequestURI(),
			retryText: "Try again",
		})
	default:
		app.serverError(w, r, err)
	}
}

// loginStatus is the HTTP status for a failed login: 400 when something
// sent to us failed a check, 503 while the provider has not been reached
// yet, 502 when it fails.
func loginStatus(err error) int {
	switch {
	case errors.Is(err, auth.ErrRejected):
		return http.StatusBadRequest
	case errors.Is(err, auth.ErrNotReady):
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadGateway
	}
}

// loginFailed logs why (safe words only) and shows a page with the status.
func (app *App) loginFailed(w http.ResponseWriter, r *http.Request, status int, reason string) {
	app.logger.Warn("login failed", "reason", reason, "request_id", requestIDFrom(r))
	p := standardProblem(status)
	if status == http.StatusBadRequest {
		p.title = "Login failed"
		p.message = "The login could not be verified, so you are not logged in. Please try again."
	}
	p.retryURL, p.retryText = "/login", "Log in again"
	app.showProblem(w, r, p)
}

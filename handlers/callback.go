package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/authcode-demo/authcode-demo/internal/display"
)

// handleCallback is the redirect_uri: the provider sends the browser here
// with ?code=...&state=...&iss=... (RFC 6749 section 4.1.2, RFC 9207) or
// with ?error=... The protocol checks themselves are in
// internal/auth/login.go.
func (app *App) handleCallback(w http.ResponseWriter, r *http.Request) {
	query, ok := singleValues(r.URL.Query(), "state", "code", "iss", "error", "error_description")
	if !ok {
		app.failf(w, r, errBadRequest, loginFailed(), "callback parameters repeated")
		return
	}

	// The state must be one this browser session started, and it works
	// once: that defeats login CSRF (an attacker's code pushed into our
	// session) and replayed callbacks. RFC 6749 section 10.12.
	pending, found := app.sessions.TakePendingLogin(r.Context(), query["state"])
	if !found {
		app.failf(w, r, errBadRequest, problem{
			logAs:     "login failed",
			title:     "This login cannot be completed",
			message:   "The login was not started in this browser, has already been used, or took longer than 10 minutes. Please log in again.",
			retryURL:  "/login",
			retryText: "Log in again",
		}, "unknown, expired or reused state")
		return
	}

	// The browser must come back from our provider (RFC 9207), checked
	// before anything it brought is used.
	if err := app.auth.CheckIssuer(query["iss"]); err != nil {
		app.fail(w, r, err, loginFailed())
		return
	}

	// The provider reports errors (the user cancelled, the client is
	// misconfigured) with error and error_description (RFC 6749 4.1.2.1).
	// They are shown only now that the state proved the provider sent them.
	if code := query["error"]; code != "" {
		message := providerRefusalMessage(code, app.sessions.HasUser(r.Context())) // stepup.go
		if description := query["error_description"]; description != "" {
			message += " It said: " + display.Truncate(description, 300)
		}
		app.failf(w, r, errBadRequest, problem{logAs: "login failed", title: "Login was not completed", message: message,
			retryURL: "/login?next=" + url.QueryEscape(pending.Next), retryText: "Try again"},
			"provider returned an error: %s", display.Truncate(code, 64))
		return
	}
	if query["code"] == "" {
		app.failf(w, r, errBadRequest, loginFailed(), "callback without code")
		return
	}

	// Exchange the code, check the ID token, fetch userinfo.
	login, err := app.auth.CompleteLogin(r.Context(), query["code"], pending.Verifier, pending.Nonce,
		strings.Fields(pending.ExtraScope)...)
	if err != nil {
		app.fail(w, r, err, loginFailed())
		return
	}

	// New session token before storing the user (session fixation).
	if err := app.sessions.StartUserSession(r.Context(), login); err != nil {
		app.fail(w, r, err, problem{})
		return
	}
	app.logger.Info("login succeeded", "sub", login.Claims.Subject,
		"username", login.Claims.PreferredUsername, "request_id", requestIDFrom(r))
	http.Redirect(w, r, pending.Next, http.StatusSeeOther)
}

// loginFailed is the page of a login that was refused or could not be
// completed; the status (400, 502 or 503) comes from the error's kind.
func loginFailed() problem {
	return problem{
		logAs:     "login failed",
		title:     "Login failed",
		message:   "The login could not be completed, so you are not logged in. Please try again.",
		retryURL:  "/login",
		retryText: "Log in again",
	}
}

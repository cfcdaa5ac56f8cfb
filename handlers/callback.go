package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// handleCallback is the redirect_uri: the provider sends the browser here
// with ?code=...&state=... (RFC 6749 section 4.1.2) or with ?error=...
func (app *App) handleCallback(w http.ResponseWriter, r *http.Request) {
	receivedAt := app.now() // for the login's trace (/flow)
	query, ok := singleValues(r.URL.Query(), "state", "code", "error", "error_description")
	if !ok {
		app.loginFailed(w, r, http.StatusBadRequest, "callback parameters repeated")
		return
	}

	// The state must be one this browser session started, and it works
	// once: that defeats login CSRF (an attacker's code pushed into our
	// session) and replayed callbacks. RFC 6749 section 10.12.
	pending, found := app.sessions.TakePendingLogin(r.Context(), query["state"])
	if !found {
		app.logger.Warn("login failed", "reason", "unknown, expired or reused state",
			"request_id", requestIDFrom(r))
		app.showProblem(w, r, problem{
			status:    http.StatusBadRequest,
			title:     "This login cannot be completed",
			message:   "The login was not started in this browser, has already been used, or took longer than 10 minutes. Please log in again.",
			retryURL:  "/login",
			retryText: "Log in again",
		})
		return
	}

	// The provider reports errors (the user cancelled, the client is
	// misconfigured) with error and error_description (RFC 6749 4.1.2.1).
	// They are shown only now that the state proved the provider sent them.
	if code := query["error"]; code != "" {
		app.logger.Warn("login failed", "reason", "provider returned an error",
			"error", truncate(code, 64), "request_id", requestIDFrom(r))
		message := "The identity provider did not log you in (" + truncate(code, 64) + ")."
		if description := query["error_description"]; description != "" {
			message += " It said: " + truncate(description, 300)
		}
		app.showProblem(w, r, problem{status: http.StatusBadRequest, title: "Login was not completed",
			message: message, retryURL: "/login?next=" + url.QueryEscape(pending.Next), retryText: "Try again"})
		return
	}
	if query["code"] == "" {
		app.loginFailed(w, r, http.StatusBadRequest, "callback without code")
		return
	}

	login, trace, err := app.auth.CompleteLogin(r.Context(), query["code"], pending.Verifier, pending.Nonce)
	var loginErr *auth.LoginError
	if errors.As(err, &loginErr) {
		app.loginFailed(w, r, loginErr.Status, loginErr.Reason)
		return
	}
	if err != nil {
		app.serverError(w, r, err)
		return
	}

	// New session token before storing the user (session fixation).
	if err := app.sessions.StartUserSession(r.Context(), login); err != nil {
		app.serverError(w, r, err)
		return
	}
	// The flow inspector (/flow) shows this login step by step: steps 1
	// and 2 from the pending login and this callback, the rest as
	// CompleteLogin recorded it (never the client secret: see auth.LoginTrace).
	trace.Authorization = auth.AuthorizationTrace{URL: pending.AuthURL, SentAt: pending.StartedAt}
	trace.Callback = auth.CallbackTrace{Code: query["code"], State: query["state"], ReceivedAt: receivedAt}
	if err := app.sessions.KeepLoginTrace(r.Context(), trace); err != nil {
		// The login itself succeeded; only /flow will have nothing to show.
		app.logger.Warn("login trace not kept", "error", err.Error(), "request_id", requestIDFrom(r))
	}
	app.logger.Info("login succeeded", "sub", login.Claims.Subject,
		"username", login.Claims.PreferredUsername, "request_id", requestIDFrom(r))
	http.Redirect(w, r, pending.Next, http.StatusSeeOther)
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

// singleValues returns the named query parameters, each at most once.
// A repeated parameter is suspicious (parameter pollution): ok is false.
func singleValues(q url.Values, names ...string) (map[string]string, bool) {
	values := make(map[string]string, len(names))
	for _, name := range names {
		if len(q[name]) > 1 {
			return nil, false
		}
		values[name] = q.Get(name)
	}
	return values, true
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

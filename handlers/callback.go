package handlers

import (
	"net/http"
	"net/url"

	"github.com/authcode-demo/authcode-demo/internal/inspector"
)

// handleCallback is the redirect_uri: the provider sends the browser here
// with ?code=...&state=... (RFC 6749 section 4.1.2) or with ?error=...
// The protocol checks themselves are in internal/auth/login.go.
func (app *App) handleCallback(w http.ResponseWriter, r *http.Request) {
	receivedAt := app.now()
	query, ok := singleValues(r.URL.Query(), "state", "code", "iss", "error", "error_description")
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

	// The browser must come back from our provider (RFC 9207), checked
	// before anything it brought is used.
	if err := app.auth.CheckIssuer(query["iss"]); err != nil {
		app.loginFailed(w, r, loginStatus(err), err.Error())
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

	// Exchange the code, check the ID token, fetch userinfo. The flow
	// inspector listens to the back-channel calls it makes (inspector.go).
	ctx, wire := inspector.Listen(r.Context())
	login, err := app.auth.CompleteLogin(ctx, query["code"], pending.Verifier, pending.Nonce)
	if err != nil {
		app.loginFailed(w, r, loginStatus(err), err.Error())
		return
	}

	// New session token before storing the user (session fixation).
	if err := app.sessions.StartUserSession(r.Context(), login); err != nil {
		app.serverError(w, r, err)
		return
	}
	app.keepFlowRecord(r, pending, query, receivedAt, login, wire)
	app.logger.Info("login succeeded", "sub", login.Claims.Subject,
		"username", login.Claims.PreferredUsername, "request_id", requestIDFrom(r))
	http.Redirect(w, r, pending.Next, http.StatusSeeOther)
}

package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/views"
)

// The login in slow motion (/slow, served with the token pages on): a
// teaching page BESIDE the login, not on its path. It makes the same
// requests a login makes, one hop at a time: before each hop it shows the
// message it is about to send or has just received and waits for a
// Continue (a same-origin POST). Some values can be changed on the way; the
// answer is then the real one, from Keycloak (its error page or error
// response) or from this app's own checks: the session's pending logins
// (TakePendingLogin), CheckIssuer and CheckIDToken of internal/auth.
//
// It has its own redirect_uri (BASE_URL + "/slow/callback"), whose handler
// only records what came back. It never logs anyone in: at the end it says
// what the app would do now. So the ordinary /login and /callback are not
// touched, and there is no second way into a session.

// slowCallbackPath is /slow's redirect_uri path, registered at the provider
// beside /callback.
const slowCallbackPath = "/slow/callback"

// maxSlowValue bounds each value a learner may type in.
const maxSlowValue = 2048

// slowRedirectURL is the app's redirect_uri with /slow's callback path.
func (app *App) slowRedirectURL() string {
	u, err := url.Parse(app.auth.RedirectURL()) // BASE_URL + "/callback"
	if err != nil {
		return ""
	}
	u.Path = strings.TrimSuffix(u.Path, "/callback") + slowCallbackPath
	return u.String()
}

// handleSlow shows the current hop of the session's login in slow motion,
// or the page's start.
func (app *App) handleSlow(w http.ResponseWriter, r *http.Request) {
	run, ok := app.slowRun(r.Context())
	if !ok {
		run = slowRun{}
	}
	v, err := app.slowView(app.nav(r), run)
	if err != nil {
		app.fail(w, r, err, problem{})
		return
	}
	app.render(w, r, http.StatusOK, views.Slow(v))
}

// handleSlowStart starts a login in slow motion: a fresh state, nonce and
// PKCE verifier, made as StartLogin makes them, and a pending login under
// the state, as /login keeps one. Nothing is sent yet.
func (app *App) handleSlowStart(w http.ResponseWriter, r *http.Request) {
	if !app.auth.Ready() {
		app.fail(w, r, auth.ErrNotReady, problem{retryURL: "/slow", retryText: "Try again"})
		return
	}
	params := app.auth.NewAuthParams(app.slowRedirectURL())
	app.sessions.AddPendingLogin(r.Context(), params.State, session.PendingLogin{
		Nonce: params.Nonce, Verifier: params.Verifier, Next: defaultNext,
	})
	run := slowRun{StartedAt: app.now(), Hop: hopAuthorization, Made: params, Sent: params}
	app.keepSlowRunAndShow(w, r, run)
}

// handleSlowAuthorize is hop 1's Continue: it sends the browser to the
// authorization endpoint with the values the learner left in the form.
// With pushed authorization requests the request is pushed as the app made
// it: its values are not the browser's to change (RFC 9126).
func (app *App) handleSlowAuthorize(w http.ResponseWriter, r *http.Request) {
	run, ok := app.slowRunAt(w, r, hopAuthorization)
	if !ok {
		return
	}
	sent := run.Made
	if !app.auth.Hardening().PAR {
		form, ok := app.slowForm(w, r, "state", "redirect_uri", "scope", "code_challenge")
		if !ok {
			return
		}
		sent.State, sent.RedirectURI, sent.Scope, sent.CodeChallenge =
			form["state"], form["redirect_uri"], form["scope"], form["code_challenge"]
	}
	authURL, err := app.auth.AuthorizationURL(sent)
	if err != nil {
		app.fail(w, r, err, problem{})
		return
	}
	ctx, wire := inspector.Listen(r.Context())
	target, err := app.auth.Push(ctx, authURL)
	if err != nil {
		app.slowRefused(w, r, run, err, wire.Exchanges())
		return
	}
	run.Sent, run.SentURL = sent, target
	if err := app.keepSlowRun(r.Context(), run); err != nil {
		app.fail(w, r, err, problem{})
		return
	}
	// The browser goes to Keycloak. An error there (a redirect_uri it does
	// not know for this client) is its own page: it must not redirect to
	// a redirect_uri it cannot trust (RFC 6749 section 4.1.2.1).
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// handleSlowCallback is /slow's redirect_uri: Keycloak sends the browser
// here with ?code&state&iss or ?error&state&iss (RFC 6749 4.1.2, RFC 9207).
// It checks nothing yet and uses nothing: it keeps what came, for the
// next page to show.
func (app *App) handleSlowCallback(w http.ResponseWriter, r *http.Request) {
	query, ok := singleValues(r.URL.Query(), "state", "code", "iss", "error", "error_description")
	if !ok {
		app.failf(w, r, errBadRequest, problem{}, "slow: callback parameters repeated")
		return
	}
	run, ok := app.slowRun(r.Context())
	if !ok || run.Hop != hopAuthorization || run.SentURL == "" {
		app.failf(w, r, errBadRequest, slowProblem("No login in slow motion is waiting for this answer",
			"This browser has not sent a login in slow motion to Keycloak, or it is already past this step."),
			"slow: callback without a login in slow motion waiting for it")
		return
	}
	if len(r.URL.RawQuery) > 4*maxSlowValue {
		app.failf(w, r, errBadRequest, problem{}, "slow: callback query too long")
		return
	}
	run.Callback = slowCallback{Query: r.URL.RawQuery, Code: query["code"], State: query["state"], Issuer: query["iss"],
		Error: query["error"], ErrorDescription: query["error_description"], ReceivedAt: app.now()}
	run.Hop = hopCallback
	app.keepSlowRunAndShow(w, r, run)
}

// handleSlowAcceptCallback is hop 2's Continue: the callback's checks, in
// the order /callback makes them (callback.go), on the code and state the
// learner left in the form.
func (app *App) handleSlowAcceptCallback(w http.ResponseWriter, r *http.Request) {
	run, ok := app.slowRunAt(w, r, hopCallback)
	if !ok {
		return
	}
	form, ok := app.slowForm(w, r, "code", "state")
	if !ok {
		return
	}
	ctx := r.Context()
	app.sessions.ForgetSlowLogin(ctx) // from here, a refusal ends the run

	// The state must name a login this browser started, and works once
	// (RFC 6749 section 10.12): the session's real pending logins.
	pending, found := app.sessions.TakePendingLogin(ctx, form["state"])
	if !found {
		app.failf(w, r, errBadRequest, slowProblem("The app refused the callback: unknown state",
			"The state is not one this browser started a login with, or it was used already, or the login took longer than 10 minutes. "+
				"The app's /callback refuses it in the same way (login CSRF, RFC 6749 section 10.12)."),
			"slow: unknown, expired or reused state")
		return
	}
	// The browser must come back from our provider (RFC 9207).
	if err := app.auth.CheckIssuer(run.Callback.Issuer); err != nil {
		app.fail(w, r, err, slowProblem("The app refused the callback: iss",
			"The iss parameter does not name this app's identity provider (RFC 9207 section 2.4)."))
		return
	}
	// An error the provider reported (RFC 6749 4.1.2.1), shown now that
	// the state proved the provider sent it.
	if code := run.Callback.Error; code != "" {
		message := "Keycloak did not log you in (" + display.Truncate(code, 64) + ")."
		if description := run.Callback.ErrorDescription; description != "" {
			message += " It said: " + display.Truncate(description, 300)
		}
		app.failf(w, r, errBadRequest, slowProblem("Keycloak answered with an error", message),
			"slow: provider returned an error: %s", display.Truncate(code, 64))
		return
	}
	if form["code"] == "" {
		app.failf(w, r, errBadRequest, slowProblem("The app refused the callback: no code", "The callback carries no authorization code."),
			"slow: callback without code")
		return
	}
	run.Code, run.Verifier, run.Nonce = form["code"], pending.Verifier, pending.Nonce
	run.Hop = hopTokenRequest
	app.keepSlowRunAndShow(w, r, run)
}

// handleSlowToken is hop 3's Continue: the token request, with the
// code_verifier the learner left in the form, through the app's own client
// (the same client authentication as a login: auth.ExchangeCode).
func (app *App) handleSlowToken(w http.ResponseWriter, r *http.Request) {
	run, ok := app.slowRunAt(w, r, hopTokenRequest)
	if !ok {
		return
	}
	form, ok := app.slowForm(w, r, "code_verifier")
	if !ok {
		return
	}
	ctx, wire := inspector.Listen(r.Context())
	app.sessions.ForgetSlowLogin(ctx)
	tokens, err := app.auth.ExchangeCode(ctx, run.Code, form["code_verifier"], app.slowRedirectURL())
	run.Exchanges = append(run.Exchanges, wire.Exchanges()...)
	if err != nil {
		app.slowRefused(w, r, run, err, wire.Exchanges())
		return
	}
	run.Tokens = tokens
	run.Hop = hopTokenResponse
	app.keepSlowRunAndShow(w, r, run)
}

// handleSlowCheckIDToken is hop 4's Continue: the ID token's checks,
// exactly as a login makes them (auth.CheckIDToken).
func (app *App) handleSlowCheckIDToken(w http.ResponseWriter, r *http.Request) {
	run, ok := app.slowRunAt(w, r, hopTokenResponse)
	if !ok {
		return
	}
	ctx := r.Context()
	app.sessions.ForgetSlowLogin(ctx)
	checked, err := app.auth.CheckIDToken(ctx, run.Tokens.IDToken, run.Nonce, run.Tokens.AccessToken)
	if err != nil {
		app.fail(w, r, err, slowProblem("The app refused the ID token",
			"A check of the ID token failed (OpenID Connect Core 3.1.3.7), so the login ends here."))
		return
	}
	run.Checked = checked
	run.IDToken = inspector.IDTokenFactsOf(run.Tokens.IDToken)
	jwt, _ := display.DecodeJWT(run.Tokens.IDToken) // verified just now
	run.Subject = jwt.Claim("sub")
	run.Hop = hopIDToken
	app.keepSlowRunAndShow(w, r, run)
}

// handleSlowUserInfo is hop 5's Continue: the userinfo request, whose sub
// must be the ID token's (auth.FetchUserInfo). The tokens are dropped
// after it: the run keeps only what the inspector recorded.
func (app *App) handleSlowUserInfo(w http.ResponseWriter, r *http.Request) {
	run, ok := app.slowRunAt(w, r, hopIDToken)
	if !ok {
		return
	}
	ctx, wire := inspector.Listen(r.Context())
	app.sessions.ForgetSlowLogin(ctx)
	_, err := app.auth.FetchUserInfo(ctx, run.Tokens, run.Subject)
	run.Exchanges = append(run.Exchanges, wire.Exchanges()...)
	run.Tokens = auth.TokenResponse{}
	if err != nil {
		app.slowRefused(w, r, run, err, wire.Exchanges())
		return
	}
	run.Hop = hopUserInfo
	app.keepSlowRunAndShow(w, r, run)
}

// slowRunAt returns the session's login in slow motion if it is at hop;
// otherwise it answers with an error page and ok is false.
func (app *App) slowRunAt(w http.ResponseWriter, r *http.Request, hop int) (slowRun, bool) {
	run, ok := app.slowRun(r.Context())
	if !ok {
		app.failf(w, r, errConflict, slowProblem("No login in slow motion",
			"This browser has no login in slow motion in progress (or it took longer than 10 minutes)."),
			"slow: no run in progress")
		return slowRun{}, false
	}
	if run.Hop != hop {
		app.failf(w, r, errConflict, problem{title: "That step is over",
			message:  "The login in slow motion is at another step (a second tab, or the Back button?).",
			retryURL: "/slow", retryText: "Show the current step"},
			"slow: continue of hop %d, at hop %d", hop, run.Hop)
		return slowRun{}, false
	}
	return run, true
}

// slowForm reads the named fields of a Continue form, each at most once
// and at most maxSlowValue bytes long.
func (app *App) slowForm(w http.ResponseWriter, r *http.Request, names ...string) (map[string]string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		app.failf(w, r, errBadRequest, problem{}, "slow: unreadable form")
		return nil, false
	}
	values, ok := singleValues(r.PostForm, names...)
	if ok {
		for _, v := range values {
			ok = ok && len(v) <= maxSlowValue
		}
	}
	if !ok {
		app.failf(w, r, errBadRequest, problem{}, "slow: form values repeated or too long")
		return nil, false
	}
	return values, true
}

// keepSlowRunAndShow stores run and sends the browser to the page that
// shows it (Post/Redirect/Get: a reload does not send anything again).
func (app *App) keepSlowRunAndShow(w http.ResponseWriter, r *http.Request, run slowRun) {
	if err := app.keepSlowRun(r.Context(), run); err != nil {
		app.fail(w, r, err, problem{})
		return
	}
	http.Redirect(w, r, "/slow", http.StatusSeeOther)
}

// slowRefused answers a hop that failed with err. When the provider
// answered with an error (the last call recorded, 4xx or 5xx), the page
// shows that answer as it came (redacted); otherwise the app's own error
// page says what failed. The status is the one a login would answer with.
func (app *App) slowRefused(w http.ResponseWriter, r *http.Request, run slowRun, err error, calls []inspector.Exchange) {
	if len(calls) == 0 || calls[len(calls)-1].Status < 400 || errors.Is(err, auth.ErrNotReady) {
		p := slowProblem("The login in slow motion failed at hop "+strconv.Itoa(run.Hop),
			"The app refused what came back, or could not reach Keycloak.")
		if last := len(calls) - 1; run.Hop == hopTokenRequest && last >= 0 && calls[last].Status == http.StatusOK &&
			calls[last].Response.Get("id_token") == "" {
			// What ExchangeCode refuses, said with what came.
			p.title, p.message = "The app refused the token response: no ID token",
				"Keycloak's token response has no id_token. Without the scope openid the request was no OpenID Connect "+
					"login (OpenID Connect Core 3.1.2.1), so Keycloak issued none, and the app cannot know who logged in."
		}
		app.fail(w, r, err, p)
		return
	}
	// The log line a failed login writes (errors.go), without a page.
	status := statusOf(err)
	app.logger.Warn("slow login refused", "status", status, "reason", err.Error(), "path", r.URL.Path,
		"request_id", requestIDFrom(r))
	v, viewErr := app.slowView(app.nav(r), run)
	if viewErr != nil {
		app.fail(w, r, viewErr, problem{})
		return
	}
	v.Refusal = slowRefusalView(run.Hop, calls[len(calls)-1])
	app.render(w, r, status, views.Slow(v))
}

// slowProblem is an error page of /slow, whose way on is to start again.
func slowProblem(title, message string) problem {
	return problem{logAs: "slow login refused", title: title, message: message, retryURL: "/slow", retryText: "Start a login in slow motion again"}
}

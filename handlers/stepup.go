package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/views"
)

// Incremental consent: the app asks for a scope when the user first needs
// it (the /api page's write action), not at the first login. "Allow
// writing" is a new login, /login?next=/api&scope=demo-api.write, with one
// scope more; with a client that asks for consent, Keycloak shows its
// consent screen for that scope only, and the user is not asked for a
// password again while their Keycloak session lives.

// stepUpScope is the allow-list of scopes a login may ask for beyond
// OIDC_SCOPES, and the words the /api page offers each with. Only these:
// /login never passes a scope from a URL to the provider as it came, so a
// link cannot make the app ask the user for anything else.
func stepUpScope(scope string) (action string, ok bool) {
	switch scope {
	case "demo-api.read":
		return "Allow reading", true
	case "demo-api.write":
		return "Allow writing", true
	}
	return "", false
}

// The demo API's write scope, and the longest note the /api page sends.
const (
	scopeWrite   = "demo-api.write"
	maxNoteBytes = 1 << 10
)

// stepUpOrder is the allow-list in the order the scopes are requested.
func stepUpOrder() []string { return []string{"demo-api.read", "demo-api.write"} }

// stepUpScopes reads /login's scope parameter (at most one, from the
// allow-list) and returns the extra scopes for StartLogin: the one asked
// for, and the allow-listed scopes the user was granted already, so that
// a step-up never takes away what an earlier one added. ok is false for
// any other value.
func (app *App) stepUpScopes(r *http.Request) (extra []string, ok bool) {
	asked := r.URL.Query()["scope"]
	switch {
	case len(asked) == 0:
		return nil, true
	case len(asked) > 1:
		return nil, false
	}
	if _, allowed := stepUpScope(asked[0]); !allowed {
		return nil, false
	}
	u, loggedIn, _ := app.sessions.CurrentUser(r.Context())
	for _, s := range stepUpOrder() {
		if s == asked[0] || (loggedIn && u.Tokens.Granted(s)) {
			extra = append(extra, s) // the allow-list's own string
		}
	}
	return extra, true
}

// refuseStepUp is the page of a /login whose scope is not on the list.
func (app *App) refuseStepUp(w http.ResponseWriter, r *http.Request) {
	app.failf(w, r, errBadRequest, problem{
		logAs:     "login refused",
		title:     "This login asks for something the app does not offer",
		message:   "A login may ask for the demo API's scopes demo-api.read or demo-api.write, and nothing else. Start from the app's own buttons.",
		retryURL:  "/api",
		retryText: "Back to the API page",
	}, "login with a scope outside the allow-list: %q", display.Truncate(r.URL.Query().Get("scope"), 64))
}

// providerRefusalMessage is what the callback says when the provider sent
// an error back. access_denied is the user's own choice: "The resource
// owner or authorization server denied the request" (RFC 6749 section
// 4.1.2.1), for example "No" on Keycloak's consent screen.
func providerRefusalMessage(code string, loggedIn bool) string {
	if code != "access_denied" {
		return "The identity provider did not log you in (" + display.Truncate(code, 64) + ")."
	}
	if loggedIn {
		return "You did not allow it (access_denied), so nothing changed: you are still logged in, with the access you had before."
	}
	return "You did not allow this app access (access_denied), so you are not logged in."
}

// stepUpFor is the /api page's offer of a login asking for scope, which
// must be on the allow-list.
func stepUpFor(scope string) *views.StepUp {
	action, ok := stepUpScope(scope)
	if !ok {
		return nil
	}
	return &views.StepUp{Scope: scope, Action: action,
		URL: "/login?next=" + url.QueryEscape("/api") + "&scope=" + url.QueryEscape(scope)}
}

// stepUpForNamed is the offer for the scopes an API's 403 named (space
// separated): the first one on the allow-list; nil when none is, since the
// app asks only for scopes it knows.
func stepUpForNamed(named string) *views.StepUp {
	for _, s := range strings.Split(named, " ") {
		if offer := stepUpFor(s); offer != nil {
			return offer
		}
	}
	return nil
}

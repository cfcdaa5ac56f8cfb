package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// Incremental consent on the /api page (handlers/stepup.go, handlers/api.go):
// the write action needs demo-api.write, which the app asks for only when
// the user wants to write, through a login with one scope more.

// writeNote presses the /api page's write button.
func (b *browser) writeNote(text string) page {
	b.t.Helper()
	return b.post("/api", url.Values{"call": {"write"}, "text": {text}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
}

// follow logs in again through a step-up link and returns the app's answer
// to the callback.
func (b *browser) follow(link string) page {
	b.t.Helper()
	resp := b.get(link)
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("GET %s: %d, want a redirect to the provider\n%s", link, resp.StatusCode, resp.Body)
	}
	authURL, _ := url.Parse(resp.Header.Get("Location"))
	return b.get(b.authorize(authURL).String())
}

func TestWriteAsksForTheScopeFirst(t *testing.T) {
	app, api := newAPITest(t, false)
	b := app.newBrowser()
	b.mustLogin("/api")

	// The first login asked for OIDC_SCOPES only; Keycloak's default scope
	// demo-api.read came with it. The page shows what the token response
	// granted, and offers "Allow writing" instead of the write form.
	if got := app.provider.LastAuthRequest().Scope; got != "openid profile email" {
		t.Errorf("the first login asked for %q, want openid profile email", got)
	}
	doc := parse(t, b.get("/api").Body)
	if got := testIDText(doc, "granted-scopes"); got != "openid profile email demo-api.read" {
		t.Errorf("granted scopes %q", got)
	}
	if doc.Find(`[data-testid="call-write"]`).Length() != 0 {
		t.Error("the write form is shown although demo-api.write was not granted")
	}
	link, _ := doc.Find(`[data-testid="allow-write"]`).Attr("href")
	if link != "/login?next=%2Fapi&scope=demo-api.write" || testIDText(doc, "allow-write") != "Allow writing" {
		t.Fatalf("allow-write link %q (%q)", link, testIDText(doc, "allow-write"))
	}

	// A write without the scope is not sent to the API.
	sent := len(api.received())
	resp := b.writeNote("buy milk")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Body, `data-testid="write-not-sent"`) {
		t.Errorf("a write without the scope: %d, want 403 and the not-sent notice\n%s", resp.StatusCode, resp.Body)
	}
	if len(api.received()) != sent {
		t.Error("the app called the API with a token that cannot write")
	}

	// "Allow writing": a login that asks for demo-api.write too, back to /api.
	resp = b.follow(link)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/api" {
		t.Fatalf("the step-up login: %d to %q, want 303 to /api", resp.StatusCode, resp.Header.Get("Location"))
	}
	// (demo-api.read, granted already, is asked for again: a step-up never
	// takes away what the user has.)
	if got := app.provider.LastAuthRequest().Scope; got != "openid profile email demo-api.read demo-api.write" {
		t.Errorf("the step-up asked for %q, want openid profile email demo-api.read demo-api.write", got)
	}
	doc = parse(t, b.get("/api").Body)
	if !strings.Contains(" "+testIDText(doc, "granted-scopes")+" ", " demo-api.write ") || doc.Find(`[data-testid="call-write"]`).Length() != 1 {
		t.Fatalf("after the step-up: granted %q, write form %d", testIDText(doc, "granted-scopes"), doc.Find(`[data-testid="call-write"]`).Length())
	}

	// The write now works, with the user's access token.
	resp = b.writeNote("buy milk")
	doc = parse(t, resp.Body)
	if resp.StatusCode != http.StatusOK || testIDText(doc, "api-outcome") != "allowed" || !strings.Contains(testIDText(doc, "api-body"), `"text": "buy milk"`) {
		t.Errorf("the write: %d, outcome %q, body %s", resp.StatusCode, testIDText(doc, "api-outcome"), testIDText(doc, "api-body"))
	}
	if !strings.Contains(testIDText(doc, "api-request"), `{"text":"buy milk"}`) {
		t.Errorf("the request shown: %q", testIDText(doc, "api-request"))
	}
	expectNoToken(t, resp.Body, api.lastToken(t))

	// /tokens shows the same granted scopes.
	if got := testIDText(parse(t, b.get("/tokens").Body), "granted-scopes"); !strings.Contains(got, "demo-api.write") {
		t.Errorf("/tokens granted scopes %q", got)
	}
	app.assertNoSecretsLogged()
}

// /login takes no scope from the URL as it came: only one from the
// allow-list, and nothing is sent to the provider for anything else.
func TestLoginRefusesScopesOffTheAllowList(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	for _, query := range []string{
		"scope=demo-api.admin",
		"scope=offline_access",
		"scope=openid%20demo-api.write",
		"scope=demo-api.write%20offline_access",
		"scope=DEMO-API.WRITE",
		"scope=demo-api.write&scope=demo-api.read",
		"scope=",
		"next=%2Fapi&scope=demo-api.write%00",
	} {
		t.Run(query, func(t *testing.T) {
			before := len(app.provider.AuthRequests)
			resp := b.get("/login?" + query)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("GET /login?%s: %d to %q, want a 400 page", query, resp.StatusCode, resp.Header.Get("Location"))
			}
			if len(app.provider.AuthRequests) != before || strings.Contains(app.provider.LastAuthRequest().Scope, "admin") {
				t.Error("the provider saw an authorization request")
			}
		})
	}
	// The allow-listed value goes through as the app's own string.
	authURL := b.startLogin("") // no scope: OIDC_SCOPES only
	if got := authURL.Query().Get("scope"); got != "openid profile email" {
		t.Errorf("plain /login asks for %q", got)
	}
	resp := b.get("/login?scope=demo-api.write")
	u, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || u.Query().Get("scope") != "openid profile email demo-api.write" {
		t.Errorf("GET /login?scope=demo-api.write: %d, scope %q", resp.StatusCode, u.Query().Get("scope"))
	}
}

// When the API answers 403 insufficient_scope naming a scope, the page
// says so and offers the login that asks for it; a later step-up keeps
// what an earlier one added.
func TestAPINamingAMissingScopeOffersTheStepUp(t *testing.T) {
	app, _ := newAPITest(t, false)
	// A client whose read scope is optional too: its tokens cannot read
	// until the user allows it.
	app.provider.SetClientScopes(testprovider.ClientScopes{Default: []string{"profile", "email"},
		Optional: []string{"demo-api.read", "demo-api.write"}})
	b := app.newBrowser()
	b.mustLogin("/api")

	resp := b.callAPI("hello")
	doc := parse(t, resp.Body)
	if testIDText(doc, "api-status") != "403 Forbidden" || !strings.Contains(testIDText(doc, "api-www-authenticate"), `scope="demo-api.read"`) {
		t.Fatalf("hello without demo-api.read: %q %q", testIDText(doc, "api-status"), testIDText(doc, "api-www-authenticate"))
	}
	if !strings.Contains(testIDText(doc, "api-missing-scope"), "demo-api.read") || !strings.Contains(testIDText(doc, "api-explanation"), "lacks the scope demo-api.read") {
		t.Errorf("the page does not say which scope is missing: %q / %q", testIDText(doc, "api-missing-scope"), testIDText(doc, "api-explanation"))
	}
	link, _ := doc.Find(`[data-testid="step-up"]`).Attr("href")
	if link != "/login?next=%2Fapi&scope=demo-api.read" || testIDText(doc, "step-up") != "Allow reading" {
		t.Fatalf("step-up link %q (%q)", link, testIDText(doc, "step-up"))
	}
	b.follow(link)
	if got := testIDText(parse(t, b.callAPI("hello").Body), "api-outcome"); got != "allowed" {
		t.Errorf("hello after allowing reading: %q", got)
	}

	// Then writing: the step-up asks for write and keeps read.
	b.follow("/login?next=%2Fapi&scope=demo-api.write")
	if got := app.provider.LastAuthRequest().Scope; got != "openid profile email demo-api.read demo-api.write" {
		t.Errorf("the second step-up asked for %q, want read kept and write added", got)
	}
	if got := testIDText(parse(t, b.callAPI("hello").Body), "api-outcome"); got != "allowed" {
		t.Errorf("hello after allowing writing: %q", got)
	}
}

// "No" on the consent screen of a step-up: the provider sends
// error=access_denied; the app says so and the session is as it was.
func TestStepUpDeniedKeepsTheSession(t *testing.T) {
	app, _ := newAPITest(t, false)
	b := app.newBrowser()
	b.mustLogin("/api")
	resp := b.get("/login?next=%2Fapi&scope=demo-api.write")
	authURL, _ := url.Parse(resp.Header.Get("Location"))
	denied := app.URL + "/callback?" + url.Values{"error": {"access_denied"}, "state": {authURL.Query().Get("state")},
		"iss": {app.provider.Issuer()}}.Encode()
	resp = b.get(denied)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "You did not allow it (access_denied)") ||
		!strings.Contains(resp.Body, "still logged in") {
		t.Errorf("the denied step-up: %d\n%s", resp.StatusCode, resp.Body)
	}
	doc := parse(t, b.get("/api").Body)
	if got := testIDText(doc, "granted-scopes"); got != "openid profile email demo-api.read" || doc.Find(`[data-testid="allow-write"]`).Length() != 1 {
		t.Errorf("after the denial: granted %q; the offer is still there: %d", got, doc.Find(`[data-testid="allow-write"]`).Length())
	}

	// Denied at the first login: not logged in, and the page says why.
	other := app.newBrowser()
	authURL = other.startLogin("/api")
	resp = other.get(app.URL + "/callback?" + url.Values{"error": {"access_denied"}, "state": {authURL.Query().Get("state")},
		"iss": {app.provider.Issuer()}}.Encode())
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "You did not allow this app access (access_denied), so you are not logged in.") || other.loggedIn() {
		t.Errorf("a denied first login: %d\n%s", resp.StatusCode, resp.Body)
	}
}

// A refresh whose response grants less (a consent withdrawn for write, as
// a provider could do): the app takes the new scope and asks again.
func TestRefreshThatDropsTheScopeAsksAgain(t *testing.T) {
	app, api := newAPITest(t, false)
	b := app.newBrowser()
	b.mustLogin("/api")
	b.follow("/login?next=%2Fapi&scope=demo-api.write")
	if parse(t, b.get("/api").Body).Find(`[data-testid="call-write"]`).Length() != 1 {
		t.Fatal("no write form after the step-up")
	}
	app.provider.SetAccessTokenTTL(5 * time.Second) // refreshed at every use
	b.follow("/login?next=%2Fapi&scope=demo-api.write")
	app.provider.SetClientScopes(testprovider.ClientScopes{Default: []string{"profile", "email", "demo-api.read"}})

	doc := parse(t, b.get("/api").Body) // keepTokensFresh refreshes first
	if got := testIDText(doc, "granted-scopes"); strings.Contains(got, "demo-api.write") || doc.Find(`[data-testid="allow-write"]`).Length() != 1 {
		t.Errorf("after a refresh without demo-api.write: granted %q, offer %d", got, doc.Find(`[data-testid="allow-write"]`).Length())
	}
	sent := len(api.received())
	if resp := b.writeNote("x"); resp.StatusCode != http.StatusForbidden || len(api.received()) != sent {
		t.Errorf("a write after the scope was dropped: %d, API calls %d", resp.StatusCode, len(api.received())-sent)
	}
}

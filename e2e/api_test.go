package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// maskedHeader is how the /api page shows the Authorization header: the
// first 10 characters of the JWT (the start of its header), no more.
var maskedHeader = regexp.MustCompile(`^Bearer eyJ[A-Za-z0-9_-]{7}… \([0-9]+ characters\) \(the access token\)$`)

// aJWT matches a whole JWT (header.payload.): the page must never show one.
var aJWT = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`)

// apiResult is what the /api page shows about the call just made.
type apiResult struct {
	status, outcome, request, authorization, challenge, body string
}

// openAPIPage opens /api from the navigation, logged in.
func (b *browser) openAPIPage() {
	b.t.Helper()
	b.do("open the API page from the navigation", chromedp.Click(chromedp.CSS(`nav a[href="/api"]`)),
		chromedp.WaitVisible(chromedp.CSS(testID("call-hello"))))
	if loc := b.location(); loc != appURL+"/api" {
		b.t.Fatalf("the API page is at %s, want %s/api", loc, appURL)
	}
}

// callAPI presses a button of the /api page and reads the result.
func (b *browser) callAPI(call, desc string) apiResult {
	b.t.Helper()
	b.do(desc, chromedp.Click(chromedp.CSS(testID("call-"+call))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-testid="api-result"][data-call=%q]`, call))))
	r := apiResult{
		status:        b.text(testID("api-status")),
		outcome:       b.text(testID("api-outcome")),
		request:       b.text(testID("api-request")),
		authorization: b.text(testID("api-authorization")),
		body:          b.text(testID("api-body")),
	}
	if b.count(testID("api-www-authenticate")) > 0 {
		r.challenge = b.text(testID("api-www-authenticate"))
	}
	b.t.Logf("  %s → %s (%s)", r.request, r.status, r.outcome)
	if !maskedHeader.MatchString(r.authorization) {
		b.t.Errorf(`the Authorization header is shown as %q, want Bearer + 10 characters + "… (N characters) (the access token)"`, r.authorization)
	}
	html := get(b, "the page's HTML", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if m := aJWT.FindString(html); m != "" {
		b.t.Errorf("the page shows a token: %.40s…", m)
	}
	return r
}

func expectBodyHas(t *testing.T, r apiResult, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.body, p) {
			t.Errorf("the API's answer lacks %s:\n%s", p, r.body)
		}
	}
}

// Scenario 8: alice (realm roles user and admin) calls the demo API through
// the app with her access token: both endpoints answer. Then the app calls
// the API as itself, with a client credentials token: no user in it.
func TestAPICallsAsAliceAndAsTheApp(t *testing.T) {
	b := newBrowser(t)
	b.login("alice", "alice-password")
	b.openAPIPage()
	if aud := b.text(testID("user-token-aud")); !strings.Contains(aud, "demo-api") {
		t.Errorf("alice's access token has aud %q: Keycloak's audience mapper should add demo-api", aud)
	}

	r := b.callAPI("hello", "press Call /api/hello")
	if r.status != "200 OK" || r.outcome != "allowed" {
		t.Errorf("/api/hello for alice: %s (%s), want 200 OK", r.status, r.outcome)
	}
	if !strings.HasPrefix(r.request, "GET "+apiURLOfApp()+"/api/hello") {
		t.Errorf("request shown %q", r.request)
	}
	expectBodyHas(t, r, `"preferred_username": "alice"`, `"azp": "demo-app"`, `"demo-api"`)

	r = b.callAPI("admin", "press Call /api/admin")
	if r.status != "200 OK" || r.challenge != "" {
		t.Errorf("/api/admin for alice: %s, WWW-Authenticate %q; want 200 OK (she has the admin role)", r.status, r.challenge)
	}
	expectBodyHas(t, r, `"preferred_username": "alice"`, `"admin"`)

	r = b.callAPI("app-hello", "press the client credentials button: the app calls as itself")
	if r.status != "200 OK" {
		t.Errorf("/api/hello with the app's own token: %s, want 200 OK", r.status)
	}
	expectBodyHas(t, r, `"preferred_username": "service-account-`+serviceClientID+`"`, `"azp": "`+serviceClientID+`"`)
	if strings.Contains(r.body, "alice") {
		t.Errorf("the app's own call carries alice's identity:\n%s", r.body)
	}
	if got := b.text(testID("service-username")); got != "service-account-"+serviceClientID {
		t.Errorf("service account username shown %q", got)
	}
	for _, id := range []string{"service-id-token", "service-refresh-token"} {
		if got := b.text(testID(id)); !strings.HasPrefix(got, "none") {
			t.Errorf("%s: %q, want none (client credentials give neither)", id, got)
		}
	}
	expectAPILogHasNoToken(t)
}

// Scenario 9: bob has no admin role: the API refuses /api/admin with 403
// and error="insufficient_scope", and the page shows it.
func TestAPIAdminForbiddenForBob(t *testing.T) {
	b := newBrowser(t)
	b.login("bob", "bob-password")
	b.openAPIPage()

	r := b.callAPI("admin", "press Call /api/admin as bob")
	if r.status != "403 Forbidden" || r.outcome != "refused" {
		t.Errorf("/api/admin for bob: %s (%s), want 403 Forbidden", r.status, r.outcome)
	}
	if !strings.Contains(r.challenge, `Bearer realm="demo-api"`) || !strings.Contains(r.challenge, `error="insufficient_scope"`) {
		t.Errorf("WWW-Authenticate shown %q, want a Bearer challenge with error=\"insufficient_scope\"", r.challenge)
	}
	expectBodyHas(t, r, `"error": "insufficient_scope"`)
	// The page with a refusal on it passes the accessibility checks too
	// (a11y_test.go checks /api without a result).
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run: npm ci --prefix e2e", err)
	}
	b.checkPageStructure("/api (a 403 shown)")
	b.runAxe("the API page with a refusal", "/api (a 403 shown)", string(axe))
	b.checkNarrowScreen("the API page with a refusal", "/api (a 403 shown)")

	r = b.callAPI("hello", "press Call /api/hello as bob")
	if r.status != "200 OK" {
		t.Errorf("/api/hello for bob: %s, want 200 OK", r.status)
	}
	expectBodyHas(t, r, `"preferred_username": "bob"`)
	expectAPILogHasNoToken(t)
}

func expectAPILogHasNoToken(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(theAPI.logPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "eyJ") {
		t.Errorf("the demo API's log (%s) contains a token", theAPI.logPath)
	}
}

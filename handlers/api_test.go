package handlers_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/authcode-demo/authcode-demo/internal/demoapi"
	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// demoAPI is the real demo API (internal/demoapi) on loopback, pointed at
// the test provider, recording the tokens it receives.
type demoAPI struct {
	server *httptest.Server
	mu     sync.Mutex
	tokens []string // the bearer tokens received, in order
}

func startDemoAPI(t *testing.T, p *testprovider.Provider) *demoAPI {
	t.Helper()
	// Listen first: the API's public URL (API_PUBLIC_URL, what DPoP
	// proofs' htu must name) is the server's address.
	api := &demoAPI{server: httptest.NewUnstartedServer(nil)}
	settings := demoapi.Settings{Issuer: p.Issuer(), DiscoveryURL: p.Issuer(), Audience: testprovider.APIAudience, AdminRole: "admin",
		PublicURL: "http://" + api.server.Listener.Addr().String()}
	logger := slog.New(slog.DiscardHandler)
	v := demoapi.NewVerifier(settings, &http.Client{Timeout: 2 * time.Second}, logger)
	if err := v.Discover(context.Background()); err != nil {
		t.Fatalf("demo API discovery: %v", err)
	}
	routes := demoapi.NewServer(v, settings, logger).Routes()
	api.server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok { // Bearer or DPoP
			api.mu.Lock()
			api.tokens = append(api.tokens, token)
			api.mu.Unlock()
		}
		routes.ServeHTTP(w, r)
	})
	api.server.Start()
	t.Cleanup(api.server.Close)
	return api
}

func (a *demoAPI) received() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.tokens...)
}

func (a *demoAPI) lastToken(t *testing.T) string {
	t.Helper()
	tokens := a.received()
	if len(tokens) == 0 {
		t.Fatal("the demo API received no bearer token")
	}
	return tokens[len(tokens)-1]
}

// newAPITest starts a provider, the demo API and the app wired to both.
func newAPITest(t *testing.T, service bool) (*testApp, *demoAPI) {
	t.Helper()
	p := testprovider.New()
	t.Cleanup(p.Close)
	api := startDemoAPI(t, p)
	app := newTestApp(t, func(o *appOptions) {
		o.provider = p
		o.apiURL = api.server.URL
		o.service = service
	})
	return app, api
}

func parse(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func testIDText(doc *goquery.Document, id string) string {
	return strings.TrimSpace(doc.Find(`[data-testid="` + id + `"]`).Text())
}

// callAPI presses one of the /api page's buttons (a same-origin POST).
func (b *browser) callAPI(call string) page {
	b.t.Helper()
	return b.post("/api", url.Values{"call": {call}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
}

// expectNoToken fails if the page shows more of token than the masked
// header's first 10 characters.
func expectNoToken(t *testing.T, body, token string) {
	t.Helper()
	if len(token) < 20 {
		t.Fatalf("token %q is too short to be a JWT", token)
	}
	if strings.Contains(body, token[:11]) || strings.Contains(body, strings.Split(token, ".")[1]) || strings.Contains(body, strings.Split(token, ".")[2]) {
		t.Errorf("the page shows the access token (or more than its first 10 characters)")
	}
}

func TestAPIPageNeedsLogin(t *testing.T) {
	app, api := newAPITest(t, true)
	b := app.newBrowser()
	resp := b.get("/api")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Fapi" {
		t.Errorf("GET /api logged out: %d to %q, want 303 to /login?next=%%2Fapi", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = b.callAPI("hello")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("POST /api logged out: %d to %q, want a redirect to log in", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := len(api.received()); n != 0 {
		t.Errorf("the API was called %d times for a logged-out browser", n)
	}
}

// alice (realm roles user and admin) calls both endpoints with her own
// access token; the page shows the request with the header masked, and the
// API's answer.
func TestAPICallsOnTheUsersBehalf(t *testing.T) {
	app, api := newAPITest(t, true)
	b := app.newBrowser()
	b.mustLogin("/api")

	resp := b.get("/api")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api: %d", resp.StatusCode)
	}
	doc := parse(t, resp.Body)
	for _, id := range []string{"call-hello", "call-admin", "call-app-hello"} {
		if doc.Find(`form[method="post"][action="/api"] button[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("no POST form with the button %s", id)
		}
	}
	if aud := testIDText(doc, "user-token-aud"); !strings.Contains(aud, "demo-api") {
		t.Errorf("the page shows the access token's aud as %q, want demo-api in it", aud)
	}
	if doc.Find(`[data-testid="api-result"]`).Length() != 0 {
		t.Error("GET /api shows a result before any call")
	}
	if n := len(api.received()); n != 0 {
		t.Errorf("GET /api called the API %d times; only the buttons should", n)
	}

	for _, call := range []string{"hello", "admin"} {
		t.Run(call, func(t *testing.T) {
			resp := b.callAPI(call)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("POST /api call=%s: %d\n%s", call, resp.StatusCode, resp.Body)
			}
			token := api.lastToken(t)
			doc := parse(t, resp.Body)
			if got := testIDText(doc, "api-status"); got != "200 OK" {
				t.Errorf("status shown %q, want 200 OK", got)
			}
			if got := testIDText(doc, "api-outcome"); got != "allowed" {
				t.Errorf("outcome %q, want allowed", got)
			}
			req := testIDText(doc, "api-request")
			if !strings.HasPrefix(req, "GET "+api.server.URL+"/api/"+call) {
				t.Errorf("request shown %q, want GET %s/api/%s", req, api.server.URL, call)
			}
			if got, want := testIDText(doc, "api-authorization"), display.Authorization("Bearer "+token); got != want || !strings.HasPrefix(got, "Bearer "+token[:10]+"…") {
				t.Errorf("Authorization shown %q, want %q", got, want)
			}
			body := testIDText(doc, "api-body")
			if !strings.Contains(body, `"preferred_username": "alice"`) {
				t.Errorf("the API's answer shown lacks alice:\n%s", body)
			}
			if testIDText(doc, "api-www-authenticate") != "" {
				t.Error("a 200 shown with a WWW-Authenticate header")
			}
			expectNoToken(t, resp.Body, token)
		})
	}
}

// bob lacks the admin role: the API refuses /api/admin with 403, and the
// page shows the refusal and its challenge, not an error page.
func TestAPIForbiddenCallIsShown(t *testing.T) {
	app, api := newAPITest(t, true)
	app.provider.SetUser(testprovider.User{
		Subject: "b0b00000-0000-4000-8000-000000000002", Name: "Bob Builder", PreferredUsername: "bob",
		Email: "bob@example.com", RealmRoles: []string{"user"},
	})
	b := app.newBrowser()
	b.mustLogin("/api")

	resp := b.callAPI("admin")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api call=admin: %d", resp.StatusCode)
	}
	doc := parse(t, resp.Body)
	if got := testIDText(doc, "api-status"); got != "403 Forbidden" {
		t.Errorf("status shown %q, want 403 Forbidden", got)
	}
	if got := testIDText(doc, "api-outcome"); got != "refused" {
		t.Errorf("outcome %q, want refused", got)
	}
	if got := testIDText(doc, "api-www-authenticate"); !strings.Contains(got, `error="insufficient_scope"`) || !strings.Contains(got, `realm="demo-api"`) {
		t.Errorf("WWW-Authenticate shown %q, want a Bearer challenge with error=insufficient_scope", got)
	}
	expectNoToken(t, resp.Body, api.lastToken(t))

	if resp := b.callAPI("hello"); !strings.Contains(resp.Body, "200 OK") {
		t.Errorf("bob's /api/hello is not 200")
	}
}

// The app calling as itself: a client credentials token, whose subject is
// the service account, with no ID token and no refresh token.
func TestAPICallAsTheAppItself(t *testing.T) {
	app, api := newAPITest(t, true)
	b := app.newBrowser()
	b.mustLogin("/api")
	userCalls := len(api.received())

	resp := b.callAPI("app-hello")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api call=app-hello: %d\n%s", resp.StatusCode, resp.Body)
	}
	if len(api.received()) != userCalls+1 {
		t.Fatalf("the API received %d calls, want %d", len(api.received()), userCalls+1)
	}
	token := api.lastToken(t)
	doc := parse(t, resp.Body)
	if got := testIDText(doc, "api-status"); got != "200 OK" {
		t.Errorf("status shown %q, want 200 OK", got)
	}
	body := testIDText(doc, "api-body")
	for _, want := range []string{`"sub": "` + testprovider.ServiceAccountSubject + `"`, `"preferred_username": "service-account-demo-app-service"`, `"azp": "demo-app-service"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the API's answer lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "alice") {
		t.Errorf("the app's own call carries alice's identity:\n%s", body)
	}
	checks := map[string]string{
		"service-sub":      testprovider.ServiceAccountSubject,
		"service-username": "service-account-demo-app-service",
	}
	for id, want := range checks {
		if got := testIDText(doc, id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	for _, id := range []string{"service-id-token", "service-refresh-token"} {
		if got := testIDText(doc, id); !strings.HasPrefix(got, "none") {
			t.Errorf("%s = %q, want none", id, got)
		}
	}
	expectNoToken(t, resp.Body, token)
}

func TestAPIClientCredentialsNotConfigured(t *testing.T) {
	app, api := newAPITest(t, false)
	b := app.newBrowser()
	b.mustLogin("/api")
	doc := parse(t, b.get("/api").Body)
	if got := testIDText(doc, "service-disabled"); !strings.Contains(got, "OIDC_SERVICE_CLIENT_ID") {
		t.Errorf("the page does not say how to enable client credentials: %q", got)
	}
	if doc.Find(`[data-testid="call-app-hello"]`).Length() != 0 {
		t.Error("the client credentials button is shown although it is not configured")
	}
	if resp := b.callAPI("app-hello"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST call=app-hello unconfigured: %d, want 400", resp.StatusCode)
	}
	if n := len(api.received()); n != 0 {
		t.Errorf("the API was called %d times", n)
	}
}

// The API is down: a 502 page that says so, and the app keeps serving.
func TestAPIDownShowsBadGateway(t *testing.T) {
	app, api := newAPITest(t, true)
	b := app.newBrowser()
	b.mustLogin("/api")
	api.server.Close()

	for _, call := range []string{"hello", "app-hello"} {
		resp := b.callAPI(call)
		if resp.StatusCode != http.StatusBadGateway {
			t.Errorf("call=%s with the API down: %d, want 502", call, resp.StatusCode)
		}
		doc := parse(t, resp.Body)
		if got := testIDText(doc, "error-title"); got != "The demo API is not answering" {
			t.Errorf("error title %q", got)
		}
		if strings.Contains(resp.Body, "connection refused") {
			t.Error("the error page shows the internal error")
		}
	}
	if !strings.Contains(app.logs.String(), `msg="demo API call failed"`) {
		t.Errorf("no log line for the failed call:\n%s", app.logs)
	}
	if resp := b.get("/profile"); resp.StatusCode != http.StatusOK {
		t.Errorf("/profile after the failed call: %d", resp.StatusCode)
	}
}

// The API hangs: the app's timeout ends the wait with a 502.
func TestAPIHangingShowsBadGateway(t *testing.T) {
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) })
	app := newTestApp(t, func(o *appOptions) { o.apiURL = hanging.URL })
	b := app.newBrowser()
	b.mustLogin("/api")

	start := time.Now()
	resp := b.callAPI("hello")
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("hanging API: %d, want 502", resp.StatusCode)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the app waited %s for the API; its timeout is 2 s", d)
	}
}

// The buttons make the app send the user's token elsewhere: a POST from
// another site must not.
func TestAPICallRefusesCrossSitePosts(t *testing.T) {
	app, api := newAPITest(t, true)
	b := app.newBrowser()
	b.mustLogin("/api")
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		resp := b.post("/api", url.Values{"call": {"admin"}}, h)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST /api %v: %d, want 403", h, resp.StatusCode)
		}
	}
	if n := len(api.received()); n != 0 {
		t.Errorf("the API was called %d times by cross-site requests", n)
	}
	if resp := b.get("/api?call=admin"); resp.StatusCode != http.StatusOK || len(api.received()) != 0 {
		t.Errorf("GET /api?call=admin: %d and %d API calls; a GET must call nothing", resp.StatusCode, len(api.received()))
	}
	if resp := b.callAPI("no-such-call"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown call: %d, want 400", resp.StatusCode)
	}
}

// keepTokensFresh runs before the call: an expired access token is
// refreshed first, and the API gets the new one.
func TestAPICallRefreshesAnExpiredToken(t *testing.T) {
	app, api := newAPITest(t, false)
	// x/oauth2 treats a token as expired 10 s before its expiry: with a
	// lifetime of 5 s, every request refreshes it.
	app.provider.SetAccessTokenTTL(5 * time.Second)
	b := app.newBrowser()
	b.mustLogin("/api")

	first := b.callAPI("hello")
	second := b.callAPI("hello")
	if !strings.Contains(first.Body, "200 OK") || !strings.Contains(second.Body, "200 OK") {
		t.Fatalf("the calls did not succeed")
	}
	tokens := api.received()
	if len(tokens) != 2 || tokens[0] == tokens[1] {
		t.Errorf("the API received %d tokens (same: %v); want two different, refreshed ones", len(tokens), len(tokens) == 2 && tokens[0] == tokens[1])
	}
	if !strings.Contains(app.logs.String(), `msg="tokens refreshed"`) {
		t.Error("no refresh was logged")
	}
}

// With no API configured, the page says so.
func TestAPIPageWithoutAPI(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/api")
	doc := parse(t, b.get("/api").Body)
	if testIDText(doc, "api-not-configured") == "" {
		t.Error("the page does not say that no API is configured")
	}
	if resp := b.callAPI("hello"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("POST /api without an API: %d, want 503", resp.StatusCode)
	}
}

// The app's own token is reused until it expires: two calls, one client
// credentials grant.
func TestAppTokenIsReusedUntilItExpires(t *testing.T) {
	app, api := newAPITest(t, true)
	b := app.newBrowser()
	b.mustLogin("/api")
	before := app.provider.TokenRequests.Load()
	for i := range 2 {
		if resp := b.callAPI("app-hello"); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /api call=app-hello #%d: %d", i+1, resp.StatusCode)
		}
	}
	if got := app.provider.TokenRequests.Load() - before; got != 1 {
		t.Errorf("two calls as the app made %d token requests, want 1 (the token reused)", got)
	}
	tokens := api.received()
	if len(tokens) < 2 || tokens[len(tokens)-1] != tokens[len(tokens)-2] {
		t.Error("the two calls did not carry the same token")
	}
}

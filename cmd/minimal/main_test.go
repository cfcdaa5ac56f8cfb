package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/testkit/testlog"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// The minimal client against the in-process test provider: the whole login
// as a browser does it, then each check attacked. Every refusal must be a 4xx
// (or a 5xx when the provider fails), leave no logged-in session, and log no
// token.

const (
	testClientID     = "demo-minimal"
	testClientSecret = "test-minimal-secret"
	badState         = "state is not this browser's login" // logged when the state check refuses
)

type harness struct {
	t        *testing.T
	provider *testprovider.Provider
	baseURL  string
	logs     *testlog.Buffer
}

// newHarness starts a test provider that knows the client demo-minimal, and
// the minimal app, on loopback, wired by newServer as run wires it.
func newHarness(t *testing.T) *harness {
	t.Helper()
	provider := testprovider.New()
	t.Cleanup(provider.Close)
	provider.ClientID, provider.ClientSecret = testClientID, testClientSecret

	app := httptest.NewUnstartedServer(nil)
	baseURL := "http://" + app.Listener.Addr().String()
	env := map[string]string{
		"OIDC_ISSUER": provider.Issuer(), "OIDC_CLIENT_ID": testClientID,
		"OIDC_CLIENT_SECRET": testClientSecret, "BASE_URL": baseURL,
	}
	logs := &testlog.Buffer{}
	handler, err := newServer(t.Context(), func(name string) string { return env[name] }, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatalf("newServer: %v", err)
	}
	app.Config.Handler = handler
	app.Start()
	t.Cleanup(app.Close)

	h := &harness{t: t, provider: provider, baseURL: baseURL, logs: logs}
	t.Cleanup(h.checkNoTokenLogged)
	return h
}

// checkNoTokenLogged fails the test if the app logged an ID token, or
// anything that looks like a JWT (access tokens are JWTs here too).
func (h *harness) checkNoTokenLogged() {
	logged := h.logs.String()
	for _, token := range h.provider.IDTokens() {
		if strings.Contains(logged, token) {
			h.t.Errorf("the app logged an ID token:\n%s", logged)
		}
	}
	if strings.Contains(logged, "eyJ") {
		h.t.Errorf("the app logged something that looks like a JWT:\n%s", logged)
	}
}

// browser is one user agent: its own cookies, redirects not followed.
type browser struct {
	h      *harness
	client *http.Client
}

func (h *harness) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, client: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(method, target string, header http.Header) response {
	b.h.t.Helper()
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		b.h.t.Fatal(err)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.h.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header.Get("Location"), string(body), resp.Header}
}

func (b *browser) get(target string) response { return b.do(http.MethodGet, target, nil) }

// startLogin opens /login and follows the redirect to the provider, which
// logs the user in at once; it returns the callback URL the provider sends
// the browser to (with code and state), without opening it.
func (b *browser) startLogin() string {
	b.h.t.Helper()
	login := b.get(b.h.baseURL + "/login")
	if login.status != http.StatusFound || !strings.HasPrefix(login.location, b.h.provider.Issuer()+"/authorize?") {
		b.h.t.Fatalf("GET /login: %d to %q, want 302 to the provider's authorization endpoint", login.status, login.location)
	}
	authorize := b.get(login.location)
	if authorize.status != http.StatusFound || !strings.HasPrefix(authorize.location, b.h.baseURL+"/callback?") {
		b.h.t.Fatalf("the provider answered %d to %q, want 302 to the callback:\n%s", authorize.status, authorize.location, authorize.body)
	}
	return authorize.location
}

// sessionCookie is the value of the app's session cookie in this browser.
func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.h.baseURL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "minimal_session" {
			return c.Value
		}
	}
	return ""
}

// expectLoggedIn checks that the home page shows the test user.
func (b *browser) expectLoggedIn() {
	b.h.t.Helper()
	home := b.get(b.h.baseURL + "/")
	if home.status != http.StatusOK || !strings.Contains(home.body, "Alice Liddell") ||
		!strings.Contains(home.body, "a1b2c3d4-0000-4000-8000-000000000001") {
		b.h.t.Fatalf("GET /: %d, want 200 with Alice Liddell and her sub:\n%s", home.status, home.body)
	}
}

// expectLoggedOut checks that this browser has no logged-in session.
func (b *browser) expectLoggedOut() {
	b.h.t.Helper()
	home := b.get(b.h.baseURL + "/")
	if home.status != http.StatusOK || !strings.Contains(home.body, "You are not logged in") || strings.Contains(home.body, "Alice") {
		b.h.t.Fatalf("GET /: %d, want 200 with nobody logged in:\n%s", home.status, home.body)
	}
}

// expectRefused checks a refusal: the status, the error page, and the
// reason in the log (so that it was refused by the check under test).
func (h *harness) expectRefused(what string, resp response, status int, reason string) {
	h.t.Helper()
	if resp.status != status || !strings.Contains(resp.body, `role="alert"`) {
		h.t.Fatalf("%s: %d, want %d with an error page, refused because %q:\n%s", what, resp.status, status, reason, resp.body)
	}
	lines := strings.Split(strings.TrimSpace(h.logs.String()), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "msg=refused") || !strings.Contains(last, reason) {
		h.t.Fatalf("%s: the last log line does not give the reason %q:\n%s", what, reason, h.logs.String())
	}
}

func TestLoginAndLogout(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()

	callbackURL := b.startLogin()
	req := h.provider.LastAuthRequest()
	if req.ClientID != testClientID || req.RedirectURI != h.baseURL+"/callback" || req.ResponseType != "code" ||
		!strings.Contains(" "+req.Scope+" ", " openid ") || req.State == "" || req.Nonce == "" ||
		req.CodeChallengeMethod != "S256" || req.CodeChallenge == "" {
		t.Fatalf("authorization request %+v lacks a parameter", req)
	}
	before := b.sessionCookie()
	callback := b.get(callbackURL)
	if callback.status != http.StatusSeeOther || callback.location != "/" {
		t.Fatalf("callback: %d to %q, want 303 to /:\n%s", callback.status, callback.location, callback.body)
	}
	// RenewToken: the session that holds the user has a new token.
	if after := b.sessionCookie(); before == "" || after == "" || after == before {
		t.Errorf("session cookie before the callback %q, after %q: want a new one (session fixation)", before, after)
	}
	b.expectLoggedIn()

	logout := b.do(http.MethodPost, h.baseURL+"/logout", http.Header{"Origin": {h.baseURL}, "Sec-Fetch-Site": {"same-origin"}})
	endSession, err := url.Parse(logout.location)
	if logout.status != http.StatusSeeOther || err != nil || !strings.HasPrefix(logout.location, h.provider.Issuer()+"/logout?") {
		t.Fatalf("POST /logout: %d to %q, want 303 to the provider's end_session_endpoint", logout.status, logout.location)
	}
	issued := h.provider.IDTokens()
	if hint := endSession.Query().Get("id_token_hint"); len(issued) != 1 || hint != issued[0] {
		t.Errorf("id_token_hint is not the ID token of the login")
	}
	if got := endSession.Query().Get("post_logout_redirect_uri"); got != h.baseURL+"/" {
		t.Errorf("post_logout_redirect_uri = %q, want %q", got, h.baseURL+"/")
	}
	b.expectLoggedOut()
	// The provider sends the browser back home.
	if back := b.get(logout.location); back.status != http.StatusFound || !strings.HasPrefix(back.location, h.baseURL+"/") {
		t.Fatalf("the provider's logout: %d to %q, want 302 back to %s/", back.status, back.location, h.baseURL)
	}
}

func TestLoginPageSetsAProtectedCookie(t *testing.T) {
	h := newHarness(t)
	cookie := h.newBrowser().get(h.baseURL + "/login").header.Get("Set-Cookie")
	for _, want := range []string{"minimal_session=", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("Set-Cookie %q lacks %s", cookie, want)
		}
	}
}

// Login CSRF (RFC 6749 section 10.12): an attacker's own callback URL, opened
// in the victim's browser, is refused before any token request.
func TestForgedStateIsRefused(t *testing.T) {
	for _, victimStartedLogin := range []bool{true, false} {
		h := newHarness(t)
		attackersCallback := h.newBrowser().startLogin()
		victim := h.newBrowser()
		if victimStartedLogin {
			victim.get(h.baseURL + "/login")
		}
		h.expectRefused("the attacker's callback in the victim's browser", victim.get(attackersCallback), http.StatusBadRequest, badState)
		if n := h.provider.TokenRequests.Load(); n != 0 {
			t.Errorf("%d token requests: the code was used although the state was not the browser's", n)
		}
		victim.expectLoggedOut()
	}
}

func TestMissingStateIsRefused(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	callbackURL, _ := url.Parse(b.startLogin())
	q := callbackURL.Query()
	q.Del("state")
	callbackURL.RawQuery = q.Encode()
	h.expectRefused("a callback without state", b.get(callbackURL.String()), http.StatusBadRequest, badState)

	// No login pending and an empty state: "" must not match "".
	other := h.newBrowser()
	h.expectRefused("an empty state without a login", other.get(h.baseURL+"/callback?state=&code="+q.Get("code")), http.StatusBadRequest, badState)
	if n := h.provider.TokenRequests.Load(); n != 0 {
		t.Errorf("%d token requests: a code was used without a matching state", n)
	}
	b.expectLoggedOut()
	other.expectLoggedOut()
}

// refusedLogin runs a whole login, which must be refused with status and
// reason and leave the browser logged out.
func (h *harness) refusedLogin(status int, reason string) {
	h.t.Helper()
	b := h.newBrowser()
	h.expectRefused("the callback", b.get(b.startLogin()), status, reason)
	b.expectLoggedOut()
}

func TestWrongNonceIsRefused(t *testing.T) {
	h := newHarness(t)
	h.provider.TamperIDToken(func(claims map[string]any) { claims["nonce"] = "the-nonce-of-another-login" })
	h.refusedLogin(http.StatusBadRequest, "id token nonce is not this login's")
	// RFC 9700 section 4.5.3.2: no token is used before the nonce check.
	if n := h.provider.UserInfoCalls.Load(); n != 0 {
		t.Errorf("the access token was used at userinfo (%d calls) before the nonce check", n)
	}
}

func TestTamperedIDTokensAreRefused(t *testing.T) {
	foreignKey := testprovider.ForeignKey()
	cases := []struct {
		name, reason string
		tamper       func(claims map[string]any)
		sign         func(p *testprovider.Provider) func(claims map[string]any) string
	}{
		{name: "another audience too", reason: "id token audiences",
			tamper: func(c map[string]any) { c["aud"] = []string{testClientID, "another-client"} }},
		{name: "not for us", reason: "oidc: expected audience",
			tamper: func(c map[string]any) { c["aud"] = "another-client" }},
		{name: "another issuer", reason: "oidc: id token issued by a different provider",
			tamper: func(c map[string]any) { c["iss"] = "http://127.0.0.1:1/evil" }},
		{name: "expired", reason: "oidc: token is expired",
			tamper: func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }},
		{name: "no nonce", reason: "id token nonce is not this login's",
			tamper: func(c map[string]any) { delete(c, "nonce") }},
		{name: "alg none", reason: "oidc: malformed jwt",
			sign: func(*testprovider.Provider) func(map[string]any) string { return testprovider.SignNone }},
		{name: "signed with a key not the provider's", reason: "failed to verify signature", sign: func(p *testprovider.Provider) func(map[string]any) string {
			kid := p.KeyID() // the provider's kid, another key
			return func(c map[string]any) string { return testprovider.SignWithKey(foreignKey, kid, c) }
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.tamper != nil {
				h.provider.TamperIDToken(tc.tamper)
			}
			if tc.sign != nil {
				h.provider.SignIDTokensWith(tc.sign(h.provider))
			}
			h.refusedLogin(http.StatusBadRequest, tc.reason)
		})
	}
}

// Core 5.3.2: a userinfo response about someone else is refused.
func TestWrongUserinfoSubjectIsRefused(t *testing.T) {
	h := newHarness(t)
	h.provider.SetUserInfoSubject("someone-else")
	h.refusedLogin(http.StatusBadRequest, `userinfo refused: sub \"someone-else\"`)
}

// A used code: replayed in the same browser (its state is used up), and
// pushed into another browser's login (the provider refuses it: single use).
func TestCodeReplayIsRefused(t *testing.T) {
	h := newHarness(t)
	victim := h.newBrowser()
	callbackURL := victim.startLogin()
	victim.get(callbackURL)
	victim.expectLoggedIn()
	tokenRequests := h.provider.TokenRequests.Load()

	h.expectRefused("the same callback again", victim.get(callbackURL), http.StatusBadRequest, badState)
	if n := h.provider.TokenRequests.Load(); n != tokenRequests {
		t.Errorf("the replayed callback reached the token endpoint: its state should have been used up")
	}

	attacker := h.newBrowser()
	h.expectRefused("the used code in the attacker's login", attacker.get(withCode(t, attacker.startLogin(), callbackURL)),
		http.StatusBadRequest, "invalid_grant")
	attacker.expectLoggedOut()
}

// Authorization code injection (RFC 9700 section 4.5): a code stolen before
// the victim used it, pushed into the attacker's own login, is refused
// (PKCE: its challenge is not the attacker's verifier's).
func TestInjectedCodeIsRefused(t *testing.T) {
	h := newHarness(t)
	stolen := h.newBrowser().startLogin() // the victim never gets there
	attacker := h.newBrowser()
	h.expectRefused("the stolen code in the attacker's login", attacker.get(withCode(t, attacker.startLogin(), stolen)),
		http.StatusBadRequest, "invalid_grant")
	attacker.expectLoggedOut()
}

// withCode returns callbackURL with the code of fromURL.
func withCode(t *testing.T, callbackURL, fromURL string) string {
	t.Helper()
	target, _ := url.Parse(callbackURL)
	from, _ := url.Parse(fromURL)
	q := target.Query()
	q.Set("code", from.Query().Get("code"))
	target.RawQuery = q.Encode()
	return target.String()
}

func TestProviderErrorIsShown(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	callbackURL, _ := url.Parse(b.startLogin())
	state := callbackURL.Query().Get("state")
	h.expectRefused("error=access_denied", b.get(h.baseURL+"/callback?error=access_denied&state="+state),
		http.StatusBadRequest, `the provider answered \"access_denied\"`)
	if n := h.provider.TokenRequests.Load(); n != 0 {
		t.Errorf("%d token requests after an error response", n)
	}
	b.expectLoggedOut()
}

func TestProviderDownIsA502(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	callbackURL := b.startLogin()
	h.provider.SetDown(true)
	h.expectRefused("the callback with the provider down", b.get(callbackURL), http.StatusBadGateway, "503 Service Unavailable")
	b.expectLoggedOut()
}

// Logout is a POST, and a cross-site one is refused: the user stays logged in.
func TestLogoutNeedsASameOriginPost(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.get(b.startLogin())
	b.expectLoggedIn()
	if resp := b.get(h.baseURL + "/logout"); resp.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout: %d, want 405", resp.status)
	}
	for _, header := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Origin": {"http://evil.example"}},
	} {
		if resp := b.do(http.MethodPost, h.baseURL+"/logout", header); resp.status != http.StatusForbidden {
			t.Errorf("cross-origin POST /logout %v: %d, want 403", header, resp.status)
		}
	}
	b.expectLoggedIn()
}

func TestRunFailsWithoutAProvider(t *testing.T) {
	env := map[string]string{"OIDC_ISSUER": "http://127.0.0.1:1/realms/demo", "LISTEN_ADDR": "127.0.0.1:0"}
	err := run(t.Context(), func(name string) string { return env[name] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "discovering the provider") {
		t.Fatalf("run without a provider: %v, want a discovery error", err)
	}
}

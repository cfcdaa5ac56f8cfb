package main

// These tests state the seed's flaws as facts, so that the attack lab can
// rely on them: each attack lands here. They run against the in-process
// test provider with PKCE optional, as the realm's client demo-seed is.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
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

const (
	testClientID     = "demo-seed"
	testClientSecret = "demo-seed-secret-change-me"
)

type testSeed struct {
	url      string
	provider *testprovider.Provider
	logs     *testlog.Buffer
}

// startSeed runs the seed on a loopback port against a test provider.
func startSeed(t *testing.T) *testSeed {
	t.Helper()
	p := testprovider.New()
	t.Cleanup(p.Close)
	p.ClientID, p.ClientSecret = testClientID, testClientSecret
	p.SetPKCEOptional(true)

	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	cfg, err := loadConfig(envOf(map[string]string{"BASE_URL": base, "OIDC_ISSUER": p.Issuer()}))
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	s, err := newSeed(t.Context(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = s.routes()
	ts.Start()
	t.Cleanup(ts.Close)
	return &testSeed{url: base, provider: p, logs: logs}
}

func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// browser is one cookie jar that does not follow redirects by itself.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, client: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// get sends GET target with the jar's cookies (and header) and returns the
// status, the Location header and the body.
func (b *browser) get(target string, header http.Header) (int, string, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// redirect GETs target and returns where it redirects to.
func (b *browser) redirect(target string) string {
	b.t.Helper()
	status, location, body := b.get(target, nil)
	if status != http.StatusFound || location == "" {
		b.t.Fatalf("GET %s: HTTP %d Location %q, want a 302\n%s", target, status, location, body)
	}
	if strings.HasPrefix(location, "/") {
		u, _ := url.Parse(target)
		location = u.Scheme + "://" + u.Host + location
	}
	return location
}

// login goes /login?next= → provider → /callback and returns where the
// callback sends the browser.
func (b *browser) login(s *testSeed, next string) string {
	b.t.Helper()
	authURL := b.redirect(s.url + "/login?next=" + url.QueryEscape(next))
	callbackURL := b.redirect(authURL)
	if !strings.HasPrefix(callbackURL, s.url+"/callback?") {
		b.t.Fatalf("the provider sent the browser to %s, want the seed's /callback", callbackURL)
	}
	status, location, body := b.get(callbackURL, nil)
	if status != http.StatusFound {
		b.t.Fatalf("GET /callback: HTTP %d, want 302\n%s", status, body)
	}
	return location
}

// home returns the home page's status line text ("logged in as alice").
func (b *browser) home(s *testSeed) string {
	b.t.Helper()
	status, _, body := b.get(s.url+"/", nil)
	if status != http.StatusOK {
		b.t.Fatalf("GET /: HTTP %d", status)
	}
	return pageStatus(body)
}

// pageStatus reads "logged in", "logged out" and the username off a page.
func pageStatus(body string) string {
	between := func(open, close string) string {
		_, rest, ok := strings.Cut(body, open)
		if !ok {
			return ""
		}
		text, _, _ := strings.Cut(rest, close)
		return text
	}
	state := between(`data-testid="login-state">`, "<")
	if user := between(`data-testid="username">`, "<"); user != "" {
		state += " as " + user
	}
	return state
}

func TestLoginLogsIn(t *testing.T) {
	s := startSeed(t)
	b := newBrowser(t)
	if got := b.home(s); got != "logged out" {
		t.Fatalf("before login the home page says %q, want logged out", got)
	}
	if to := b.login(s, ""); to != "/" {
		t.Errorf("after the callback the browser goes to %q, want /", to)
	}
	if got := b.home(s); got != "logged in as alice" {
		t.Errorf("after login the home page says %q, want logged in as alice", got)
	}
	// The secret went to the token endpoint (client_secret_basic).
	if e := s.provider.LastClientAuthError(); e != "" || s.provider.TokenRequests.Load() != 1 {
		t.Errorf("token requests %d, client authentication error %q", s.provider.TokenRequests.Load(), e)
	}
}

// Flaw: the authorization request has no state, no nonce and no PKCE.
func TestAuthorizationRequestHasNoStateNonceOrPKCE(t *testing.T) {
	s := startSeed(t)
	authURL := newBrowser(t).redirect(s.url + "/login")
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	want := map[string]string{"response_type": "code", "client_id": testClientID, "redirect_uri": s.url + "/callback", "scope": "openid"}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("authorization request %s = %q, want %q", k, q.Get(k), v)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge", "code_challenge_method"} {
		if q.Has(k) {
			t.Errorf("the authorization request has %s=%q: the lab counts on it having none", k, q.Get(k))
		}
	}
	if len(q) != len(want) {
		t.Errorf("the authorization request has %v, want exactly %v", q, want)
	}
}

// Flaw (login CSRF, code injection): a browser that never visited /login
// is logged in by any valid code for the client, with no state: here
// mallory's, which logs the victim in as mallory.
func TestCallbackWithAnyCodeAndNoStateLogsIn(t *testing.T) {
	s := startSeed(t)
	s.provider.SetUser(testprovider.User{Subject: "sub-mallory", PreferredUsername: "mallory", Name: "Mallory", Email: "mallory@example.com"})
	code := s.provider.IssueCode(testprovider.AuthRequest{ClientID: testClientID, RedirectURI: s.url + "/callback", ResponseType: "code"})

	victim := newBrowser(t)
	status, location, body := victim.get(s.url+"/callback?code="+url.QueryEscape(code)+"&iss="+url.QueryEscape("https://other-issuer.example"), nil)
	if status != http.StatusFound || location != "/" {
		t.Fatalf("GET /callback with mallory's code, no state and a foreign iss: HTTP %d Location %q, want 302 to /\n%s", status, location, body)
	}
	if got := victim.home(s); got != "logged in as mallory" {
		t.Errorf("the victim's home page says %q, want logged in as mallory", got)
	}
}

// Flaw (open redirect): next is followed to another site after login.
func TestNextIsFollowedOffSite(t *testing.T) {
	s := startSeed(t)
	const evil = "https://evil.example/phish?x=1"
	if to := newBrowser(t).login(s, evil); to != evil {
		t.Errorf("after login with next=%s the callback redirects to %q, want %q", evil, to, evil)
	}
	if to := newBrowser(t).login(s, "//evil.example/"); to != "//evil.example/" {
		t.Errorf("next=//evil.example/ (scheme-relative): redirected to %q", to)
	}
}

// Flaw (logout CSRF): a cross-site GET /logout logs you out.
func TestGetLogoutLogsOut(t *testing.T) {
	s := startSeed(t)
	b := newBrowser(t)
	b.login(s, "")
	if got := b.home(s); got != "logged in as alice" {
		t.Fatalf("after login: %q", got)
	}
	// What following a link on another site sends (a top-level GET, which
	// carries the cookie; e2e/seed_test.go does it in Chromium).
	crossSite := http.Header{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"navigate"}, "Sec-Fetch-Dest": {"document"}, "Referer": {"https://evil.example/"}}
	if status, location, _ := b.get(s.url+"/logout", crossSite); status != http.StatusFound || location != "/" {
		t.Fatalf("cross-site GET /logout: HTTP %d Location %q, want 302 to /", status, location)
	}
	if got := b.home(s); got != "logged out" {
		t.Errorf("after a cross-site GET /logout the home page says %q, want logged out", got)
	}
}

// Flaw: the session cookie is signed, not encrypted: the access token can be
// read out of it. Its signature does stop changes.
func TestSessionCookieShowsTheAccessToken(t *testing.T) {
	s := startSeed(t)
	b := newBrowser(t)
	b.login(s, "")
	u, _ := url.Parse(s.url)
	var value string
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == cookieName {
			value = c.Value
		}
	}
	payload, _, ok := strings.Cut(value, ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if !ok || err != nil {
		t.Fatalf("cookie %s = %q: not payload.signature", cookieName, value)
	}
	var sess session
	if err := json.Unmarshal(raw, &sess); err != nil {
		t.Fatalf("the cookie's payload is not JSON: %v", err)
	}
	if sess.AccessToken == "" || strings.Count(sess.AccessToken, ".") != 2 {
		t.Errorf("the cookie's payload %s holds no access token (a JWT)", raw)
	}
	if strings.Contains(s.logs.String(), sess.AccessToken) {
		t.Error("the access token is in the log")
	}

	// Changed payload, same signature: the session is gone.
	forged, _ := json.Marshal(session{AccessToken: "forged"})
	tampered := base64.RawURLEncoding.EncodeToString(forged) + value[len(payload):]
	b.client.Jar = nil // the header below must be the only cookie
	status, _, body := b.get(s.url+"/", http.Header{"Cookie": {cookieName + "=" + tampered}})
	if status != http.StatusOK || pageStatus(body) != "logged out" {
		t.Errorf("a cookie with a changed payload: HTTP %d, %q, want logged out", status, pageStatus(body))
	}
}

// Flaw: the access token is the proof of login, whether or not it still
// works: with the provider gone, the home page still says logged in.
func TestAnAccessTokenIsProofEnough(t *testing.T) {
	s := startSeed(t)
	b := newBrowser(t)
	b.login(s, "")
	s.provider.SetDown(true)
	status, _, body := b.get(s.url+"/", nil)
	if status != http.StatusOK || pageStatus(body) != "logged in" || !strings.Contains(body, `data-testid="userinfo-problem"`) {
		t.Errorf("home with the userinfo endpoint down: HTTP %d, %q; want logged in, with the userinfo problem shown", status, pageStatus(body))
	}
}

// A code the token endpoint refuses: an error page, no session.
func TestRefusedCodeIsAnErrorPage(t *testing.T) {
	s := startSeed(t)
	b := newBrowser(t)
	for _, tc := range []struct{ query, want string }{
		{"code=not-a-code", "invalid_grant"},
		{"error=access_denied", "no authorization code"},
	} {
		status, _, body := b.get(s.url+"/callback?"+tc.query, nil)
		if status != http.StatusBadRequest || !strings.Contains(body, tc.want) || !strings.Contains(body, "Deliberately insecure") {
			t.Errorf("GET /callback?%s: HTTP %d, want 400 with %q and the warning\n%s", tc.query, status, tc.want, body)
		}
		if got := b.home(s); got != "logged out" {
			t.Errorf("after GET /callback?%s the home page says %q, want logged out", tc.query, got)
		}
	}
}

// Every page says the app is deliberately insecure and links to /ladder.
func TestEveryPageWarns(t *testing.T) {
	s := startSeed(t)
	b := newBrowser(t)
	check := func(what string, body string) {
		t.Helper()
		for _, want := range []string{`lang="en"`, `name="viewport"`, "<main>", `data-testid="insecure-warning"`, "Deliberately insecure", `href="http://localhost:3000/ladder"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: no %q", what, want)
			}
		}
	}
	_, _, body := b.get(s.url+"/", nil)
	check("home (logged out)", body)
	if !strings.Contains(body, ">Log in</a>") {
		t.Error("home (logged out): no Log in link")
	}
	_, _, body = b.get(s.url+"/nowhere", nil)
	check("not found", body)
	_, _, body = b.get(s.url+"/callback", nil)
	check("callback error", body)
	b.login(s, "")
	_, _, body = b.get(s.url+"/", nil)
	check("home (logged in)", body)
	if !strings.Contains(body, ">Log out</a>") {
		t.Error("home (logged in): no Log out link")
	}
}

func TestRequireLoopback(t *testing.T) {
	for _, ok := range []string{"http://localhost:3004", "http://127.0.0.1:3004", "http://127.9.8.7", "http://[::1]:3004", "https://localhost"} {
		if err := requireLoopback(ok); err != nil {
			t.Errorf("requireLoopback(%q) = %v, want nil", ok, err)
		}
	}
}

// It refuses to start on an address other computers could reach, before
// it talks to the provider or listens.
func TestRefusesNonLoopbackBaseURL(t *testing.T) {
	p := testprovider.New()
	t.Cleanup(p.Close)
	for _, base := range []string{
		"http://example.com:3004", "http://10.0.0.5:3004", "http://0.0.0.0:3004", "http://192.168.1.2",
		"http://localhost.example.com:3004", "http://127.0.0.1.nip.io", "http://[::]:3004", "localhost:3004", "",
	} {
		env := map[string]string{"BASE_URL": base, "LISTEN_ADDR": "127.0.0.1:0", "OIDC_ISSUER": p.Issuer()}
		if base == "" {
			env["BASE_URL"] = " " // set, but not a URL
		}
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		err := run(ctx, envOf(env), io.Discard)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "BASE_URL") {
			t.Errorf("BASE_URL=%q: run returned %v, want a refusal naming BASE_URL", base, err)
			continue
		}
		if strings.Contains(base, ".") && !strings.Contains(err.Error(), "loopback") {
			t.Errorf("BASE_URL=%q: the refusal does not say why (loopback): %v", base, err)
		}
	}
	if n := p.DiscoveryCalls.Load(); n != 0 {
		t.Errorf("the refused runs fetched discovery %d times, want 0", n)
	}
}

// run serves until its context ends, then shuts down.
func TestRunServesAndStops(t *testing.T) {
	p := testprovider.New()
	t.Cleanup(p.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, envOf(map[string]string{"LISTEN_ADDR": addr, "BASE_URL": "http://" + addr, "OIDC_ISSUER": p.Issuer()}), io.Discard)
	}()
	var status int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			status = resp.StatusCode
			resp.Body.Close()
			break
		}
	}
	if status != http.StatusOK {
		t.Fatalf("GET /readyz: %d, want 200", status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after its context ended, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}

// docker compose: discovery at keycloak:8080 names the issuer
// localhost:8080. Here: discovery at localhost names 127.0.0.1. The seed
// takes the endpoints the document names.
func TestDiscoveryAtAnotherAddress(t *testing.T) {
	p := testprovider.New()
	t.Cleanup(p.Close)
	discovery := strings.Replace(p.Issuer(), "127.0.0.1", "localhost", 1)
	cfg, err := loadConfig(envOf(map[string]string{"OIDC_ISSUER": p.Issuer(), "OIDC_DISCOVERY_URL": discovery}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSeed(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("discovery at %s for the issuer %s: %v", cfg.discoveryURL, cfg.issuer, err)
	}
	if s.oauth.Endpoint.TokenURL != p.Issuer()+"/token" || s.userinfoURL != p.Issuer()+"/userinfo" {
		t.Errorf("token endpoint %s, userinfo %s; want the discovery document's", s.oauth.Endpoint.TokenURL, s.userinfoURL)
	}
}

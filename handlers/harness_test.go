package handlers_test

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/app"
	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/config"
	"github.com/authcode-demo/authcode-demo/internal/lab"
	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testclock"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testlog"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// testApp is the real router, wired by the constructor main.go uses
// (internal/app), served over loopback and pointed at an in-process test
// provider.
type testApp struct {
	t        testing.TB
	URL      string
	handler  http.Handler // the router itself, for benchmarks that skip TCP
	provider *testprovider.Provider
	auth     *auth.Client
	logs     *testlog.Buffer
	clock    *testclock.Clock
	server   *httptest.Server // Close it to stop this replica
}

type appOptions struct {
	providerDown    bool          // start with the provider unreachable
	providerTimeout time.Duration // the app's outbound HTTP timeout (0 = 5 s)
	// Replicas: apps given the same provider and the same (Redis) stores
	// serve the same users. nil = a provider of its own, sessions in memory.
	provider *testprovider.Provider
	stores   *session.Stores
	// The /api page: the demo API's URL ("" = none configured), and
	// whether the provider's client credentials client is configured.
	apiURL  string
	service bool
	// providerTransport carries the app's calls to the provider (nil =
	// http.DefaultTransport): tests hold a call there to keep a request
	// in flight.
	providerTransport http.RoundTripper
	https             bool // BASE_URL is https (the test server itself is not)
	tokenPagesOff     bool // TOKEN_PAGES=off
	// par: OIDC_PAR, push every authorization request (RFC 9126).
	par bool
	// clientKey: private_key_jwt with this key, no secret; the provider
	// then accepts only assertions it checks with the app's JWKS.
	clientKey *auth.SigningKey
	// dpopKey: DPoP-bound tokens (RFC 9449) with this key, for the
	// provider and the demo API calls alike.
	dpopKey *auth.SigningKey
	// loginsPerMinute: LOGIN_RATE_LIMIT (0 = off, as for most tests,
	// which send every request from one address).
	loginsPerMinute int
	// lab adjusts the attack lab's settings (lab_test.go).
	lab func(*lab.Settings)
}

func newTestApp(t testing.TB, opts ...func(*appOptions)) *testApp {
	t.Helper()
	var o appOptions
	for _, opt := range opts {
		opt(&o)
	}
	provider := o.provider
	if provider == nil {
		provider = testprovider.New()
		t.Cleanup(provider.Close)
	}
	provider.SetDown(o.providerDown)

	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()

	logs := &testlog.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := testclock.New(time.Now())
	secret := provider.ClientSecret
	if o.clientKey != nil {
		secret = ""
		provider.UseClientJWKS(base + "/.well-known/jwks.json")
	}
	// The app as main.go builds it (internal/app), with the test's
	// provider, clock and stores.
	cfg := providerConfig(provider, base)
	cfg.ClientSecret = secret
	cfg.ProviderTimeout = cmp.Or(o.providerTimeout, 5*time.Second)
	cfg.TokenPages = !o.tokenPagesOff
	cfg.PAR = o.par
	cfg.LoginRateLimit = o.loginsPerMinute
	if o.https {
		cfg.BaseURL.Scheme = "https" // the test server itself is not
	}
	if o.apiURL != "" {
		cfg.APIURL = mustParseURL(o.apiURL)
	}
	if o.service {
		cfg.ServiceClientID, cfg.ServiceClientSecret = testprovider.ServiceClientID, testprovider.ServiceClientSecret
	}
	if o.clientKey != nil {
		cfg.ClientAuth = config.PrivateKeyJWT
	}
	cfg.DPoP = o.dpopKey != nil
	web := buildApp(t, cfg, app.Options{Logger: logger, Stores: o.stores, ClientKey: o.clientKey, DPoPKey: o.dpopKey,
		ProviderTransport: o.providerTransport, Now: clock.Now, Lab: o.lab})

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if o.providerDown {
		go web.Auth.DiscoverInBackground(ctx, 2*time.Second)
	} else if err := web.Auth.Discover(ctx); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	handler := web.Handler
	client := web.Auth
	srv.Config.Handler = handler
	srv.Start()
	t.Cleanup(srv.Close)

	ta := &testApp{t: t, URL: base, handler: handler, provider: provider, auth: client, logs: logs, clock: clock}
	ta.server = srv
	t.Cleanup(ta.assertNoSecretsLogged)
	return ta
}

// assertNoSecretsLogged fails the test if the log holds the client secret,
// an authorization code, a token or a PKCE verifier.
func (a *testApp) assertNoSecretsLogged() {
	logs := a.logs.String()
	if strings.Contains(logs, a.provider.ClientSecret) || strings.Contains(logs, testprovider.ServiceClientSecret) {
		a.t.Errorf("the client secret appears in the log")
	}
	for _, marker := range []string{"code=", "eyJ", "code_verifier", "access_token", "refresh_token", "id_token="} {
		if strings.Contains(logs, marker) {
			a.t.Errorf("the log contains %q (a token or code?):\n%s", marker, logs)
		}
	}
}

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so tests see every hop of the flow.
type browser struct {
	t      testing.TB
	client *http.Client
	app    *testApp
}

func (a *testApp) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: a.t, app: a, client: &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// page is a response with its body read.
type page struct {
	*http.Response
	Body string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{Response: resp, Body: string(body)}
}

// get fetches an app path (or an absolute URL).
func (b *browser) get(target string) page {
	b.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.app.URL + target
	}
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	return b.do(req)
}

// post sends a same-origin form POST, as a browser would from our own page.
func (b *browser) post(path string, form url.Values, headers map[string]string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.app.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return b.do(req)
}

// startLogin does GET /login and returns the provider URL it redirects to.
func (b *browser) startLogin(next string) *url.URL {
	b.t.Helper()
	path := "/login"
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	resp := b.get(path)
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("GET %s: status %d, want a redirect to the provider\n%s", path, resp.StatusCode, resp.Body)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(u.String(), b.app.provider.Issuer()) {
		b.t.Fatalf("GET %s redirected to %q, want the provider", path, resp.Header.Get("Location"))
	}
	return u
}

// authorize visits the provider's authorization URL, which logs the user in
// at once, and returns the callback URL it sends the browser back to.
func (b *browser) authorize(authURL *url.URL) *url.URL {
	b.t.Helper()
	resp := b.get(authURL.String())
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("provider authorize: status %d: %s", resp.StatusCode, resp.Body)
	}
	u, _ := url.Parse(resp.Header.Get("Location"))
	return u
}

// login runs the whole flow and returns the app's answer to the callback.
func (b *browser) login(next string) page {
	b.t.Helper()
	return b.get(b.authorize(b.startLogin(next)).String())
}

// mustLogin logs in and fails the test unless the app redirected to want.
func (b *browser) mustLogin(want string) {
	b.t.Helper()
	resp := b.login(want)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		b.t.Fatalf("login: status %d, Location %q; want 303 to %s\n%s",
			resp.StatusCode, resp.Header.Get("Location"), want, resp.Body)
	}
}

// loggedIn reports whether /profile is served (200) rather than redirected.
func (b *browser) loggedIn() bool {
	b.t.Helper()
	resp := b.get("/profile")
	switch resp.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther, http.StatusFound:
		return false
	}
	b.t.Fatalf("GET /profile: unexpected status %d", resp.StatusCode)
	return false
}

// cookie returns the value of the named cookie for the app, or "".
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.app.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// redisStoresAt connects to the Redis at rawURL, as the app does with
// SESSION_STORE, and closes the connections when the test ends.
func redisStoresAt(t testing.TB, rawURL string) *session.Stores {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	stores := session.NewStores(u)
	t.Cleanup(func() { stores.Close() })
	return stores
}

// memoryStores are the in-memory stores of SESSION_STORE=memory, with the
// session store and the index a test wants to watch or break.
func memoryStores(store scs.Store, index session.Index) *session.Stores {
	s := session.NewStores(nil)
	s.Store, s.Index = store, index
	return s
}

// providerConfig is the app's configuration for the test provider, the
// app served at base, and the defaults of config.example.env.
func providerConfig(provider *testprovider.Provider, base string) config.Config {
	return config.Config{
		BaseURL:         mustParseURL(base),
		Issuer:          provider.Issuer(),
		DiscoveryURL:    provider.Issuer(),
		ClientID:        provider.ClientID,
		ClientSecret:    provider.ClientSecret,
		Scopes:          []string{"openid", "profile", "email"},
		SessionIdle:     30 * time.Minute,
		SessionLifetime: 8 * time.Hour,
		ProviderTimeout: 5 * time.Second,
		APITimeout:      2 * time.Second,
		TokenPages:      true,
	}
}

// buildApp wires the app with internal/app, as main.go does; sessions in
// memory unless opts gives stores.
func buildApp(tb testing.TB, cfg config.Config, opts app.Options) *app.App {
	tb.Helper()
	if opts.Stores == nil {
		// No cleanup goroutine: tests are short, and scs's StopCleanup
		// races with the goroutine's start.
		opts.Stores = &session.Stores{Store: memstore.NewWithCleanupInterval(0), Index: session.NewMemoryIndex(),
			Marks: session.NewMemoryMarks(), Attachments: session.NewMemoryAttachments()}
	}
	web, err := app.New(cfg, opts)
	if err != nil {
		tb.Fatalf("wiring the app: %v", err)
	}
	return web
}

func mustParseURL(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u
}

package handlers_test

// Benchmarks of the request paths a user and the provider hit, through the
// real router (newTestApp wires it as main.go does). Run them with
//
//	go test -run '^$' -bench . -benchmem -count 5 ./handlers/
//
// The "router" variants call app.Routes() directly with a minimal
// ResponseWriter (no TCP, no httptest.ResponseRecorder copying the body),
// so they measure the app alone; the "loopback" variants go through
// net/http over 127.0.0.1 with one keep-alive connection, as a browser
// would. BENCHMARKS.md has the figures and the load run (cmd/loadrun).
//
// Nothing here asserts a duration: benchmarks measure, tests assert.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// sinkWriter is the cheapest ResponseWriter that still behaves like one:
// it keeps headers and the status and counts the body bytes.
type sinkWriter struct {
	header http.Header
	status int
	n      int
}

func newSinkWriter() *sinkWriter { return &sinkWriter{header: http.Header{}} }

func (w *sinkWriter) Header() http.Header { return w.header }

func (w *sinkWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *sinkWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}

func (w *sinkWriter) reset() {
	clear(w.header)
	w.status, w.n = 0, 0
}

// loggedInApp returns a test app with alice logged in through the whole
// flow, her session cookie, and the profile page the app served her.
func loggedInApp(b *testing.B) (*testApp, *http.Cookie, []byte) {
	b.Helper()
	app := newTestApp(b)
	br := app.newBrowser()
	br.mustLogin("/profile")
	profile := br.get("/profile")
	if profile.StatusCode != http.StatusOK || !strings.Contains(profile.Body, "alice@example.com") {
		b.Fatalf("GET /profile: status %d, not alice's profile", profile.StatusCode)
	}
	cookie := &http.Cookie{Name: "session", Value: br.cookie("session")}
	if cookie.Value == "" {
		b.Fatal("no session cookie after login")
	}
	return app, cookie, []byte(profile.Body)
}

// serveLoop runs req through h once per iteration and fails on another status.
func serveLoop(b *testing.B, h http.Handler, req *http.Request, want int) {
	w := newSinkWriter()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, req)
		if w.status != want {
			b.Fatalf("%s %s: status %d, want %d", req.Method, req.URL, w.status, want)
		}
	}
}

// getLoop GETs target over loopback once per iteration and reads the body.
func getLoop(b *testing.B, client *http.Client, target string, cookie *http.Cookie) {
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	req.AddCookie(cookie)
	for b.Loop() {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: status %d", target, resp.StatusCode)
		}
	}
}

// BenchmarkProfile is a logged-in GET /profile: request id, log line,
// security headers, session load (memstore + codec.go decode), the login check,
// the token freshness check (no network: the token is valid) and the templ
// render. No session save: the idle timeout moves the expiry at most once a
// minute (internal/session/idle.go).
func BenchmarkProfile(b *testing.B) {
	app, cookie, page := loggedInApp(b)
	b.Run("router", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/profile", nil)
		req.AddCookie(cookie)
		b.SetBytes(int64(len(page)))
		serveLoop(b, app.handler, req, http.StatusOK)
	})
	b.Run("loopback", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		getLoop(b, &http.Client{}, app.URL+"/profile", cookie)
	})
}

// BenchmarkBareHandler writes the same bytes as the profile page with
// nothing else: the ceiling /profile is compared with.
func BenchmarkBareHandler(b *testing.B) {
	_, cookie, page := loggedInApp(b)
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	b.Run("router", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/profile", nil)
		req.AddCookie(cookie)
		b.SetBytes(int64(len(page)))
		serveLoop(b, bare, req, http.StatusOK)
	})
	b.Run("loopback", func(b *testing.B) {
		srv := httptest.NewServer(bare)
		defer srv.Close()
		b.SetBytes(int64(len(page)))
		getLoop(b, &http.Client{}, srv.URL+"/profile", cookie)
	})
}

// BenchmarkLogin is GET /login from a new browser: state, nonce and PKCE
// verifier (crypto/rand), the authorization URL, a new session holding the
// pending login (codec.go encode + memstore), the session cookie, the redirect.
func BenchmarkLogin(b *testing.B) {
	app := newTestApp(b)
	req := httptest.NewRequest(http.MethodGet, "/login?next=%2Fprofile", nil)
	serveLoop(b, app.handler, req, http.StatusFound)
}

// BenchmarkCallback is the whole GET /callback: pending login lookup, code
// exchange at the provider's token endpoint (loopback), ID token signature
// and claims checks, userinfo (loopback), session rotation and storage.
// It includes the provider's own work, which runs in this process: two
// RS256 signatures at the token endpoint and one verification at userinfo.
// cmd/loadrun measures the app's CPU per login without the provider's.
//
// Every iteration needs an unused code and a pending login: both are made
// before the timer starts (GET /login, then provider.IssueCode with that
// login's nonce and code_challenge, as /authorize would).
func BenchmarkCallback(b *testing.B) { benchmarkCallback(b) }

func benchmarkCallback(b *testing.B, opts ...func(*appOptions)) {
	app := newTestApp(b, opts...)
	// One login first, so discovery and the JWKS are cached as in a
	// running app.
	app.newBrowser().mustLogin("/profile")

	type pendingCallback struct {
		req *http.Request
	}
	prepare := func() pendingCallback {
		w := httptest.NewRecorder()
		app.handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/login?next=%2Fprofile", nil))
		authURL, err := url.Parse(w.Header().Get("Location"))
		if err != nil || w.Code != http.StatusFound || len(w.Result().Cookies()) != 1 {
			b.Fatalf("GET /login: status %d, Location %q", w.Code, w.Header().Get("Location"))
		}
		q := authURL.Query()
		code := app.provider.IssueCode(testprovider.AuthRequest{
			ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
			ResponseType: "code", Scope: q.Get("scope"), State: q.Get("state"), Nonce: q.Get("nonce"),
			CodeChallenge: q.Get("code_challenge"), CodeChallengeMethod: "S256",
		})
		cb := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {app.provider.Issuer()}} // as the provider sends it (RFC 9207)
		req := httptest.NewRequest(http.MethodGet, "/callback?"+cb.Encode(), nil)
		req.AddCookie(w.Result().Cookies()[0])
		return pendingCallback{req: req}
	}

	pending := make([]pendingCallback, b.N)
	for i := range pending {
		pending[i] = prepare()
	}
	w := newSinkWriter()
	b.ResetTimer()
	for i := range b.N {
		w.reset()
		app.handler.ServeHTTP(w, pending[i].req)
		if w.status != http.StatusSeeOther {
			b.Fatalf("GET /callback: status %d, want 303\n%s", w.status, app.logs.String())
		}
	}
}

// BenchmarkBackchannelLogout is POST /backchannel-logout with a valid
// logout token: form parsing, signature and claims checks (go-oidc
// VerifyLogout against the cached JWKS), the jti replay check, and the
// session lookup by sid. Each token has its own jti (a replay is refused)
// and names a provider session with no session here, so the figure is the
// cost of the checks, not of deleting sessions. Tokens are signed before
// the timer starts (RS256 signing is the provider's work).
func BenchmarkBackchannelLogout(b *testing.B) {
	app := newTestApp(b)
	tokens := make([]string, b.N)
	var wg sync.WaitGroup
	const signers = 4
	for s := range signers {
		wg.Go(func() {
			for i := s; i < len(tokens); i += signers {
				tokens[i] = app.provider.Sign(app.provider.LogoutToken("sub-bench", "sid-bench-"+strconv.Itoa(i)))
			}
		})
	}
	wg.Wait()
	reqs := make([]*http.Request, b.N)
	for i, token := range tokens {
		reqs[i] = httptest.NewRequest(http.MethodPost, "/backchannel-logout",
			strings.NewReader(url.Values{"logout_token": {token}}.Encode()))
		reqs[i].Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := newSinkWriter()
	b.ResetTimer()
	for i := range b.N {
		w.reset()
		app.handler.ServeHTTP(w, reqs[i])
		if w.status != http.StatusOK {
			b.Fatalf("POST /backchannel-logout: status %d, want 200\n%s", w.status, app.logs.String())
		}
	}
}

// BenchmarkCallbackPagesOff is BenchmarkCallback with TOKEN_PAGES=off: the
// difference is what the flow inspector's recording costs.
func BenchmarkCallbackPagesOff(b *testing.B) {
	benchmarkCallback(b, func(o *appOptions) { o.tokenPagesOff = true })
}

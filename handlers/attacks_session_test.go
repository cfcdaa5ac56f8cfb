package handlers_test

// Attacks on the browser session: fixation, cookie theft by script,
// open redirects after login, cross-site logout, framing and caching; and
// many users at once, each of whom must only ever see themselves.

import (
	"context"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/session"
)

const sessionCookie = "session" // the cookie's name over http

// Session fixation (OWASP): an attacker plants a session id of theirs in
// the victim's browser, waits for the victim to log in, then uses the id.
// The app renews the session id at login, so the planted id is worthless.
func TestSessionFixation(t *testing.T) {
	app := newTestApp(t)
	attacker := app.newBrowser()
	attacker.startLogin("/profile") // the app hands out a session cookie
	planted := attacker.cookie(sessionCookie)
	if planted == "" {
		t.Fatal("GET /login set no session cookie")
	}

	victim := app.newBrowser()
	appURL, _ := url.Parse(app.URL)
	victim.client.Jar.SetCookies(appURL, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/"}})
	if victim.cookie(sessionCookie) != planted {
		t.Fatal("could not plant the cookie in the victim's browser")
	}

	victim.mustLogin("/profile")
	after := victim.cookie(sessionCookie)
	if after == "" || after == planted {
		t.Fatalf("session cookie after login = %q, want a new value (planted %q): StartUserSession must call RenewToken (session fixation)", after, planted)
	}
	if !victim.loggedIn() {
		t.Error("the victim is not logged in")
	}
	if attacker.loggedIn() {
		t.Fatal("the attacker's browser, holding the planted session id, is logged in as the victim")
	}
}

// The session cookie cannot be read by scripts (HttpOnly) and is not sent
// with cross-site subrequests or POSTs (SameSite=Lax).
func TestSessionCookieAttributes(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	_, callback := b.pendingCallback("/profile")
	resp := b.get(callback.String())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: status %d", resp.StatusCode)
	}
	var c *http.Cookie
	for _, cookie := range resp.Cookies() {
		if cookie.Name == sessionCookie {
			c = cookie
		}
	}
	if c == nil {
		t.Fatalf("the callback set no %q cookie; Set-Cookie: %q", sessionCookie, resp.Header.Values("Set-Cookie"))
	}
	if !c.HttpOnly {
		t.Error("cookie is not HttpOnly")
	}
	if c.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie SameSite = %v, want Lax", c.SameSite)
	}
	if c.Path != "/" {
		t.Errorf("cookie Path = %q, want /", c.Path)
	}
	if c.Domain != "" {
		t.Errorf("cookie Domain = %q, want none (host-only)", c.Domain)
	}
	if c.Secure {
		t.Error("cookie is Secure on http: the browser would never send it back")
	}
}

// Over https the cookie is Secure and uses the __Host- prefix, which
// browsers only accept with Secure, Path=/ and no Domain.
func TestSessionCookieOverHTTPS(t *testing.T) {
	store := memstore.NewWithCleanupInterval(0) // no cleanup goroutine to stop
	m := session.New(session.Options{
		IdleTimeout: time.Hour, Lifetime: time.Hour, Secure: true,
		Store: store, Index: session.NewMemoryIndex(), Marks: session.NewMemoryMarks(),
	})
	failed := func(w http.ResponseWriter, r *http.Request, err error) {
		t.Errorf("session store error: %v", err)
		w.WriteHeader(http.StatusInternalServerError)
	}
	h := m.LoadAndSave(failed)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.AddPendingLogin(r.Context(), "state", session.PendingLogin{Nonce: "n", Verifier: "v", Next: "/profile"})
		io.WriteString(w, "ok")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://app.example/login", nil))

	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies set: %v, want exactly one", cookies)
	}
	c := cookies[0]
	if c.Name != "__Host-session" {
		t.Errorf("cookie name %q, want __Host-session", c.Name)
	}
	if !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie %q: want Secure, HttpOnly, Path=/, no Domain, SameSite=Lax", rec.Header().Get("Set-Cookie"))
	}
	if c.Value == "" {
		t.Error("cookie has no value")
	}
}

// Open redirects (RFC 9700 section 4.11): after login the app redirects to
// next, which must stay on this site whatever an attacker puts in it.
func TestLoginNextCannotLeaveTheSite(t *testing.T) {
	app := newTestApp(t)
	tests := []struct{ next, want string }{
		{"//evil.example", "/profile"},
		{"//evil.example/profile", "/profile"},
		{"/\\evil.example", "/profile"},
		{"\\\\evil.example", "/profile"},
		{"\\/evil.example", "/profile"},
		{"https://evil.example/x", "/profile"},
		{"http:/evil.example", "/profile"},
		{"http:evil.example", "/profile"},
		{"javascript:alert(1)", "/profile"},
		{"JaVaScRiPt:alert(1)", "/profile"},
		{"data:text/html,<script>alert(1)</script>", "/profile"},
		{"evil.example", "/profile"},
		{" /profile", "/profile"},
		{"/\t/evil.example", "/profile"},
		{"/\n/evil.example", "/profile"},
		{"/%2F%2Fevil.example", "/profile"}, // decodes to ///evil.example
		{"/%2fevil.example", "/profile"},    // decodes to //evil.example
		{"/%5Cevil.example", "/profile"},    // decodes to /\evil.example
		{"/\\\\evil.example", "/profile"},
		{"///evil.example", "/profile"},
		{"/" + strings.Repeat("a", 2048), "/profile"}, // too long
		// Local paths are kept, with their query.
		{"/profile?tab=1", "/profile?tab=1"},
		{"/?a=1&b=2", "/?a=1&b=2"},
		{"/profile#section", "/profile"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.next), func(t *testing.T) {
			b := app.newBrowser()
			b.t = t
			resp := b.login(tt.next)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d, want 303\n%s", resp.StatusCode, resp.Body)
			}
			loc := resp.Header.Get("Location")
			if loc != tt.want {
				t.Errorf("Location = %q, want %q", loc, tt.want)
			}
			if strings.Contains(strings.ToLower(loc), "evil") || strings.Contains(loc, "//") || strings.Contains(loc, "\\") {
				t.Errorf("Location %q could leave the site: handleLogin must refuse it with safeNext (it logs %q)", loc, "ignored unsafe next parameter")
			}
		})
	}
}

// Logout is a POST from the app's own pages: another site cannot log the
// user out (CSRF), and a GET (a link, a prefetch, an <img>) never does.
func TestLogoutRefusesCrossSiteRequests(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/profile")

	for _, headers := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"}, // a sibling subdomain is another origin
		{"Origin": "https://evil.example"},
		{"Origin": "null"},
		{"Sec-Fetch-Site": "cross-site", "Origin": app.URL}, // Sec-Fetch-Site wins
	} {
		t.Run(fmt.Sprint(headers), func(t *testing.T) {
			b.t = t
			offset := app.logOffset()
			resp := b.post("/logout", nil, headers)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("status %d, want 403", resp.StatusCode)
			}
			if !strings.Contains(app.logSince(offset), "cross-origin request refused") {
				t.Errorf("the refusal is not logged (crossOriginProtection logs %q)", "cross-origin request refused")
			}
			if !b.loggedIn() {
				t.Fatal("a cross-site POST logged the user out: POST /logout must go through crossOriginProtection (routes.go)")
			}
		})
	}
	b.t = t

	resp := b.get("/logout")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `data-testid="logout-form"`) {
		t.Errorf("GET /logout: status %d, want 200 with the logout form", resp.StatusCode)
	}
	if !b.loggedIn() {
		t.Fatal("GET /logout logged the user out")
	}
	if n := len(app.provider.EndSessionCalls); n != 0 {
		t.Errorf("%d end-session requests, want none", n)
	}
}

var loggedOutNotice = `data-testid="logged-out"`

// A same-origin POST /logout ends the app's session and sends the browser
// to the provider's end_session_endpoint (RP-Initiated Logout 1.0) with the
// ID token from login as id_token_hint; the provider returns it to "/" with
// the state, and only then does the home page confirm the logout.
func TestLogoutEndsBothSessions(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/profile")
	idTokens := app.provider.IDTokens()
	if len(idTokens) != 1 {
		t.Fatalf("provider issued %d ID tokens, want 1", len(idTokens))
	}

	resp := b.post("/logout", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /logout: status %d, want 303\n%s", resp.StatusCode, resp.Body)
	}
	endSession, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(endSession.String(), app.provider.Issuer()+"/logout?") {
		t.Fatalf("POST /logout redirected to %q, want the provider's end_session_endpoint", resp.Header.Get("Location"))
	}
	q := endSession.Query()
	if q.Get("id_token_hint") != idTokens[0] {
		t.Error("id_token_hint is not the ID token issued at login")
	}
	if got := q.Get("post_logout_redirect_uri"); got != app.URL+"/" {
		t.Errorf("post_logout_redirect_uri = %q, want %q", got, app.URL+"/")
	}
	if got := q.Get("client_id"); got != app.provider.ClientID {
		t.Errorf("client_id = %q, want %q", got, app.provider.ClientID)
	}
	state := q.Get("state")
	if len(state) < 32 {
		t.Errorf("state = %q, want a long random value", state)
	}
	if b.loggedIn() {
		t.Fatal("still logged in after POST /logout")
	}

	// Another browser cannot use the state: it belongs to b's session.
	if body := app.newBrowser().get("/?state=" + url.QueryEscape(state)).Body; strings.Contains(body, loggedOutNotice) {
		t.Error("another browser sees the logged-out notice for b's state")
	}

	back := b.get(endSession.String()) // the provider ends its session...
	if back.StatusCode != http.StatusFound {
		t.Fatalf("provider end session: status %d", back.StatusCode)
	}
	home := b.get(back.Header.Get("Location")) // ...and sends the browser home
	if home.StatusCode != http.StatusOK || !strings.Contains(home.Body, loggedOutNotice) {
		t.Errorf("back at %s: status %d, want 200 with the logged-out notice", back.Header.Get("Location"), home.StatusCode)
	}
	if strings.Contains(b.get("/").Body, loggedOutNotice) {
		t.Error("the notice shows again without the state")
	}
	if b.loggedIn() {
		t.Error("logged in after the round trip through the provider")
	}
}

// The logged-out notice needs the state the app sent, not any state.
func TestLogoutNoticeNeedsTheState(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/profile")
	resp := b.post("/logout", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /logout: status %d", resp.StatusCode)
	}
	// The session now holds a logout state, so a notice would be possible.
	home := b.get("/?state=bogus")
	if home.StatusCode != http.StatusOK {
		t.Fatalf("GET /?state=bogus: status %d", home.StatusCode)
	}
	if strings.Contains(home.Body, loggedOutNotice) {
		t.Error("the logged-out notice shows for a state the app never sent")
	}
}

// parseCSP splits a Content-Security-Policy into its directives.
func parseCSP(csp string) map[string][]string {
	directives := map[string][]string{}
	for _, d := range strings.Split(csp, ";") {
		fields := strings.Fields(d)
		if len(fields) > 0 {
			directives[strings.ToLower(fields[0])] = fields[1:]
		}
	}
	return directives
}

func TestSecurityHeaders(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/profile")

	pages := []struct {
		path   string
		status int
	}{
		{"/", http.StatusOK},
		{"/profile", http.StatusOK},
		{"/logout", http.StatusOK},
		{"/callback?state=unknown&code=x", http.StatusBadRequest},
		{"/no-such-page", http.StatusNotFound},
	}
	for _, p := range pages {
		t.Run(p.path, func(t *testing.T) {
			b.t = t
			resp := b.get(p.path)
			if resp.StatusCode != p.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, p.status)
			}
			h := resp.Header
			csp := parseCSP(h.Get("Content-Security-Policy"))
			if got := csp["frame-ancestors"]; !slices.Equal(got, []string{"'none'"}) {
				t.Errorf("CSP frame-ancestors = %q, want 'none' (no framing: clickjacking)", got)
			}
			script, ok := csp["script-src"]
			if !ok {
				script, ok = csp["default-src"]
			}
			if !ok {
				t.Errorf("CSP %q restricts no scripts (neither script-src nor default-src)", h.Get("Content-Security-Policy"))
			}
			for _, source := range script {
				if source == "'unsafe-inline'" || source == "'unsafe-eval'" || source == "*" || strings.HasSuffix(source, ":") {
					t.Errorf("CSP allows scripts from %s", source)
				}
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			// URLs of this app carry codes and states: never send them
			// whole to another site.
			switch got := h.Get("Referrer-Policy"); got {
			case "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin":
			default:
				t.Errorf("Referrer-Policy = %q, want one that keeps URLs on this site", got)
			}
			if got := h.Get("Cache-Control"); !strings.Contains(got, "no-store") {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := h.Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", got)
			}
		})
	}
}

var profileField = regexp.MustCompile(`data-testid="(preferred-username|name|email|sub)">([^<]*)<`)

// profileFields returns the identity fields of a /profile page.
func profileFields(body string) map[string]string {
	fields := map[string]string{}
	for _, m := range profileField.FindAllStringSubmatch(body, -1) {
		fields[m[1]] = m[2]
	}
	return fields
}

// Many users log in at the same moment; each browser's session must hold
// its own user only (run with -race). The test provider picks the user from
// login_hint.
func TestConcurrentLoginsStaySeparate(t *testing.T) {
	app := newTestApp(t)
	const n = 20
	browsers := make([]*browser, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		browsers[i] = app.newBrowser()
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = loginAs(browsers[i], fmt.Sprintf("user%d", i))
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("user%d: %v", i, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Read every profile concurrently too, then check each one.
	bodies := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bodies[i], errs[i] = fetchPage(browsers[i], app.URL+"/profile", http.StatusOK)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("user%d: %v", i, errs[i])
			continue
		}
		user := fmt.Sprintf("user%d", i)
		want := map[string]string{
			"preferred-username": user, "name": "User " + user,
			"email": user + "@example.com", "sub": "sub-" + user,
		}
		if got := profileFields(bodies[i]); !maps.Equal(got, want) {
			t.Errorf("%s's profile shows %v, want %v", user, got, want)
		}
		if !strings.Contains(bodies[i], html.EscapeString(`"email":"`+user+`@example.com"`)) {
			t.Errorf("%s's userinfo is not about %s", user, user)
		}
		for j := range n {
			if j != i && strings.Contains(bodies[i], fmt.Sprintf("user%d@", j)) {
				t.Errorf("%s's profile mentions user%d", user, j)
			}
		}
	}
}

// loginAs runs the login flow for hint without calling t (it runs in a
// goroutine), reporting failures as errors.
func loginAs(b *browser, hint string) error {
	resp, err := b.client.Get(b.app.URL + "/login?next=%2Fprofile")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return fmt.Errorf("GET /login: status %d", resp.StatusCode)
	}
	authURL := resp.Header.Get("Location") + "&login_hint=" + url.QueryEscape(hint)
	for _, step := range []string{"provider", "callback"} {
		resp, err = b.client.Get(authURL)
		if err != nil {
			return err
		}
		resp.Body.Close()
		wantStatus := map[string]int{"provider": http.StatusFound, "callback": http.StatusSeeOther}[step]
		if resp.StatusCode != wantStatus {
			return fmt.Errorf("%s: status %d, want %d", step, resp.StatusCode, wantStatus)
		}
		authURL = resp.Header.Get("Location")
	}
	if authURL != "/profile" {
		return fmt.Errorf("callback redirected to %q, want /profile", authURL)
	}
	return nil
}

// fetchPage GETs target with b's cookies, without calling t.
func fetchPage(b *browser, target string, want int) (string, error) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, target, nil)
	resp, err := b.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != want {
		return string(body), fmt.Errorf("GET %s: status %d, want %d", target, resp.StatusCode, want)
	}
	return string(body), nil
}

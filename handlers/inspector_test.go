package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/session"
)

// withMemStore gives the app a session store and an attachment store the
// test can read, to check what the session record and its attachment hold.
func withMemStore(store *memstore.MemStore, attachments session.Attachments) func(*appOptions) {
	return func(o *appOptions) {
		o.stores = &session.Stores{Store: store, Index: session.NewMemoryIndex(), Marks: session.NewMemoryMarks(), Attachments: attachments}
	}
}

// recordingAttachments remembers every attachment put, to check what the
// flow inspector keeps.
type recordingAttachments struct {
	session.Attachments
	mu     sync.Mutex
	put    [][]byte
	logins int             // records of completed logins (keys flow:login:...)
	live   map[string]bool // keys put and not deleted since
}

func (r *recordingAttachments) Put(ctx context.Context, key string, data []byte, expiry time.Time) error {
	r.mu.Lock()
	r.put = append(r.put, data)
	if strings.HasPrefix(key, "flow:login:") {
		r.logins++
	}
	if r.live == nil {
		r.live = map[string]bool{}
	}
	r.live[key] = true
	r.mu.Unlock()
	return r.Attachments.Put(ctx, key, data, expiry)
}

func (r *recordingAttachments) Delete(ctx context.Context, key string) error {
	r.mu.Lock()
	delete(r.live, key)
	r.mu.Unlock()
	return r.Attachments.Delete(ctx, key)
}

// liveKeys counts the keys put and not deleted that start with prefix.
func (r *recordingAttachments) liveKeys(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for key := range r.live {
		if strings.HasPrefix(key, prefix) {
			n++
		}
	}
	return n
}

// all is everything put: the start of each login, and each completed one.
func (r *recordingAttachments) all() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.put
}

func (r *recordingAttachments) loginRecords() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.logins
}

// htmlDoc parses a page for selecting by data-testid.
func htmlDoc(t *testing.T, p page) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(p.Body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// textOf is the trimmed text of the elements with data-testid id.
func textOf(doc *goquery.Selection, id string) string {
	return strings.TrimSpace(doc.Find(`[data-testid="` + id + `"]`).Text())
}

// secretForms are the ways the client secret could appear: as is, URL
// encoded, and inside the HTTP Basic header x/oauth2 sends.
func secretForms(a *testApp) []string {
	basic := url.QueryEscape(a.provider.ClientID) + ":" + url.QueryEscape(a.provider.ClientSecret)
	return []string{
		a.provider.ClientSecret,
		url.QueryEscape(a.provider.ClientSecret),
		base64.StdEncoding.EncodeToString([]byte(basic)),
		base64.RawURLEncoding.EncodeToString([]byte(basic)),
	}
}

// The flow inspector shows this login's real values: the state, nonce and
// challenge the provider received, the code and verifier, and checks that
// all passed; and never the client secret, in the page or the session.
func TestFlowShowsThisLogin(t *testing.T) {
	store := memstore.NewWithCleanupInterval(0)
	attachments := &recordingAttachments{Attachments: session.NewMemoryAttachments()}
	app := newTestApp(t, withMemStore(store, attachments))
	b := app.newBrowser()
	b.mustLogin("/profile")
	sent := app.provider.LastAuthRequest()

	resp := b.get("/flow")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /flow: status %d\n%s", resp.StatusCode, resp.Body)
	}
	doc := htmlDoc(t, resp)
	d := doc.Selection

	// Step 1: the authorization request, parameter by parameter.
	if got := textOf(d, "auth-url"); !strings.HasPrefix(got, app.provider.Issuer()+"/authorize?") {
		t.Errorf("authorization URL %q is not the provider's authorization endpoint", got)
	}
	for param, want := range map[string]string{
		"response_type":         "code",
		"client_id":             app.provider.ClientID,
		"redirect_uri":          app.URL + "/callback",
		"scope":                 sent.Scope,
		"state":                 sent.State,
		"nonce":                 sent.Nonce,
		"code_challenge":        sent.CodeChallenge,
		"code_challenge_method": "S256",
	} {
		if got := textOf(d, "auth-param-"+param); got != want {
			t.Errorf("step 1 %s = %q, want %q (what the provider received)", param, got, want)
		}
	}

	// Step 2: the callback, its code and the state check.
	code := textOf(d, "callback-code")
	if code == "" {
		t.Error("step 2 shows no code")
	}
	if got := textOf(d, "callback-state"); got != sent.State {
		t.Errorf("step 2 state = %q, want %q", got, sent.State)
	}
	if got := textOf(d, "state-check-outcome"); got != "passed" {
		t.Errorf("state check = %q, want passed", got)
	}
	if textOf(d, "pending-age") == "" {
		t.Error("step 2 does not say how old the pending login was")
	}

	// Step 3: the token request, and PKCE computed on the page and here.
	if got := textOf(d, "token-param-code"); got != code {
		t.Errorf("step 3 code = %q, want the callback's %q", got, code)
	}
	if got := textOf(d, "token-param-grant_type"); got != "authorization_code" {
		t.Errorf("grant_type = %q", got)
	}
	verifier := textOf(d, "pkce-verifier")
	if got := textOf(d, "token-param-code_verifier"); got != verifier || len(verifier) < 43 {
		t.Errorf("code_verifier %q / %q: want the same verifier of at least 43 characters", got, verifier)
	}
	sum := sha256.Sum256([]byte(verifier))
	if s256 := base64.RawURLEncoding.EncodeToString(sum[:]); s256 != sent.CodeChallenge {
		t.Errorf("BASE64URL(SHA256(verifier shown)) = %q, but the provider received code_challenge %q", s256, sent.CodeChallenge)
	}
	if got := textOf(d, "pkce-computed"); got != sent.CodeChallenge {
		t.Errorf("computed challenge shown = %q, want %q", got, sent.CodeChallenge)
	}
	if got := textOf(d, "pkce-challenge"); got != sent.CodeChallenge {
		t.Errorf("challenge shown = %q, want %q", got, sent.CodeChallenge)
	}
	if got := textOf(d, "pkce-match"); !strings.HasPrefix(got, "yes") {
		t.Errorf("PKCE match = %q, want yes", got)
	}
	if got := textOf(d, "client-auth"); got != "client_secret_basic" {
		t.Errorf("client authentication = %q, want client_secret_basic", got)
	}
	if got := textOf(d, "client-id"); got != app.provider.ClientID {
		t.Errorf("client_id = %q", got)
	}
	if got := textOf(d, "client-secret"); !strings.Contains(got, "hidden") {
		t.Errorf("client_secret shown as %q, want it masked", got)
	}

	// Step 4: the token response.
	if got := textOf(d, "token-response-token_type"); !strings.EqualFold(got, "bearer") {
		t.Errorf("token_type = %q", got)
	}
	if got := textOf(d, "token-response-expires_in"); got != "300" {
		t.Errorf("expires_in = %q, want 300 (the provider's access token lifetime)", got)
	}
	for _, tok := range []string{"access_token", "id_token", "refresh_token"} {
		if got := textOf(d, "arrived-"+tok); !strings.Contains(got, "yes") {
			t.Errorf("step 4 says %s came: %q", tok, got)
		}
	}

	// Step 5: every check of the ID token ran and passed.
	if got := textOf(d, "id-token-kid"); got != app.provider.KeyID() {
		t.Errorf("kid = %q, want the provider's %q", got, app.provider.KeyID())
	}
	if got := textOf(d, "id-token-alg"); got != "RS256" {
		t.Errorf("alg = %q, want RS256", got)
	}
	var checked []string
	d.Find(`[data-testid="check"]`).Each(func(_ int, c *goquery.Selection) {
		name, _ := c.Attr("data-check")
		checked = append(checked, name)
		if got := textOf(c, "check-outcome"); got != "passed" {
			t.Errorf("check %s: %q, want passed", name, got)
		}
		if name == "nonce" && textOf(c, "check-value") != sent.Nonce {
			t.Errorf("nonce check shows %q, want the nonce sent %q", textOf(c, "check-value"), sent.Nonce)
		}
	})
	for _, want := range []string{"signature", "iss", "aud", "exp", "iat", "nonce", "sub", "azp", "at_hash"} {
		if !slices.Contains(checked, want) {
			t.Errorf("no %s check shown (checks: %v)", want, checked)
		}
	}

	// Step 6: userinfo.
	if got := textOf(d, "userinfo-endpoint"); !strings.Contains(got, app.provider.Issuer()+"/userinfo") {
		t.Errorf("userinfo request %q", got)
	}
	if got := textOf(d, "userinfo-sub-match"); !strings.HasPrefix(got, "passed") {
		t.Errorf("userinfo sub match = %q", got)
	}

	// The diagram: every numbered arrow links to a step on the page, and
	// every step names its code and its specification.
	links := d.Find(`[data-testid="seq-link"]`)
	if links.Length() < 6 {
		t.Errorf("%d numbered arrows, want at least one per step", links.Length())
	}
	links.Each(func(_ int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		if !strings.HasPrefix(href, "#step-") || d.Find(href).Length() != 1 {
			t.Errorf("arrow %q links to %q, which is not a step on the page", strings.TrimSpace(a.Text()), href)
		}
	})
	for n := 1; n <= 6; n++ {
		step := d.Find("#step-" + strconv.Itoa(n))
		if step.Find(`[data-testid="code-ref"]`).Length() == 0 || step.Find(`[data-testid="spec-ref"]`).Length() == 0 {
			t.Errorf("step %d names no code or no specification", n)
		}
	}

	// The secret: nowhere in the page, nowhere in any session record or
	// in the record kept for /flow.
	records, err := store.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) == 0 {
		t.Fatal("the session store is empty")
	}
	kept := attachments.all()
	for _, secret := range secretForms(app) {
		if strings.Contains(resp.Body, secret) {
			t.Errorf("the flow page contains the client secret (%q)", secret)
		}
		for token, record := range records {
			if strings.Contains(string(record), secret) {
				t.Errorf("session %s… holds the client secret (%q)", token[:6], secret)
			}
		}
		for _, data := range kept {
			if strings.Contains(string(data), secret) {
				t.Errorf("the flow record holds the client secret (%q)", secret)
			}
		}
	}
	// The record really is there, beside the session (the test would pass
	// vacuously otherwise): it holds this login's verifier. The session
	// record, which every request loads, does not.
	found := false
	for _, data := range kept {
		found = found || strings.Contains(string(data), verifier)
	}
	if !found {
		t.Error("no flow record holds the login's verifier")
	}
	for token, record := range records {
		if strings.Contains(string(record), verifier) {
			t.Errorf("session %s… holds the flow record: it belongs beside the session", token[:6])
		}
	}
	// The tokens are on /tokens, not in the record: only their start.
	for _, data := range kept {
		for _, raw := range app.provider.IDTokens() {
			if strings.Contains(string(data), raw) {
				t.Error("the flow record holds a whole ID token")
			}
		}
	}
}

// A second login in the same browser replaces the record: /flow is about
// the most recent login.
func TestFlowIsAboutTheLatestLogin(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/profile")
	first := app.provider.LastAuthRequest()
	b.mustLogin("/flow")
	second := app.provider.LastAuthRequest()
	if first.State == second.State {
		t.Fatal("two logins with the same state")
	}
	d := htmlDoc(t, b.get("/flow")).Selection
	if got := textOf(d, "auth-param-state"); got != second.State {
		t.Errorf("state shown %q, want the second login's %q", got, second.State)
	}
}

// The pages about a user's own login need a login; logged out, they send
// the browser to log in and come back.
func TestInspectorPagesNeedLogin(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	for _, path := range []string{"/flow", "/tokens", "/admin"} {
		resp := b.get(path)
		want := "/login?next=" + url.QueryEscape(path)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("GET %s logged out: status %d Location %q, want 303 to %s", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	b.mustLogin("/flow")
	if resp := b.get("/flow"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /flow after login: status %d", resp.StatusCode)
	}
}

// /grants is public, and explains with RFC 9700's sections.
func TestGrantsPageIsPublic(t *testing.T) {
	app := newTestApp(t)
	resp := app.newBrowser().get("/grants")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /grants: status %d", resp.StatusCode)
	}
	d := htmlDoc(t, resp).Selection
	for _, href := range []string{
		"https://www.rfc-editor.org/rfc/rfc9700#section-2.1.2",
		"https://www.rfc-editor.org/rfc/rfc9700#section-2.4",
		"/api",
	} {
		if d.Find(`a[href="`+href+`"]`).Length() == 0 {
			t.Errorf("/grants has no link to %s", href)
		}
	}
	for _, id := range []string{"grant-code", "grant-implicit", "grant-password", "grant-client-credentials"} {
		if d.Find(`[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("/grants has no section %s", id)
		}
	}
}

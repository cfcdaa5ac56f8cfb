package handlers_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// /tokens renders the raw tokens into the page, the refresh token too: its
// text must not claim that the refresh token never leaves the server.
func TestTokenViewerTellsTheTruthAboutTheRefreshToken(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/tokens")
	page := b.get("/tokens")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("GET /tokens: %d", page.StatusCode)
	}
	if !strings.Contains(page.Body, `data-testid="refresh-token-raw"`) {
		t.Fatal("the page does not render the refresh token (test premise)")
	}
	for _, claim := range []string{"never leaves", "only keycloak reads it"} {
		if strings.Contains(strings.ToLower(page.Body), claim) {
			t.Errorf("the page renders the refresh token yet says %q", claim)
		}
	}
	if !strings.Contains(page.Body, "This page is the exception") {
		t.Error("the page does not say that it shows the refresh token to the browser")
	}
}

// TOKEN_PAGES=off: the pages that render raw tokens are not served (404,
// also for a logged-in user) and not linked from the header.
func TestTokenPagesCanBeTurnedOff(t *testing.T) {
	off := newTestApp(t, func(o *appOptions) { o.tokenPagesOff = true })
	b := off.newBrowser()
	b.mustLogin("/profile")
	for _, path := range []string{"/tokens", "/flow"} {
		if resp := b.get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("TOKEN_PAGES=off: GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	if resp := b.post("/tokens", nil, nil); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("TOKEN_PAGES=off: POST /tokens: %d, want 404 or 405", resp.StatusCode)
	}
	profile := b.get("/profile")
	for _, link := range []string{`href="/tokens"`, `href="/flow"`} {
		if strings.Contains(profile.Body, link) {
			t.Errorf("TOKEN_PAGES=off: /profile still links %s", link)
		}
	}
	if strings.Contains(b.get("/grants").Body, `href="/flow"`) {
		t.Error("TOKEN_PAGES=off: /grants still links /flow")
	}
	// bob (no admin role) gets /admin's 403 page, which links the
	// token viewer only when it is served.
	off.provider.SetUser(testprovider.User{Subject: "bob-sub", PreferredUsername: "bob", Name: "Bob", Email: "bob@example.com", RealmRoles: []string{"user"}})
	bob := off.newBrowser()
	bob.mustLogin("/profile")
	if forbidden := bob.get("/admin"); forbidden.StatusCode != http.StatusForbidden || strings.Contains(forbidden.Body, `href="/tokens`) {
		t.Errorf("TOKEN_PAGES=off: /admin as bob: %d, links /tokens: %v", forbidden.StatusCode, strings.Contains(forbidden.Body, `href="/tokens`))
	}

	// On (the demo's default): served and linked.
	on := newTestApp(t).newBrowser()
	on.mustLogin("/profile")
	for _, path := range []string{"/tokens", "/flow"} {
		if resp := on.get(path); resp.StatusCode != http.StatusOK {
			t.Errorf("TOKEN_PAGES=on: GET %s: %d, want 200", path, resp.StatusCode)
		}
	}
	if !strings.Contains(on.get("/profile").Body, `href="/tokens"`) {
		t.Error("TOKEN_PAGES=on: no link to /tokens")
	}
}

// TOKEN_PAGES=off: /flow is not served, so nothing of the login is
// recorded beside the session either: not its start, not the finished
// record.
func TestTokenPagesOffKeepsNoFlowRecord(t *testing.T) {
	attachments := &recordingAttachments{Attachments: session.NewMemoryAttachments()}
	app := newTestApp(t, withMemStore(memstore.NewWithCleanupInterval(0), attachments),
		func(o *appOptions) { o.tokenPagesOff = true })
	app.newBrowser().mustLogin("/profile")
	if n := len(attachments.all()); n != 0 {
		t.Errorf("TOKEN_PAGES=off: %d flow records kept, want none", n)
	}

	// Control: with the pages on, the same login keeps one.
	on := &recordingAttachments{Attachments: session.NewMemoryAttachments()}
	newTestApp(t, withMemStore(memstore.NewWithCleanupInterval(0), on)).newBrowser().mustLogin("/profile")
	if n := on.loginRecords(); n != 1 {
		t.Errorf("TOKEN_PAGES=on: %d flow records kept, want 1", n)
	}
}

// TOKEN_PAGES=off: no call to the provider is even listened to, so nothing
// is buffered or redacted for /flow (the inspector's transport reads a body
// only for a listened-to request). With the pages on, the login's calls
// are.
func TestTokenPagesOffListensToNothing(t *testing.T) {
	for _, pagesOn := range []bool{false, true} {
		spy := &listeningSpy{}
		app := newTestApp(t, func(o *appOptions) { o.tokenPagesOff = !pagesOn; o.providerTransport = spy })
		app.newBrowser().mustLogin("/profile")
		switch n := spy.listened.Load(); {
		case !pagesOn && n != 0:
			t.Errorf("TOKEN_PAGES=off: %d calls to the provider were listened to, want none", n)
		case pagesOn && n == 0:
			t.Error("TOKEN_PAGES=on: no call of the login was listened to (the control fails)")
		}
	}
}

// listeningSpy passes requests on and counts those made with a context the
// flow inspector listens to.
type listeningSpy struct{ listened atomic.Int32 }

func (s *listeningSpy) RoundTrip(req *http.Request) (*http.Response, error) {
	if inspector.Listening(req.Context()) {
		s.listened.Add(1)
	}
	return http.DefaultTransport.RoundTrip(req)
}

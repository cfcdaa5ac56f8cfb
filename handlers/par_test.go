package handlers_test

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2/memstore"
	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
	"golang.org/x/oauth2"
)

// Pushed Authorization Requests (RFC 9126, internal/auth/par.go).

func withPAR(o *appOptions) { o.par = true }

// withProvider runs the app against p (set up by the test beforehand).
func withProvider(p *testprovider.Provider) func(*appOptions) {
	return func(o *appOptions) { o.provider = p }
}

// With OIDC_PAR the authorization request goes to the provider on the back
// channel, client-authenticated, with state, nonce and the PKCE challenge;
// the browser is sent with client_id and request_uri only, and the login
// completes with the values that were pushed.
func TestPARPushesTheAuthorizationRequest(t *testing.T) {
	app := newTestApp(t, withPAR)
	b := app.newBrowser()

	authURL := b.startLogin("/profile")
	if got := slices.Sorted(maps.Keys(authURL.Query())); !slices.Equal(got, []string{"client_id", "request_uri"}) {
		t.Errorf("the browser is sent with %v, want only client_id and request_uri", got)
	}
	if !strings.HasPrefix(authURL.Query().Get("request_uri"), "urn:ietf:params:oauth:request_uri:") {
		t.Errorf("request_uri = %q, want the provider's", authURL.Query().Get("request_uri"))
	}
	pushed := app.provider.PushedRequests()
	if len(pushed) != 1 {
		t.Fatalf("%d pushed requests, want 1", len(pushed))
	}
	form := pushed[0]
	for _, param := range []string{"state", "nonce", "code_challenge", "redirect_uri", "scope"} {
		if form.Get(param) == "" {
			t.Errorf("the pushed request has no %s", param)
		}
		if strings.Contains(authURL.String(), url.QueryEscape(form.Get(param))) {
			t.Errorf("the %s is in the browser's URL, too", param)
		}
	}
	if form.Get("code_challenge_method") != "S256" || form.Get("response_type") != "code" {
		t.Errorf("pushed request %v: want response_type code and S256", form)
	}
	if form.Has("client_secret") || form.Has("code_verifier") {
		t.Error("the pushed form carries the secret or the verifier")
	}

	resp := b.get(b.authorize(authURL).String())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/profile" {
		t.Fatalf("callback: status %d, Location %q; want 303 to /profile\n%s", resp.StatusCode, resp.Header.Get("Location"), resp.Body)
	}
	if !b.loggedIn() {
		t.Error("not logged in after a pushed login")
	}
	if got := app.provider.LastAuthRequest(); got.State != form.Get("state") || got.RequestURI == "" {
		t.Errorf("the provider authorized %+v, want the pushed request", got)
	}
}

// The provider's metadata can require PAR (RFC 9126 section 5): then the
// app pushes whatever OIDC_PAR says.
func TestPARWhenTheProviderRequiresIt(t *testing.T) {
	p := testprovider.New()
	t.Cleanup(p.Close)
	p.SetRequirePAR(true)
	app := newTestApp(t, withProvider(p)) // OIDC_PAR off
	b := app.newBrowser()
	authURL := b.startLogin("/profile")
	if !authURL.Query().Has("request_uri") || len(p.PushedRequests()) != 1 {
		t.Fatalf("OIDC_PAR off, provider requires PAR: the app sent the browser to %s after %d pushes; want a pushed request",
			authURL, len(p.PushedRequests()))
	}
	resp := b.get(b.authorize(authURL).String())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: status %d\n%s", resp.StatusCode, resp.Body)
	}
}

// Control for the test above: the provider does refuse an authorization
// request that was not pushed, so an app that did not push would fail.
func TestPARRequiredProviderRefusesUnpushedRequests(t *testing.T) {
	p := testprovider.New()
	t.Cleanup(p.Close)
	p.SetRequirePAR(true)
	verifier := oauth2.GenerateVerifier()
	q := url.Values{"client_id": {p.ClientID}, "response_type": {"code"}, "redirect_uri": {"http://localhost/callback"},
		"scope": {"openid"}, "state": {"s"}, "nonce": {"n"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"}}
	resp := mustGetNoRedirect(t, p.Issuer()+"/authorize?"+q.Encode())
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unpushed request answered %d, want 400", resp.StatusCode)
	}
}

// Attack: a request_uri works once (RFC 9126 section 4). Someone who saw
// the browser's URL (history, a proxy log) cannot start a second login
// with it, and neither can a replayed redirect.
func TestPARRequestURIWorksOnce(t *testing.T) {
	app := newTestApp(t, withPAR)
	b := app.newBrowser()
	authURL := b.startLogin("/profile")
	b.authorize(authURL) // used

	resp := b.get(authURL.String())
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("reused request_uri: provider answered %d, want 400", resp.StatusCode)
	}
}

// Attack: parameters added to the browser's URL beside the request_uri
// (say, another redirect_uri) change nothing: only what the app pushed
// counts, so the code still goes to the app's own callback.
func TestPARIgnoresParametersAddedInTheBrowser(t *testing.T) {
	app := newTestApp(t, withPAR)
	b := app.newBrowser()
	authURL := b.startLogin("/profile")
	q := authURL.Query()
	q.Set("redirect_uri", "http://attacker.example/steal")
	q.Set("scope", "openid admin")
	authURL.RawQuery = q.Encode()
	callback := b.authorize(authURL)
	if !strings.HasPrefix(callback.String(), app.URL+"/callback?") {
		t.Errorf("the provider sent the code to %s, want the app's pushed redirect_uri", callback)
	}
}

// When the push fails (the provider is down or refuses it), /login says
// so (502) and starts no login: no redirect, no pending state.
func TestPARFailureStartsNoLogin(t *testing.T) {
	store := memstore.NewWithCleanupInterval(0)
	app := newTestApp(t, withPAR, withMemStore(store, session.NewMemoryAttachments()))
	app.provider.SetDown(true)
	b := app.newBrowser()
	resp := b.get("/login")
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("Location") != "" {
		t.Fatalf("GET /login with the PAR endpoint down: status %d, Location %q; want 502 and no redirect",
			resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := countSessions(t, store); n != 0 {
		t.Errorf("%d sessions stored after a failed push, want 0 (no pending login)", n)
	}
}

// Without OIDC_PAR, and a provider that does not require it, nothing is
// pushed: the default flow is unchanged.
func TestPAROffByDefault(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	authURL := b.startLogin("/profile")
	if authURL.Query().Has("request_uri") || len(app.provider.PushedRequests()) != 0 {
		t.Errorf("the default login pushed its request (%s)", authURL)
	}
}

func mustGetNoRedirect(t *testing.T, target string) *http.Response {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func countSessions(t *testing.T, store *memstore.MemStore) int {
	t.Helper()
	all, err := store.All()
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

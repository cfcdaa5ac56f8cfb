package handlers_test

// The attack lab (/lab): each button fires its attack at this app for
// real, through internal/lab and the app's own routes, against the test
// provider; the app must refuse every one with its ordinary checks. (The
// seed app's side, and Keycloak's login form, are attacked in
// e2e/lab_test.go.)

import (
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/authcode-demo/authcode-demo/internal/app"
	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/lab"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// fire presses a card's button: a same-origin POST, as from the lab's page.
func (b *browser) fire(path, target string) page {
	b.t.Helper()
	return b.post(path, url.Values{"target": {target}}, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": b.app.URL})
}

// expectSentToCallback checks that the lab answered with a 303 to this
// app's callback and returns that URL.
func expectSentToCallback(t *testing.T, a *testApp, resp page) *url.URL {
	t.Helper()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || loc.Scheme+"://"+loc.Host+loc.Path != a.URL+"/callback" {
		t.Fatalf("the lab answered %d, Location %q; want 303 to %s/callback\n%s", resp.StatusCode, resp.Header.Get("Location"), a.URL, resp.Body)
	}
	if loc.Query().Get("code") == "" {
		t.Fatalf("the callback %s carries no code", loc)
	}
	return loc
}

// The lab is served only with the token pages on and BASE_URL on this
// machine, with a card per attack and a link in the navigation; otherwise
// /lab is 404 and no page links to it.
func TestLabServedOnlyOnLoopbackWithTokenPages(t *testing.T) {
	a := newTestApp(t)
	b := a.newBrowser()
	resp := b.get("/lab")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /lab: %d", resp.StatusCode)
	}
	doc := parse(t, resp.Body)
	for _, name := range []string{"login-csrf", "code-injection", "open-redirect", "id-token-tampering", "mix-up", "stolen-dpop-token", "logout-csrf"} {
		if doc.Find(`[data-testid="attack-`+name+`"]`).Length() != 1 {
			t.Errorf("/lab has no card attack-%s", name)
		}
	}
	if doc.Find(`[data-testid="nav-lab"]`).Length() != 1 {
		t.Error("the navigation has no link to /lab")
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self' "+a.provider.Issuer()+" "+lab.DefaultSeedURL+";") {
		t.Errorf("/lab's policy does not let its forms lead to the seed app: %s", csp)
	}
	if home := b.get("/"); strings.Contains(home.Header.Get("Content-Security-Policy"), lab.DefaultSeedURL) {
		t.Error("the seed app is in the form-action of pages outside the lab")
	}

	off := newTestApp(t, func(o *appOptions) { o.tokenPagesOff = true })
	ob := off.newBrowser()
	if resp := ob.get("/lab"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("TOKEN_PAGES=off: GET /lab %d, want 404", resp.StatusCode)
	}
	if strings.Contains(ob.get("/").Body, `href="/lab"`) {
		t.Error("TOKEN_PAGES=off: the home page links to /lab")
	}

	// BASE_URL on another machine: no lab, whatever the token pages say.
	cfg := providerConfig(a.provider, "http://app.example:3000")
	web := buildApp(t, cfg, app.Options{Logger: slog.New(slog.DiscardHandler)})
	for _, path := range []string{"/lab", "/lab/tamper", "/lab/evil/logout"} {
		req, _ := http.NewRequest(http.MethodGet, "http://app.example:3000"+path, nil)
		rec := httptest.NewRecorder()
		web.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound {
			t.Errorf("BASE_URL http://app.example:3000: GET %s %d, want 404", path, rec.Code)
		}
		if path == "/lab" && strings.Contains(rec.Body.String(), `href="/lab"`) {
			t.Error("BASE_URL off this machine: the 404 page links to /lab")
		}
	}
}

// Login CSRF: mallory's code, from her own login at this app, delivered
// to the learner's browser, is refused by the state check and never used.
func TestLabLoginCSRF(t *testing.T) {
	a := newTestApp(t)
	victim := a.newBrowser()
	victim.get("/lab")
	callback := expectSentToCallback(t, a, victim.fire("/lab/login-csrf", "app"))
	if callback.Query().Get("state") == "" {
		t.Fatalf("the attacker's callback %s has no state: it was not from a login at this app", callback)
	}
	tokenRequests := a.provider.TokenRequests.Load()
	offset := a.logOffset()
	resp := victim.get(callback.String())
	expectLoginRefused(t, a, victim, resp, http.StatusBadRequest, offset, "unknown, expired or reused state")
	if !strings.Contains(resp.Body, "This login cannot be completed") {
		t.Error("the page does not say the login cannot be completed")
	}
	if a.provider.TokenRequests.Load() != tokenRequests {
		t.Error("mallory's code was sent to the token endpoint")
	}
}

// Code injection: a code from another login, delivered with the learner's
// own state, passes the state and iss checks and is refused at the token
// endpoint, because it is bound to the other login's code_challenge.
func TestLabCodeInjection(t *testing.T) {
	t.Run("without PAR", func(t *testing.T) { testLabCodeInjection(t) })
	// With PAR the state travels on the back channel; the attacker who
	// injects a code into this browser's callback still needs it, and the
	// refusal is the same.
	t.Run("with PAR", func(t *testing.T) { testLabCodeInjection(t, withPAR) })
}

func testLabCodeInjection(t *testing.T, opts ...func(*appOptions)) {
	a := newTestApp(t, opts...)
	victim := a.newBrowser()
	callback := expectSentToCallback(t, a, victim.fire("/lab/code-injection", "app"))
	// The code is mallory's: her login is the one the provider saw (the
	// victim's browser never went there); the state is not hers but the
	// victim's, which the refusal below shows: the state check passed.
	if callback.Query().Get("state") == a.provider.LastAuthRequest().State {
		t.Fatal("the callback carries mallory's state, not the victim's")
	}
	tokenRequests := a.provider.TokenRequests.Load()
	offset := a.logOffset()
	resp := victim.get(callback.String())
	expectLoginRefused(t, a, victim, resp, http.StatusBadRequest, offset, "token exchange refused by the provider: 400 invalid_grant")
	if a.provider.TokenRequests.Load() != tokenRequests+1 {
		t.Error("the code did not reach the token endpoint: something before PKCE refused it")
	}
}

// Mix-up: a code from the attacker's own provider, with its iss, in answer
// to a login the learner's browser started, is refused by the iss check
// before the code goes anywhere.
func TestLabMixUp(t *testing.T) {
	attacker := testprovider.New()
	t.Cleanup(attacker.Close)
	attacker.SetPKCEOptional(true) // as realm attacker's client attacker-app
	a := newTestApp(t, func(o *appOptions) {
		o.lab = func(s *lab.Settings) { s.AttackerIssuer, s.AttackerClientID = attacker.Issuer(), attacker.ClientID }
	})
	victim := a.newBrowser()
	callback := expectSentToCallback(t, a, victim.fire("/lab/mix-up", "app"))
	if got := callback.Query().Get("iss"); got != attacker.Issuer() {
		t.Fatalf("the callback's iss is %q, want the attacker's provider", got)
	}
	// The state is the victim's: the refusal below comes from the iss
	// check, which the callback makes after the state check.
	offset := a.logOffset()
	resp := victim.get(callback.String())
	expectLoginRefused(t, a, victim, resp, http.StatusBadRequest, offset, "RFC 9207")
	if a.provider.TokenRequests.Load() != 0 || attacker.TokenRequests.Load() != 0 {
		t.Error("the attacker's code was sent to a token endpoint")
	}

	// Without a second provider the card says so and fires nothing.
	plain := newTestApp(t)
	if got := plain.newBrowser().fire("/lab/mix-up", "app"); got.StatusCode != http.StatusBadGateway {
		t.Errorf("no attacker's provider: %d, want 502", got.StatusCode)
	}
}

// ID token tampering: the learner's own token, unchanged, passes the
// login's checks; forged, it is refused, and the page names the check.
func TestLabIDTokenTampering(t *testing.T) {
	a := newTestApp(t)
	b := a.newBrowser()
	if resp := b.get("/lab/tamper"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logged out, GET /lab/tamper: %d, want 303 to log in", resp.StatusCode)
	}
	b.mustLogin("/profile")
	form := parse(t, b.get("/lab/tamper").Body)
	header := strings.TrimSpace(form.Find(`[data-testid="tamper-header"]`).Text())
	claims := strings.TrimSpace(form.Find(`[data-testid="tamper-claims"]`).Text())
	if !strings.Contains(header, `"alg"`) || !strings.Contains(claims, `"nonce"`) {
		t.Fatalf("the bench does not show the ID token: header %q claims %.80q", header, claims)
	}
	check := func(header, claims, sig, nonce string) (int, string) {
		t.Helper()
		resp := b.post("/lab/tamper", url.Values{"header": {header}, "claims": {claims}, "signature": {sig}, "nonce": {nonce}},
			map[string]string{"Sec-Fetch-Site": "same-origin"})
		doc := parse(t, resp.Body)
		if resp.StatusCode == http.StatusOK && doc.Find(`[data-testid="tamper-passed"]`).Length() != 1 {
			t.Errorf("200 without the passed checks:\n%s", resp.Body)
		}
		return resp.StatusCode, strings.TrimSpace(doc.Find(`[data-testid="tamper-check"]`).Text())
	}
	var c map[string]any
	json.Unmarshal([]byte(claims), &c)
	c["aud"] = "another-client"
	otherAud, _ := json.Marshal(c)

	for _, tc := range []struct {
		name, header, claims, sig, nonce string
		status                           int
		check                            string
	}{
		{"unchanged", header, claims, "keep", "mine", http.StatusOK, ""},
		{"alg none", header, claims, "none", "mine", http.StatusBadRequest, auth.CheckSignature},
		{"the lab's key", header, claims, "lab-key", "mine", http.StatusBadRequest, auth.CheckSignature},
		{"aud changed", header, string(otherAud), "keep", "mine", http.StatusBadRequest, auth.CheckSignature},
		{"another login's nonce", header, claims, "keep", "other", http.StatusBadRequest, auth.CheckNonce},
	} {
		status, got := check(tc.header, tc.claims, tc.sig, tc.nonce)
		if status != tc.status || got != tc.check {
			t.Errorf("%s: %d, refused by %q; want %d, %q", tc.name, status, got, tc.status, tc.check)
		}
	}
	if status, _ := check(header, "{not json", "keep", "mine"); status != http.StatusBadRequest {
		t.Errorf("claims that are not JSON: %d, want 400", status)
	}
	// The bench only checks: the session is as it was.
	if !b.loggedIn() {
		t.Error("the bench ended the session")
	}
	// A cross-site POST to the bench is refused.
	resp := b.post("/lab/tamper", url.Values{"header": {header}, "claims": {claims}, "signature": {"keep"}},
		map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST /lab/tamper: %d, want 403", resp.StatusCode)
	}
}

// A stolen access token replayed from the lab's server: this app's
// DPoP-bound token is refused by the demo API three ways; a bearer token
// (the seed's, out of its cookie) is taken.
func TestLabStolenToken(t *testing.T) {
	p := testprovider.New()
	t.Cleanup(p.Close)
	api := startDemoAPI(t, p)
	withAPI := func(o *appOptions) { o.provider, o.apiURL = p, api.server.URL }

	bound := newTestApp(t, withAPI, withDPoP(newClientKey(t)))
	b := bound.newBrowser()
	b.mustLogin("/profile")
	resp := b.fire("/lab/stolen-token/app", "app")
	doc := parse(t, resp.Body)
	if resp.StatusCode != http.StatusOK || doc.Find(`[data-testid="stolen-replay"]`).Length() != 3 {
		t.Fatalf("POST /lab/stolen-token/app: %d, %d replays\n%s", resp.StatusCode, doc.Find(`[data-testid="stolen-replay"]`).Length(), resp.Body)
	}
	doc.Find(`[data-testid="stolen-replay"]`).Each(func(_ int, s *goquery.Selection) {
		status, challenge := s.Find(`[data-testid="stolen-status"]`).Text(), s.Find(`[data-testid="stolen-challenge"]`).Text()
		if status != "401 Unauthorized" || !strings.HasPrefix(challenge, "DPoP ") {
			t.Errorf("%s: %s %q, want 401 with a DPoP challenge", s.Find("h2").Text(), status, challenge)
		}
	})
	if strings.Contains(doc.Find(`[data-testid="stolen-verdict"]`).Text(), "lands") {
		t.Error("the verdict says the attack landed")
	}
	// Control: the app's own call, with its key, works.
	if call := b.callAPI("hello"); !strings.Contains(call.Body, "200 OK") {
		t.Errorf("the app's own call with the bound token failed:\n%.400s", call.Body)
	}

	// A bearer token, as the seed app keeps one in its cookie.
	plain := newTestApp(t, withAPI)
	pb := plain.newBrowser()
	if resp := pb.fire("/lab/stolen-token/app", "app"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logged out, POST /lab/stolen-token/app: %d, want 303 to log in", resp.StatusCode)
	}
	pb.mustLogin("/profile")
	if resp := pb.fire("/lab/stolen-token/app", "app"); resp.StatusCode != http.StatusConflict {
		t.Errorf("bearer tokens here, POST /lab/stolen-token/app: %d, want 409", resp.StatusCode)
	}
	pb.callAPI("hello")
	bearer := api.lastToken(t)
	if resp := pb.fire("/lab/stolen-token/seed", "seed"); resp.StatusCode != http.StatusConflict {
		t.Errorf("no seed cookie: %d, want 409", resp.StatusCode)
	}
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"access_token":"` + bearer + `"}`))
	u, _ := url.Parse(plain.URL)
	pb.client.Jar.SetCookies(u, []*http.Cookie{{Name: lab.SeedCookieName, Value: payload + ".the-seeds-signature"}})
	resp = pb.fire("/lab/stolen-token/seed", "seed")
	doc = parse(t, resp.Body)
	if status := doc.Find(`[data-testid="stolen-status"]`).Text(); resp.StatusCode != http.StatusOK || status != "200 OK" {
		t.Errorf("the seed's bearer token replayed: page %d, API %q; want 200 OK", resp.StatusCode, status)
	}
	if !strings.Contains(doc.Find(`[data-testid="stolen-verdict"]`).Text(), "lands") {
		t.Error("the verdict does not say the attack landed")
	}
	expectNoToken(t, resp.Body, bearer)
}

// The attacker's pages are served at the app's other address (another
// site for the browser), with a policy that lets their form post to the
// app; asked for at the app's own address, they send the browser there.
func TestLabEvilPages(t *testing.T) {
	a := newTestApp(t)
	other := lab.OtherSite(mustParseURL(a.URL))
	b := a.newBrowser()
	if resp := b.get("/lab/evil/logout"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != other.String()+"/lab/evil/logout" {
		t.Errorf("at the app's address: %d %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), other)
	}
	resp := b.get(other.String() + "/lab/evil/logout")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/lab/evil/logout: %d", other, resp.StatusCode)
	}
	doc := parse(t, resp.Body)
	if action, _ := doc.Find("form").Attr("action"); action != a.URL+"/logout" {
		t.Errorf("the attacker's form posts to %q, want %s/logout", action, a.URL)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action "+a.URL+";") {
		t.Errorf("the attacker's page's policy: %s", csp)
	}
	if got := b.get(other.String() + "/lab/evil/elsewhere"); got.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown attacker's page: %d, want 404", got.StatusCode)
	}
	// The form, posted as the browser would from there, is refused.
	refused := b.post("/logout", nil, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": other.String()})
	if refused.StatusCode != http.StatusForbidden {
		t.Errorf("POST /logout from %s: %d, want 403", other, refused.StatusCode)
	}
}

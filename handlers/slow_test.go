package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/oauth2"

	"github.com/authcode-demo/authcode-demo/internal/display"
)

// The login in slow motion (/slow): a real login against the test
// provider, one Continue at a time, and each value a learner may change
// refused by the real machinery: the provider (its error page, its
// invalid_grant) or the app's own checks.

// newSlowApp is an app whose provider knows exactly the redirect URIs of
// /callback and /slow/callback, as the demo realm does.
func newSlowApp(t *testing.T, opts ...func(*appOptions)) *testApp {
	t.Helper()
	a := newTestApp(t, opts...)
	a.provider.RegisterRedirectURIs(a.URL+"/callback", a.URL+"/slow/callback")
	return a
}

// sameOrigin are the headers a browser sends with a form on the app's page.
var sameOrigin = map[string]string{"Sec-Fetch-Site": "same-origin"}

// slowPage fetches /slow and fails unless it shows hop (data-testid
// slow-hop-N) with status 200.
func (b *browser) slowPage(hop string) page {
	b.t.Helper()
	p := b.get("/slow")
	if p.StatusCode != http.StatusOK || !strings.Contains(p.Body, `data-testid="slow-hop-`+hop+`"`) {
		b.t.Fatalf("GET /slow: status %d, want hop %s shown\n%s", p.StatusCode, hop, p.Body)
	}
	return p
}

// slowForm is the values of a hop page's inputs, by name.
func slowForm(t testing.TB, p page) url.Values {
	t.Helper()
	form := url.Values{}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(p.Body))
	if err != nil {
		t.Fatal(err)
	}
	doc.Find("form input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		form.Set(name, value)
	})
	return form
}

// slowContinue posts a hop's Continue and, when it answers 303 to /slow,
// returns "" ; otherwise the test gets the page (a refusal).
func (b *browser) slowContinue(path string, form url.Values) page {
	b.t.Helper()
	return b.post(path, form, sameOrigin)
}

// mustRedirectToSlow fails unless p is the 303 to /slow after a Continue.
func mustRedirectToSlow(t testing.TB, what string, p page) {
	t.Helper()
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/slow" {
		t.Fatalf("%s: status %d, Location %q; want 303 to /slow\n%s", what, p.StatusCode, p.Header.Get("Location"), p.Body)
	}
}

// slowStart starts a login in slow motion and returns hop 1's page.
func (b *browser) slowStart() page {
	b.t.Helper()
	mustRedirectToSlow(b.t, "POST /slow/start", b.slowContinue("/slow/start", nil))
	return b.slowPage("1")
}

// slowToCallback sends hop 1 with change applied to its form, lets the
// provider answer, and returns the provider's answer (a redirect to the
// callback, or its error page) without following it.
func (b *browser) slowAuthorize(change func(url.Values)) page {
	b.t.Helper()
	form := slowForm(b.t, b.slowPage("1"))
	if change != nil {
		change(form)
	}
	sent := b.slowContinue("/slow/authorize", form)
	if sent.StatusCode != http.StatusSeeOther || !strings.HasPrefix(sent.Header.Get("Location"), b.app.provider.Issuer()) {
		b.t.Fatalf("POST /slow/authorize: status %d, Location %q; want 303 to the provider\n%s", sent.StatusCode, sent.Header.Get("Location"), sent.Body)
	}
	return b.get(sent.Header.Get("Location"))
}

// slowThroughCallback does hop 1 (changed) and brings the provider's
// answer to /slow/callback; it returns hop 2's page.
func (b *browser) slowThroughCallback(change func(url.Values)) page {
	b.t.Helper()
	answer := b.slowAuthorize(change)
	if answer.StatusCode != http.StatusFound {
		b.t.Fatalf("provider authorize: status %d\n%s", answer.StatusCode, answer.Body)
	}
	mustRedirectToSlow(b.t, "GET /slow/callback", b.get(answer.Header.Get("Location")))
	return b.slowPage("2")
}

// slowToTokenRequest runs to hop 3's page with the changes given.
func (b *browser) slowToTokenRequest(atAuthorize, atCallback func(url.Values)) page {
	b.t.Helper()
	form := slowForm(b.t, b.slowThroughCallback(atAuthorize))
	if atCallback != nil {
		atCallback(form)
	}
	mustRedirectToSlow(b.t, "POST /slow/callback", b.slowContinue("/slow/callback", form))
	return b.slowPage("3")
}

// The straight run: six hops, each shown before it happens, the real
// back-channel calls made once each, secrets and whole tokens never on a
// page, every ID token check passed, and nobody logged in at the end.
func TestSlowLoginStraightThrough(t *testing.T) {
	app := newSlowApp(t)
	b := app.newBrowser()
	hop1 := b.slowStart()
	doc := htmlDoc(t, hop1)
	authURL := textOf(doc.Selection, "slow-auth-url")
	if !strings.HasPrefix(authURL, app.provider.Issuer()+"/authorize?") || !strings.Contains(authURL, "redirect_uri="+url.QueryEscape(app.URL+"/slow/callback")) {
		t.Errorf("hop 1 shows %q, want the provider's authorization endpoint with /slow/callback as redirect_uri", authURL)
	}
	for _, name := range []string{"state", "redirect_uri", "scope", "code_challenge"} {
		if doc.Find(`label[for="edit-`+name+`"]`).Length() != 1 || doc.Find(`input#edit-`+name).Length() != 1 {
			t.Errorf("hop 1 has no labelled input for %s", name)
		}
	}

	hop3 := b.slowToTokenRequest(nil, nil)
	request := textOf(htmlDoc(t, hop3).Selection, "slow-token-request")
	for _, want := range []string{"POST " + app.provider.Issuer() + "/token", "Authorization: Basic " + display.Redacted, "grant_type=authorization_code", "code_verifier="} {
		if !strings.Contains(request, want) {
			t.Errorf("hop 3's token request lacks %q:\n%s", want, request)
		}
	}
	if app.provider.TokenRequests.Load() != 0 {
		t.Errorf("the token request went before hop 3's Continue")
	}

	mustRedirectToSlow(t, "POST /slow/token", b.slowContinue("/slow/token", slowForm(t, hop3)))
	hop4 := b.slowPage("4")
	if got := textOf(htmlDoc(t, hop4).Selection, "slow-token-response"); !strings.HasPrefix(got, "HTTP 200") || !strings.Contains(got, `"id_token": "eyJ`) {
		t.Errorf("hop 4 shows the token response as %q", got)
	}

	mustRedirectToSlow(t, "POST /slow/id-token", b.slowContinue("/slow/id-token", nil))
	hop5 := htmlDoc(t, b.slowPage("5"))
	hop5.Find(`[data-testid="check"]`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("data-check")
		if outcome := textOf(s, "check-outcome"); outcome != "passed" && name != "azp" {
			t.Errorf("ID token check %s: %q, want passed", name, outcome)
		}
	})
	if n := hop5.Find(`[data-testid="check"]`).Length(); n != 9 {
		t.Errorf("hop 5 lists %d checks, want all 9 of auth.IDTokenChecks", n)
	}
	if got := textOf(hop5.Selection, "slow-userinfo-request"); !strings.Contains(got, "Authorization: Bearer eyJ") || !strings.Contains(got, "characters)") {
		t.Errorf("hop 5's userinfo request: %q, want the access token abbreviated", got)
	}
	if app.provider.UserInfoCalls.Load() != 0 {
		t.Errorf("userinfo was called before hop 5's Continue")
	}

	mustRedirectToSlow(t, "POST /slow/userinfo", b.slowContinue("/slow/userinfo", nil))
	hop6 := b.slowPage("6")
	if got := textOf(htmlDoc(t, hop6).Selection, "slow-userinfo-match"); !strings.HasPrefix(got, "passed") {
		t.Errorf("hop 6: userinfo sub match %q", got)
	}
	if !strings.Contains(hop6.Body, `data-testid="slow-not-logged-in"`) || b.loggedIn() {
		t.Errorf("the login in slow motion logged the browser in")
	}
	if app.provider.TokenRequests.Load() != 1 || app.provider.UserInfoCalls.Load() != 1 {
		t.Errorf("%d token requests and %d userinfo calls, want one each", app.provider.TokenRequests.Load(), app.provider.UserInfoCalls.Load())
	}

	// Nothing secret on any page: not the client secret, not a whole token.
	pages := hop1.Body + hop3.Body + hop4.Body + hop6.Body
	for _, leak := range append(secretForms(app), app.provider.IDTokens()...) {
		if strings.Contains(pages, leak) {
			t.Errorf("a page of /slow shows %.20q…", leak)
		}
	}
	// A reload of a Continue changes nothing: that hop is over (409).
	if p := b.slowContinue("/slow/token", url.Values{"code_verifier": {"x"}}); p.StatusCode != http.StatusConflict {
		t.Errorf("hop 3's Continue again: status %d, want 409", p.StatusCode)
	}
}

// Each value a learner may change, refused by whoever really refuses it.
func TestSlowLoginChangesAreRefused(t *testing.T) {
	otherChallenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	tests := []struct {
		name string
		run  func(t *testing.T, app *testApp, b *browser) page // the refusal
		// the refusal: status, and a text of its page
		status int
		want   string
		// whether the token endpoint was asked at all
		tokenRequests int64
	}{
		{"hop 1 state: the app finds no login under it", func(t *testing.T, app *testApp, b *browser) page {
			hop2 := b.slowThroughCallback(func(f url.Values) { f.Set("state", "a-state-this-browser-never-sent") })
			if got := textOf(htmlDoc(t, hop2).Selection, "slow-callback-state"); got != "a-state-this-browser-never-sent" {
				t.Errorf("the callback came back with state %q", got)
			}
			return b.slowContinue("/slow/callback", slowForm(t, hop2))
		}, http.StatusBadRequest, "unknown state", 0},

		{"hop 1 redirect_uri: the provider's own error page, no redirect", func(t *testing.T, app *testApp, b *browser) page {
			return b.slowAuthorize(func(f url.Values) { f.Set("redirect_uri", app.URL+"/somewhere-else") })
		}, http.StatusBadRequest, "Invalid parameter: redirect_uri", 0},

		{"hop 1 scope without openid: no ID token, the app refuses the token response", func(t *testing.T, app *testApp, b *browser) page {
			hop3 := b.slowToTokenRequest(func(f url.Values) { f.Set("scope", "profile email") }, nil)
			return b.slowContinue("/slow/token", slowForm(t, hop3))
		}, http.StatusBadRequest, "no ID token", 1},

		{"hop 1 code_challenge: invalid_grant at the token endpoint", func(t *testing.T, app *testApp, b *browser) page {
			hop3 := b.slowToTokenRequest(func(f url.Values) { f.Set("code_challenge", otherChallenge) }, nil)
			if got := textOf(htmlDoc(t, hop3).Selection, "slow-pkce-match"); !strings.HasPrefix(got, "no") {
				t.Errorf("hop 3 says the verifier fits the changed challenge: %q", got)
			}
			return b.slowContinue("/slow/token", slowForm(t, hop3))
		}, http.StatusBadRequest, "invalid_grant", 1},

		{"hop 2 code: invalid_grant at the token endpoint", func(t *testing.T, app *testApp, b *browser) page {
			hop3 := b.slowToTokenRequest(nil, func(f url.Values) { f.Set("code", "a-code-nobody-issued") })
			return b.slowContinue("/slow/token", slowForm(t, hop3))
		}, http.StatusBadRequest, "invalid_grant", 1},

		{"hop 2 state: the app finds no login under it", func(t *testing.T, app *testApp, b *browser) page {
			form := slowForm(t, b.slowThroughCallback(nil))
			form.Set("state", "a-state-this-browser-never-sent")
			return b.slowContinue("/slow/callback", form)
		}, http.StatusBadRequest, "unknown state", 0},

		{"hop 3 code_verifier: invalid_grant at the token endpoint", func(t *testing.T, app *testApp, b *browser) page {
			form := slowForm(t, b.slowToTokenRequest(nil, nil))
			form.Set("code_verifier", oauth2.GenerateVerifier())
			return b.slowContinue("/slow/token", form)
		}, http.StatusBadRequest, "invalid_grant", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newSlowApp(t)
			b := app.newBrowser()
			b.slowStart()
			refusal := tt.run(t, app, b)
			if refusal.StatusCode != tt.status || !strings.Contains(refusal.Body, tt.want) {
				t.Errorf("status %d, want %d with %q:\n%s", refusal.StatusCode, tt.status, tt.want, refusal.Body)
			}
			if got := app.provider.TokenRequests.Load(); got != tt.tokenRequests {
				t.Errorf("%d token requests, want %d", got, tt.tokenRequests)
			}
			if app.provider.UserInfoCalls.Load() != 0 || b.loggedIn() {
				t.Errorf("a refused login in slow motion went on to userinfo or logged in")
			}
		})
	}
}

// Keycloak's answer to a refused token request is shown as it came: its
// status and its error, on the page of the hop, with the page's status
// that of a refused login.
func TestSlowLoginShowsTheProvidersRefusal(t *testing.T) {
	app := newSlowApp(t)
	b := app.newBrowser()
	b.slowStart()
	form := slowForm(t, b.slowToTokenRequest(nil, nil))
	form.Set("code_verifier", oauth2.GenerateVerifier())
	refusal := b.slowContinue("/slow/token", form)
	doc := htmlDoc(t, refusal)
	if refusal.StatusCode != http.StatusBadRequest || textOf(doc.Selection, "slow-refusal-status") != "HTTP 400" ||
		textOf(doc.Selection, "slow-refusal-error") != "invalid_grant" {
		t.Fatalf("status %d, shown %q %q; want 400 with the provider's HTTP 400 invalid_grant\n%s", refusal.StatusCode,
			textOf(doc.Selection, "slow-refusal-status"), textOf(doc.Selection, "slow-refusal-error"), refusal.Body)
	}
	if got := textOf(doc.Selection, "slow-refused-request"); !strings.Contains(got, "Authorization: Basic "+display.Redacted) {
		t.Errorf("the refused request is not shown with its credentials redacted: %q", got)
	}
	// The run is over: the page starts again.
	if p := b.get("/slow"); !strings.Contains(p.Body, `data-testid="slow-start"`) || strings.Contains(p.Body, `data-testid="slow-progress"`) {
		t.Errorf("after a refusal /slow does not offer to start again")
	}
}

// A callback to /slow/callback that this browser did not send for (login
// CSRF, or no run at all) is refused, and keeps nothing.
func TestSlowCallbackWithoutARunIsRefused(t *testing.T) {
	app := newSlowApp(t)
	b := app.newBrowser()
	if p := b.get("/slow/callback?code=x&state=y"); p.StatusCode != http.StatusBadRequest {
		t.Errorf("a callback without a run: status %d, want 400", p.StatusCode)
	}
	b.slowStart() // started, but hop 1 not sent yet
	if p := b.get("/slow/callback?code=x&state=y"); p.StatusCode != http.StatusBadRequest {
		t.Errorf("a callback before hop 1 was sent: status %d, want 400", p.StatusCode)
	}
	b.slowPage("1")
}

// Every Continue is same-origin only; and none of /slow exists with the
// token pages off.
func TestSlowLoginIsGuarded(t *testing.T) {
	app := newSlowApp(t)
	b := app.newBrowser()
	for _, path := range []string{"/slow/start", "/slow/authorize", "/slow/callback", "/slow/token", "/slow/id-token", "/slow/userinfo"} {
		if p := b.post(path, nil, map[string]string{"Sec-Fetch-Site": "cross-site"}); p.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s: status %d, want 403", path, p.StatusCode)
		}
	}
	off := newTestApp(t, func(o *appOptions) { o.tokenPagesOff = true })
	ob := off.newBrowser()
	for _, path := range []string{"/slow", "/slow/callback?code=x&state=y"} {
		if p := ob.get(path); p.StatusCode != http.StatusNotFound {
			t.Errorf("TOKEN_PAGES=off: GET %s: status %d, want 404", path, p.StatusCode)
		}
	}
	if p := ob.post("/slow/start", nil, sameOrigin); p.StatusCode != http.StatusNotFound {
		t.Errorf("TOKEN_PAGES=off: POST /slow/start: status %d, want 404", p.StatusCode)
	}
	if strings.Contains(ob.get("/").Body, `href="/slow"`) {
		t.Errorf("TOKEN_PAGES=off: the home page links to /slow")
	}
	if !strings.Contains(b.get("/").Body, `href="/slow"`) {
		t.Errorf("the home page's tour does not link to /slow")
	}
}

// With pushed authorization requests the request is pushed as the app made
// it: a value changed in the form is not the browser's to change.
func TestSlowLoginWithPARPushesTheAppsValues(t *testing.T) {
	app := newSlowApp(t, withPAR)
	b := app.newBrowser()
	hop1 := b.slowStart()
	if n := htmlDoc(t, hop1).Find("form input").Length(); n != 0 {
		t.Errorf("with PAR hop 1 offers %d values to change, want none", n)
	}
	answer := b.slowAuthorize(func(f url.Values) { f.Set("state", "changed"); f.Set("redirect_uri", app.URL+"/elsewhere") })
	pushed := app.provider.PushedRequests()
	if len(pushed) != 1 || pushed[0].Get("state") == "changed" || pushed[0].Get("redirect_uri") != app.URL+"/slow/callback" {
		t.Fatalf("pushed %v, want the app's own values", pushed)
	}
	mustRedirectToSlow(t, "GET /slow/callback", b.get(answer.Header.Get("Location")))
	b.slowPage("2")
}

// The token request authenticates the client as a login does: with
// private_key_jwt a fresh assertion, and with DPoP a proof, both checked by
// the provider, through to userinfo.
func TestSlowLoginAuthenticatesAsTheApp(t *testing.T) {
	for name, opt := range map[string]func(*appOptions){
		"private_key_jwt": withClientKey(newClientKey(t)),
		"DPoP":            withDPoP(newClientKey(t)),
	} {
		t.Run(name, func(t *testing.T) {
			app := newSlowApp(t, opt)
			b := app.newBrowser()
			b.slowStart()
			hop3 := b.slowToTokenRequest(nil, nil)
			if name == "private_key_jwt" && textOf(htmlDoc(t, hop3).Selection, "slow-client-auth") != "private_key_jwt" {
				t.Errorf("hop 3 does not name private_key_jwt")
			}
			mustRedirectToSlow(t, "POST /slow/token", b.slowContinue("/slow/token", slowForm(t, hop3)))
			mustRedirectToSlow(t, "POST /slow/id-token", b.slowContinue("/slow/id-token", nil))
			mustRedirectToSlow(t, "POST /slow/userinfo", b.slowContinue("/slow/userinfo", nil))
			b.slowPage("6")
			if name == "private_key_jwt" && len(app.provider.ClientAssertions()) != 1 {
				t.Errorf("%d client assertions, want 1 (the token request)", len(app.provider.ClientAssertions()))
			}
			if name == "DPoP" && len(app.provider.DPoPProofs()) != 2 {
				t.Errorf("%d DPoP proofs, want 2 (token request and userinfo)", len(app.provider.DPoPProofs()))
			}
		})
	}
}

// Starting a login in slow motion and sending its authorization request
// count as logins started (LOGIN_RATE_LIMIT): with PAR each Continue of
// hop 1 pushes a signed request, so it must not be free.
func TestSlowLoginCountsAsLogins(t *testing.T) {
	app := newSlowApp(t, withPAR, func(o *appOptions) { o.loginsPerMinute = 2 })
	b := app.newBrowser()
	form := slowForm(t, b.slowStart())                                                     // login 1
	if p := b.slowContinue("/slow/authorize", form); p.StatusCode != http.StatusSeeOther { // login 2
		t.Fatalf("hop 1's Continue: status %d", p.StatusCode)
	}
	if p := b.slowContinue("/slow/authorize", form); p.StatusCode != http.StatusTooManyRequests {
		t.Errorf("hop 1's Continue over the limit: status %d, want 429", p.StatusCode)
	}
	if n := app.provider.PARRequests.Load(); n != 1 {
		t.Errorf("%d pushed requests, want 1: the refused Continue pushed anyway", n)
	}
}

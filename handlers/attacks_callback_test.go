package handlers_test

// Attacks on the redirect_uri (/callback): forged, foreign, replayed and
// expired states, replayed codes, codes bound to another PKCE verifier,
// parameter pollution and script injection through the provider's error.
// Each test attacks one property and asserts that the attack fails: a 4xx
// page, no session, and a "login failed" log line saying why.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// logOffset marks the end of the log so far; logSince returns what came
// after, so one app can serve several cases with precise log assertions.
func (a *testApp) logOffset() int { return len(a.logs.String()) }

func (a *testApp) logSince(offset int) string { return a.logs.String()[offset:] }

// expectLoginRefused asserts that resp is an error page with status want,
// that b has no session, and that the log (since offset) says "login failed"
// and contains reason.
func expectLoginRefused(t *testing.T, app *testApp, b *browser, resp page, want int, offset int, reason string) {
	t.Helper()
	if resp.StatusCode != want {
		t.Errorf("status %d, want %d (Location %q)\n%s", resp.StatusCode, want, resp.Header.Get("Location"), resp.Body)
	}
	if !strings.Contains(resp.Body, `data-testid="error-title"`) {
		t.Errorf("response is not the error page:\n%s", resp.Body)
	}
	if b.loggedIn() {
		t.Error("the browser is logged in after a refused login")
	}
	logs := app.logSince(offset)
	if !strings.Contains(logs, "login failed") {
		t.Errorf("no 'login failed' line in the log:\n%s", logs)
	}
	if !strings.Contains(logs, reason) {
		t.Errorf("the log does not give the reason %q:\n%s", reason, logs)
	}
}

// pendingCallback starts a login and lets the provider log the user in; it
// returns the authorization URL and the callback URL the provider sends the
// browser back to, without visiting it.
func (b *browser) pendingCallback(next string) (authURL, callback *url.URL) {
	b.t.Helper()
	authURL = b.startLogin(next)
	return authURL, b.authorize(authURL)
}

// callbackURL is a crafted callback. Like the provider's own, it carries
// iss (RFC 9207) unless the query already says otherwise.
func (a *testApp) callbackURL(rawQuery string) string {
	if q, _ := url.ParseQuery(rawQuery); !q.Has("iss") {
		rawQuery += "&iss=" + url.QueryEscape(a.provider.Issuer())
	}
	return a.URL + "/callback?" + rawQuery
}

func TestCallbackRefusesBadParameters(t *testing.T) {
	app := newTestApp(t)
	enc := url.QueryEscape
	tests := []struct {
		name string
		// query builds the attacking query from the real state and code.
		query  func(state, code string) string
		reason string
		// realStateSurvives: the refused attempt did not use up the
		// login, so the genuine callback still works afterwards. This
		// proves the code and state were good and only the attack failed.
		realStateSurvives bool
	}{
		{
			name:              "forged state (never issued)",
			query:             func(_, code string) string { return "state=forged-" + strings.Repeat("A", 40) + "&code=" + enc(code) },
			reason:            "unknown, expired or reused state",
			realStateSurvives: true,
		},
		{
			name:              "missing state",
			query:             func(_, code string) string { return "code=" + enc(code) },
			reason:            "unknown, expired or reused state",
			realStateSurvives: true,
		},
		{
			name:              "empty state",
			query:             func(_, code string) string { return "state=&code=" + enc(code) },
			reason:            "unknown, expired or reused state",
			realStateSurvives: true,
		},
		{
			name:   "missing code",
			query:  func(state, _ string) string { return "state=" + enc(state) },
			reason: "callback without code",
		},
		{
			name:              "repeated state (real one first)",
			query:             func(state, code string) string { return "state=" + enc(state) + "&state=b&code=" + enc(code) },
			reason:            "callback parameters repeated",
			realStateSurvives: true,
		},
		{
			name:              "repeated state (real one second)",
			query:             func(state, code string) string { return "state=a&state=" + enc(state) + "&code=" + enc(code) },
			reason:            "callback parameters repeated",
			realStateSurvives: true,
		},
		{
			name: "repeated code",
			query: func(state, code string) string {
				return "state=" + enc(state) + "&code=" + enc(code) + "&code=" + enc(code)
			},
			reason:            "callback parameters repeated",
			realStateSurvives: true,
		},
		{
			name: "code and error together, error repeated",
			query: func(state, code string) string {
				return "state=" + enc(state) + "&code=" + enc(code) + "&error=a&error=b"
			},
			reason:            "callback parameters repeated",
			realStateSurvives: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := app.newBrowser()
			b.t = t
			_, callback := b.pendingCallback("/profile")
			state, code := callback.Query().Get("state"), callback.Query().Get("code")

			offset := app.logOffset()
			resp := b.get(app.callbackURL(tt.query(state, code)))
			expectLoginRefused(t, app, b, resp, http.StatusBadRequest, offset, tt.reason)

			genuine := b.get(callback.String())
			if tt.realStateSurvives {
				if genuine.StatusCode != http.StatusSeeOther || !b.loggedIn() {
					t.Errorf("genuine callback after the refused one: status %d, want 303 and a session", genuine.StatusCode)
				}
			} else if genuine.StatusCode != http.StatusBadRequest || b.loggedIn() {
				t.Errorf("genuine callback after the refused one: status %d, want 400 (the login was used up)", genuine.StatusCode)
			}
		})
	}
}

// Login CSRF (RFC 6749 section 10.12): an attacker who gets a victim's
// browser to open a callback URL of the attacker's login must not log the
// victim in as the attacker, because the state belongs to another session.
func TestCallbackRefusesStateOfAnotherBrowser(t *testing.T) {
	app := newTestApp(t)
	attacker, victim := app.newBrowser(), app.newBrowser()
	victim.get("/") // the victim has a session of their own

	_, callback := attacker.pendingCallback("/profile")

	offset := app.logOffset()
	resp := victim.get(callback.String())
	expectLoginRefused(t, app, victim, resp, http.StatusBadRequest, offset, "unknown, expired or reused state")

	// The victim's failed attempt did not use up the attacker's login: the
	// state is bound to the attacker's session, and still valid there.
	resp = attacker.get(callback.String())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/profile" {
		t.Fatalf("the browser that started the login: status %d Location %q, want 303 /profile",
			resp.StatusCode, resp.Header.Get("Location"))
	}
	if !attacker.loggedIn() {
		t.Error("the browser that started the login is not logged in")
	}
	if victim.loggedIn() {
		t.Error("the victim is logged in")
	}
}

// A state works once: replaying a successful callback URL is refused, in the
// same browser and in another one.
func TestCallbackRefusesReusedState(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	_, callback := b.pendingCallback("/profile")
	if resp := b.get(callback.String()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first callback: status %d, want 303", resp.StatusCode)
	}
	tokenRequests := app.provider.TokenRequests.Load()

	offset := app.logOffset()
	resp := b.get(callback.String())
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed callback in the same browser: status %d, want 400", resp.StatusCode)
	}
	if !strings.Contains(app.logSince(offset), "unknown, expired or reused state") {
		t.Errorf("log does not say why:\n%s", app.logSince(offset))
	}

	other := app.newBrowser()
	offset = app.logOffset()
	resp = other.get(callback.String())
	expectLoginRefused(t, app, other, resp, http.StatusBadRequest, offset, "unknown, expired or reused state")

	// Refused before the code went to the provider.
	if got := app.provider.TokenRequests.Load(); got != tokenRequests {
		t.Errorf("replays made %d token requests, want none", got-tokenRequests)
	}
}

// A code works once at the provider (RFC 6749 section 4.1.2): an attacker
// who learnt a used code cannot log in with it, even with a genuine state.
func TestCallbackRefusesReplayedCode(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	_, first := b.pendingCallback("/profile")
	if resp := b.get(first.String()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first login: status %d, want 303", resp.StatusCode)
	}
	if resp := b.post("/logout", nil, map[string]string{"Sec-Fetch-Site": "same-origin"}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: status %d, want 303", resp.StatusCode)
	}
	if b.loggedIn() {
		t.Fatal("still logged in after logout")
	}

	second := b.startLogin("/profile")
	q := url.Values{"state": {second.Query().Get("state")}, "code": {first.Query().Get("code")}}
	offset := app.logOffset()
	resp := b.get(app.callbackURL(q.Encode()))
	expectLoginRefused(t, app, b, resp, http.StatusBadRequest, offset, "invalid_grant")
}

// PKCE (RFC 7636): a code issued for another code_challenge (an attacker's
// login, or a stolen code) is refused by the provider because this login's
// code_verifier does not match it.
func TestCallbackRefusesCodeForAnotherVerifier(t *testing.T) {
	app := newTestApp(t)
	issueFor := func(authURL *url.URL, challenge string) string {
		q := authURL.Query()
		return app.provider.IssueCode(testprovider.AuthRequest{
			ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
			ResponseType: "code", Scope: q.Get("scope"), State: q.Get("state"), Nonce: q.Get("nonce"),
			CodeChallenge: challenge, CodeChallengeMethod: "S256",
		})
	}

	t.Run("another challenge", func(t *testing.T) {
		b := app.newBrowser()
		b.t = t
		authURL := b.startLogin("/profile")
		code := issueFor(authURL, oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()))
		q := url.Values{"state": {authURL.Query().Get("state")}, "code": {code}}
		offset := app.logOffset()
		resp := b.get(app.callbackURL(q.Encode()))
		expectLoginRefused(t, app, b, resp, http.StatusBadRequest, offset, "invalid_grant")
	})

	// Control: the same construction with this login's own challenge
	// works, so the refusal above is the verifier's doing.
	t.Run("control: this login's challenge", func(t *testing.T) {
		b := app.newBrowser()
		b.t = t
		authURL := b.startLogin("/profile")
		code := issueFor(authURL, authURL.Query().Get("code_challenge"))
		q := url.Values{"state": {authURL.Query().Get("state")}, "code": {code}}
		resp := b.get(app.callbackURL(q.Encode()))
		if resp.StatusCode != http.StatusSeeOther || !b.loggedIn() {
			t.Fatalf("status %d, want 303 and a session\n%s", resp.StatusCode, resp.Body)
		}
	})
}

// The provider's error and error_description (RFC 6749 4.1.2.1) come from
// the URL, which anyone can write: they are shown only for a state this
// browser issued, and always HTML-escaped.
func TestCallbackProviderError(t *testing.T) {
	app := newTestApp(t)
	const script = "<script>alert(1)</script>"

	t.Run("valid state: shown escaped", func(t *testing.T) {
		b := app.newBrowser()
		b.t = t
		authURL := b.startLogin("/profile")
		q := url.Values{"error": {"access_denied"}, "error_description": {script}, "state": {authURL.Query().Get("state")}}
		offset := app.logOffset()
		resp := b.get(app.callbackURL(q.Encode()))
		expectLoginRefused(t, app, b, resp, http.StatusBadRequest, offset, "provider returned an error")
		if strings.Contains(resp.Body, "<script>alert") {
			t.Errorf("the error description is in the page unescaped:\n%s", resp.Body)
		}
		if !strings.Contains(resp.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("the page does not show the escaped description:\n%s", resp.Body)
		}
		if !strings.Contains(resp.Body, "access_denied") {
			t.Errorf("the page does not show the error code")
		}
	})

	t.Run("unknown state: not shown", func(t *testing.T) {
		b := app.newBrowser()
		b.t = t
		b.startLogin("/profile")
		q := url.Values{"error": {"access_denied"}, "error_description": {"Call +1 555 0100 now " + script}, "state": {"not-issued"}}
		offset := app.logOffset()
		resp := b.get(app.callbackURL(q.Encode()))
		expectLoginRefused(t, app, b, resp, http.StatusBadRequest, offset, "unknown, expired or reused state")
		for _, leaked := range []string{"555 0100", "alert(1)", "access_denied"} {
			if strings.Contains(resp.Body, leaked) {
				t.Errorf("the page shows %q from an unverified callback", leaked)
			}
		}
	})
}

// A started login may take up to 10 minutes (session.PendingLoginTTL).
func TestCallbackPendingLoginExpires(t *testing.T) {
	app := newTestApp(t)
	tests := []struct {
		wait time.Duration
		ok   bool
	}{
		{9 * time.Minute, true},
		{10*time.Minute - time.Second, true},
		{10*time.Minute + time.Second, false},
		{11 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.wait.String(), func(t *testing.T) {
			b := app.newBrowser()
			b.t = t
			_, callback := b.pendingCallback("/profile")
			app.clock.Advance(tt.wait)
			offset := app.logOffset()
			resp := b.get(callback.String())
			if tt.ok {
				if resp.StatusCode != http.StatusSeeOther || !b.loggedIn() {
					t.Fatalf("after %v: status %d, want 303 and a session\n%s", tt.wait, resp.StatusCode, resp.Body)
				}
				return
			}
			expectLoginRefused(t, app, b, resp, http.StatusBadRequest, offset, "unknown, expired or reused state")
		})
	}
}

// Logins started in several tabs do not overwrite each other: each keeps
// its own state, verifier, nonce and next, whatever order they finish in.
func TestCallbackSeveralTabs(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	_, tab1 := b.pendingCallback("/profile?tab=1")
	_, tab2 := b.pendingCallback("/?tab=2")

	for _, tab := range []struct {
		callback *url.URL
		next     string
	}{{tab2, "/?tab=2"}, {tab1, "/profile?tab=1"}} {
		resp := b.get(tab.callback.String())
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tab.next {
			t.Errorf("callback: status %d Location %q, want 303 %s\n%s",
				resp.StatusCode, resp.Header.Get("Location"), tab.next, resp.Body)
		}
	}
	if !b.loggedIn() {
		t.Error("not logged in after both tabs finished")
	}
}

// RFC 9207: the provider advertises that its callbacks carry iss. A callback
// without it, or with another issuer's (a mix-up attack: a code from another
// provider), is refused before the code is used.
func TestCallbackChecksTheIssuer(t *testing.T) {
	app := newTestApp(t)
	for name, iss := range map[string]string{
		"missing":          "",
		"another provider": "https://attacker.example/realms/demo",
		"almost ours":      app.provider.Issuer() + "/",
	} {
		t.Run(name, func(t *testing.T) {
			b := app.newBrowser()
			b.t = t
			_, callback := b.pendingCallback("/profile")
			q := callback.Query()
			if iss == "" {
				q.Del("iss")
			} else {
				q.Set("iss", iss)
			}
			tokenRequests := app.provider.TokenRequests.Load()
			offset := app.logOffset()
			resp := b.get(app.URL + "/callback?" + q.Encode())
			expectLoginRefused(t, app, b, resp, http.StatusBadRequest, offset, "RFC 9207")
			if app.provider.TokenRequests.Load() != tokenRequests {
				t.Error("the code was sent to the token endpoint despite a wrong iss")
			}
		})
	}

	// Control: the provider's own callback carries its iss and works.
	b := app.newBrowser()
	_, callback := b.pendingCallback("/profile")
	if got := callback.Query().Get("iss"); got != app.provider.Issuer() {
		t.Fatalf("the provider's callback has iss %q, want %q", got, app.provider.Issuer())
	}
	if resp := b.get(callback.String()); resp.StatusCode != http.StatusSeeOther || !b.loggedIn() {
		t.Errorf("the provider's own callback: status %d, want 303 and a session", resp.StatusCode)
	}
}

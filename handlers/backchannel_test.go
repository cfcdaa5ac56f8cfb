package handlers_test

// OpenID Connect Back-Channel Logout 1.0: the provider POSTs a signed
// logout_token to /backchannel-logout and the app ends the sessions it
// names. A forged or replayed token must end nothing.

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

var (
	profileSID = regexp.MustCompile(`data-testid="sid">([^<]+)<`)
	profileSub = regexp.MustCompile(`data-testid="sub">([^<]+)<`)
)

// providerSession logs b in and returns the user's sub and the provider
// session id (sid), as the profile page shows them.
func (b *browser) providerSession() (sub, sid string) {
	b.t.Helper()
	b.mustLogin("/profile")
	body := b.get("/profile").Body
	sidMatch, subMatch := profileSID.FindStringSubmatch(body), profileSub.FindStringSubmatch(body)
	if sidMatch == nil || subMatch == nil {
		b.t.Fatalf("the profile page shows no sub or sid:\n%s", body)
	}
	return subMatch[1], sidMatch[1]
}

// postLogoutToken sends form to /backchannel-logout the way a provider
// does: server to server, no cookies.
func (a *testApp) postLogoutToken(t *testing.T, form url.Values) int {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.PostForm(a.URL+"/backchannel-logout", form)
	if err != nil {
		t.Fatalf("POST /backchannel-logout: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestBackchannelLogoutEndsTheSession(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	other := app.newBrowser() // another user's session must survive
	other.mustLogin("/profile")
	sub, sid := b.providerSession()

	token := app.provider.Sign(app.provider.LogoutToken(sub, sid))
	if status := app.postLogoutToken(t, url.Values{"logout_token": {token}}); status != http.StatusOK {
		t.Fatalf("valid logout token: status %d, want 200\n%s", status, app.logs.String())
	}
	if b.loggedIn() {
		t.Fatal("the session named by the logout token is still logged in")
	}
	if !strings.Contains(app.logs.String(), "sessions_ended=") {
		t.Error("no back-channel logout line in the log")
	}

	// Section 2.6: a token is used once (jti); the replay is refused.
	offset := app.logOffset()
	if status := app.postLogoutToken(t, url.Values{"logout_token": {token}}); status != http.StatusBadRequest {
		t.Errorf("replayed logout token: status %d, want 400", status)
	}
	if !strings.Contains(app.logSince(offset), "replayed") {
		t.Errorf("the replay is not logged as such:\n%s", app.logSince(offset))
	}

	if !other.loggedIn() {
		t.Error("the logout token ended another session too")
	}
}

// A logout token may name only the user (sub): then every session of that
// user ends.
func TestBackchannelLogoutBySubject(t *testing.T) {
	app := newTestApp(t)
	laptop, phone := app.newBrowser(), app.newBrowser()
	sub, sid1 := laptop.providerSession()
	_, sid2 := phone.providerSession()
	if sid1 == sid2 {
		t.Fatalf("both logins have sid %q; want two provider sessions", sid1)
	}

	claims := app.provider.LogoutToken(sub, "")
	delete(claims, "sid")
	if status := app.postLogoutToken(t, url.Values{"logout_token": {app.provider.Sign(claims)}}); status != http.StatusOK {
		t.Fatalf("sub-only logout token: status %d, want 200", status)
	}
	if laptop.loggedIn() || phone.loggedIn() {
		t.Error("a session of the user survived a logout token naming the user")
	}
}

// Two logins of the same user are two provider sessions: a logout token
// for one sid ends only that one.
func TestBackchannelLogoutEndsOnlyThatSID(t *testing.T) {
	app := newTestApp(t)
	laptop, phone := app.newBrowser(), app.newBrowser()
	sub, laptopSID := laptop.providerSession()
	phoneSub, phoneSID := phone.providerSession()
	if sub != phoneSub || laptopSID == phoneSID {
		t.Fatalf("want one user with two sids, got %s/%s and %s/%s", sub, laptopSID, phoneSub, phoneSID)
	}

	token := app.provider.Sign(app.provider.LogoutToken(sub, laptopSID))
	if status := app.postLogoutToken(t, url.Values{"logout_token": {token}}); status != http.StatusOK {
		t.Fatalf("status %d, want 200", status)
	}
	if laptop.loggedIn() {
		t.Error("the laptop's session (the sid in the token) is still logged in")
	}
	if !phone.loggedIn() {
		t.Error("the phone's session (another sid) was ended too")
	}
}

func TestBackchannelLogoutRefusesInvalidTokens(t *testing.T) {
	app := newTestApp(t)
	p := app.provider
	foreignKey := testprovider.ForeignKey()

	type claims = map[string]any
	tests := []struct {
		name string
		form func(sub, sid string) url.Values
	}{
		{"wrong audience", signed(p, func(c claims) { c["aud"] = "another-app" })},
		{"wrong issuer", signed(p, func(c claims) { c["iss"] = "https://evil.example/realms/demo" })},
		{"expired", signed(p, func(c claims) {
			c["iat"] = time.Now().Add(-20 * time.Minute).Unix()
			c["exp"] = time.Now().Add(-10 * time.Minute).Unix()
		})},
		{"no exp", signed(p, func(c claims) { delete(c, "exp") })},
		{"contains a nonce (an ID token?)", signed(p, func(c claims) { c["nonce"] = "n" })},
		{"no events claim", signed(p, func(c claims) { delete(c, "events") })},
		{"another event", signed(p, func(c claims) {
			c["events"] = claims{"http://schemas.openid.net/event/other": claims{}}
		})},
		{"no jti", signed(p, func(c claims) { delete(c, "jti") })},
		// Section 2.4: iat and events are REQUIRED, events a JSON object
		// whose logout member is a JSON object.
		{"no iat", signed(p, func(c claims) { delete(c, "iat") })},
		{"events is an array", signed(p, func(c claims) {
			c["events"] = []any{"http://schemas.openid.net/event/backchannel-logout"}
		})},
		{"events is a string", signed(p, func(c claims) { c["events"] = "http://schemas.openid.net/event/backchannel-logout" })},
		{"the logout event is not an object", signed(p, func(c claims) {
			c["events"] = claims{"http://schemas.openid.net/event/backchannel-logout": true}
		})},
		{"the logout event is null", signed(p, func(c claims) {
			c["events"] = claims{"http://schemas.openid.net/event/backchannel-logout": nil}
		})},
		{"neither sid nor sub", signed(p, func(c claims) { delete(c, "sid"); delete(c, "sub") })},
		{"signed by a foreign key with the provider's kid", func(sub, sid string) url.Values {
			return url.Values{"logout_token": {testprovider.SignWithKey(foreignKey, p.KeyID(), p.LogoutToken(sub, sid))}}
		}},
		{"alg none", func(sub, sid string) url.Values {
			return url.Values{"logout_token": {testprovider.SignNone(p.LogoutToken(sub, sid))}}
		}},
		{"the ID token from login", func(string, string) url.Values {
			ids := p.IDTokens()
			return url.Values{"logout_token": {ids[len(ids)-1]}}
		}},
		{"garbage", func(string, string) url.Values { return url.Values{"logout_token": {"not.a.jwt"}} }},
		{"empty", func(string, string) url.Values { return url.Values{"logout_token": {""}} }},
		{"no logout_token field", func(sub, sid string) url.Values {
			return url.Values{"token": {p.Sign(p.LogoutToken(sub, sid))}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := app.newBrowser()
			b.t = t
			sub, sid := b.providerSession()
			offset := app.logOffset()
			if status := app.postLogoutToken(t, tt.form(sub, sid)); status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", status)
			}
			if !strings.Contains(app.logSince(offset), "back-channel logout refused") {
				t.Errorf("the refusal is not logged:\n%s", app.logSince(offset))
			}
			if !b.loggedIn() {
				t.Fatal("an invalid logout token ended the session")
			}
		})
	}

	// Control: an untampered token does end a session on this app.
	b := app.newBrowser()
	sub, sid := b.providerSession()
	if status := app.postLogoutToken(t, url.Values{"logout_token": {p.Sign(p.LogoutToken(sub, sid))}}); status != http.StatusOK || b.loggedIn() {
		t.Fatalf("valid token after the invalid ones: status %d, logged in %v", status, b.loggedIn())
	}
}

// signed returns a form with a logout token for (sub, sid), changed by
// tamper and signed with the provider's key.
func signed(p *testprovider.Provider, tamper func(map[string]any)) func(sub, sid string) url.Values {
	return func(sub, sid string) url.Values {
		claims := p.LogoutToken(sub, sid)
		tamper(claims)
		return url.Values{"logout_token": {p.Sign(claims)}}
	}
}

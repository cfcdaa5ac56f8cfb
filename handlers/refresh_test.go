package handlers_test

// Access tokens expire; the app renews them with the refresh token (RFC 6749
// section 6) before a page uses them, and ends the session when the
// provider refuses: the user's session there is over.

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRefreshKeepsTheSessionAlive(t *testing.T) {
	app := newTestApp(t)
	// x/oauth2 treats a token as expired 10 s early, so a 5 s token is
	// refreshed on every use.
	app.provider.SetAccessTokenTTL(5 * time.Second)
	b := app.newBrowser()
	b.mustLogin("/profile")

	for i := range 2 { // the second refresh uses the rotated refresh token
		before := app.provider.TokenRequests.Load()
		offset := app.logOffset()
		if resp := b.get("/profile"); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /profile #%d: status %d, want 200\n%s", i+1, resp.StatusCode, resp.Body)
		}
		if !strings.Contains(app.logSince(offset), "tokens refreshed") {
			t.Errorf("GET /profile #%d: no 'tokens refreshed' in the log", i+1)
		}
		if got := app.provider.TokenRequests.Load(); got <= before {
			t.Errorf("GET /profile #%d: no token request to the provider", i+1)
		}
	}
}

func TestRefreshRefusedEndsTheSession(t *testing.T) {
	app := newTestApp(t)
	app.provider.SetAccessTokenTTL(5 * time.Second)
	b := app.newBrowser()
	b.mustLogin("/profile")

	if body := b.get("/profile").Body; !strings.Contains(body, `data-testid="nav-user"`) {
		t.Fatal("the page header does not show the logged-in user")
	}

	// The user logs out at the provider (or an admin ends the session):
	// the refresh token stops working.
	app.provider.EndAllSessions()
	resp := b.get("/profile")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /profile after the provider session ended: status %d, want 401\n%s", resp.StatusCode, resp.Body)
	}
	if !strings.Contains(resp.Body, "Your session has ended") {
		t.Errorf("the page does not say the session ended:\n%s", resp.Body)
	}
	if !strings.Contains(resp.Body, `href="/login?next=%2Fprofile" data-testid="error-retry">Log in again<`) {
		t.Errorf("the page has no 'Log in again' link back to /profile:\n%s", resp.Body)
	}
	if strings.Contains(resp.Body, `data-testid="nav-user"`) {
		t.Error("the page header still shows the user as logged in")
	}

	again := b.get("/profile")
	if again.StatusCode != http.StatusSeeOther || again.Header.Get("Location") != "/login?next=%2Fprofile" {
		t.Errorf("next GET /profile: status %d Location %q, want 303 to /login?next=%%2Fprofile",
			again.StatusCode, again.Header.Get("Location"))
	}
}

// While the access token is valid, pages need nothing from the provider:
// userinfo is fetched once, at login, and the keys and discovery document
// are cached.
func TestProfileMakesNoProviderCalls(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/profile")
	p := app.provider
	if got := p.UserInfoCalls.Load(); got != 1 {
		t.Errorf("userinfo called %d times at login, want 1", got)
	}

	counters := func() [4]int64 {
		return [4]int64{p.TokenRequests.Load(), p.UserInfoCalls.Load(), p.DiscoveryCalls.Load(), p.KeysCalls.Load()}
	}
	before := counters()
	for i := range 5 {
		if resp := b.get("/profile"); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /profile #%d: status %d", i+1, resp.StatusCode)
		}
	}
	if after := counters(); after != before {
		t.Errorf("5 profile views made provider calls (token, userinfo, discovery, keys): before %v, after %v", before, after)
	}
}

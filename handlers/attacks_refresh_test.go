package handlers_test

// A refresh replaces the tokens; everything the app decides with must follow
// the new tokens, and a refresh that comes back about someone else (or does
// not verify) ends the session instead of carrying on (issue 9, items 1, 7).

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// An administrator removes alice's admin role at the provider: as soon as
// her access token is refreshed, /admin refuses her, and /profile no longer
// lists the role.
func TestRemovedRoleIsGoneAfterRefresh(t *testing.T) {
	app := newTestApp(t)
	// x/oauth2 treats a token as expired 10 s early, so a 5 s token is
	// refreshed on every page.
	app.provider.SetAccessTokenTTL(5 * time.Second)
	b := app.newBrowser()
	b.mustLogin("/profile")
	if resp := b.get("/admin"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin as alice (admin): status %d, want 200", resp.StatusCode)
	}

	ids := app.provider.IDTokens()
	last, err := display.DecodeJWT(ids[len(ids)-1])
	if err != nil {
		t.Fatal(err)
	}
	app.provider.SetRealmRoles(last.Claim("sub"), []string{"user"})

	resp := b.get("/admin")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("GET /admin after the admin role was removed and the tokens refreshed: status %d, want 403", resp.StatusCode)
	}
	if profile := b.get("/profile"); strings.Contains(profile.Body, `data-testid="realm-role">admin<`) {
		t.Error("/profile still lists the removed admin role")
	}
}

// The same when the refresh response carries no new ID token (optional, Core
// 12.2): the roles come from the userinfo response for the new access token.
func TestRemovedRoleIsGoneAfterRefreshWithoutIDToken(t *testing.T) {
	app := newTestApp(t)
	app.provider.SetAccessTokenTTL(5 * time.Second)
	app.provider.SetRefreshWithoutIDToken(true)
	b := app.newBrowser()
	b.mustLogin("/profile")
	if resp := b.get("/admin"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin as alice (admin): status %d, want 200", resp.StatusCode)
	}
	ids := app.provider.IDTokens()
	if len(ids) != 1 {
		t.Fatalf("the provider issued %d ID tokens, want 1 (none at refresh)", len(ids))
	}
	last, err := display.DecodeJWT(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	app.provider.SetRealmRoles(last.Claim("sub"), []string{"user"})
	if resp := b.get("/admin"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("GET /admin after the admin role was removed (refresh without ID token): status %d, want 403", resp.StatusCode)
	}
	if len(app.provider.IDTokens()) != 1 {
		t.Error("the provider issued an ID token at refresh (test premise)")
	}
}

// The client takes roles from its own sources, the ID token and userinfo,
// never from the access token, which is the API's (RFC 9068 section 6):
// an access token that says "admin" while the ID token does not gives no
// admin here.
func TestRolesComeFromTheIDTokenNotTheAccessToken(t *testing.T) {
	app := newTestApp(t)
	app.provider.TamperIDToken(func(claims map[string]any) { claims["roles"] = []string{"user"} })
	b := app.newBrowser()
	b.mustLogin("/profile")
	if resp := b.get("/admin"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("GET /admin with admin only in the access token: status %d, want 403 (requireRealmRole logs %q): "+
			"the client reads roles from the ID token and userinfo, never from the access token (RFC 9068 section 6)",
			resp.StatusCode, "access refused: missing realm role")
	}
	profile := b.get("/profile")
	if strings.Contains(profile.Body, `data-testid="realm-role">admin<`) {
		t.Error("/profile lists admin, which only the access token carries")
	}
	if !strings.Contains(profile.Body, `data-testid="realm-role">user<`) {
		t.Error("/profile does not list the ID token's role user")
	}
}

// After a refresh without a new ID token the roles come from userinfo, and
// a userinfo response about someone else ends the session (Core 5.3.2).
func TestRefreshWithUserInfoAboutAnotherUserEndsTheSession(t *testing.T) {
	app := newTestApp(t)
	app.provider.SetAccessTokenTTL(5 * time.Second)
	app.provider.SetRefreshWithoutIDToken(true)
	b := app.newBrowser()
	b.mustLogin("/profile")
	app.provider.SetUserInfoSubject("someone-else")
	resp := b.get("/profile")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /profile after a refresh whose userinfo is about another user: status %d, want 401", resp.StatusCode)
	}
	if b.loggedIn() {
		t.Error("still logged in after userinfo about another user")
	}
}

// The refreshed ID token names another user: the session ends (401 page),
// it does not go on as either user.
func TestRefreshAboutAnotherUserEndsTheSession(t *testing.T) {
	app := newTestApp(t)
	// x/oauth2 treats a token as expired 10 s early, so a 5 s token is
	// refreshed on every page.
	app.provider.SetAccessTokenTTL(5 * time.Second)
	b := app.newBrowser()
	b.mustLogin("/profile")
	app.provider.TamperIDToken(func(claims map[string]any) { claims["sub"] = "someone-else" })

	resp := b.get("/profile")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Body, "Your session has ended") {
		t.Fatalf("GET /profile after a refresh about another user: status %d, want 401 'Your session has ended'\n%s", resp.StatusCode, resp.Body)
	}
	if b.loggedIn() {
		t.Error("still logged in after a refresh about another user")
	}
	if !strings.Contains(app.logs.String(), "refreshed id token is about another user") {
		t.Error("the log does not say why the session ended")
	}
}

// The refreshed ID token does not verify (a foreign key): the same.
func TestRefreshWithForgedIDTokenEndsTheSession(t *testing.T) {
	app := newTestApp(t)
	// x/oauth2 treats a token as expired 10 s early, so a 5 s token is
	// refreshed on every page.
	app.provider.SetAccessTokenTTL(5 * time.Second)
	b := app.newBrowser()
	b.mustLogin("/profile")
	foreign := testprovider.ForeignKey()
	app.provider.SignIDTokensWith(func(claims map[string]any) string {
		return testprovider.SignWithKey(foreign, app.provider.KeyID(), claims)
	})

	resp := b.get("/profile")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /profile after a forged refreshed ID token: status %d, want 401\n%s", resp.StatusCode, resp.Body)
	}
	if b.loggedIn() {
		t.Error("still logged in after a forged refreshed ID token")
	}
}

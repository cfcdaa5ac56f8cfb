package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// /admin needs the realm role admin: alice (roles admin, user) gets the
// page; a user with only "user" gets a 403 page that names the missing role
// and says where roles come from.
func TestAdminNeedsTheAdminRealmRole(t *testing.T) {
	app := newTestApp(t)

	alice := app.newBrowser()
	alice.mustLogin("/profile")
	resp := alice.get("/admin")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin as alice (admin): status %d\n%s", resp.StatusCode, resp.Body)
	}
	if d := htmlDoc(t, resp).Selection; d.Find(`[data-testid="admin-granted"]`).Length() != 1 {
		t.Error("the admin page does not say access was granted")
	}

	app.provider.SetUser(testprovider.User{
		Subject: "b0b00000-0000-4000-8000-000000000002", Name: "Bob Builder",
		PreferredUsername: "bob", Email: "bob@example.com", RealmRoles: []string{"user"},
	})
	bob := app.newBrowser()
	bob.mustLogin("/profile")
	resp = bob.get("/admin")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("GET /admin as bob (no admin role): status %d, want 403", resp.StatusCode)
	}
	d := htmlDoc(t, resp).Selection
	if got := textOf(d, "missing-role-name"); got != "admin" {
		t.Errorf("the 403 page names the missing role %q, want admin", got)
	}
	if got := textOf(d, "role"); got != "user" {
		t.Errorf("the 403 page lists bob's roles as %q, want user", got)
	}
	for _, want := range []string{"realm_access.roles", "roles"} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("the 403 page does not say roles come from %s", want)
		}
	}
	if href, _ := d.Find(`[data-testid="missing-role-tokens"]`).Attr("href"); href != "/tokens" {
		t.Errorf("the 403 page links to %q, want /tokens", href)
	}
	if !strings.Contains(app.logs.String(), `msg="access refused: missing realm role" role=admin`) {
		t.Error("no log line for the refusal")
	}
	// Being refused a page does not end the session.
	if !bob.loggedIn() {
		t.Error("bob is logged out after the 403")
	}
}

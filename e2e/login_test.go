package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Scenario 1: a user logs in on Keycloak's own page and sees their profile,
// with the claims and roles Keycloak put in the tokens.
func TestLoginShowsProfile(t *testing.T) {
	requireEnv(t)
	users := []struct {
		username, password, name, email string
		realmRoles, notRealmRoles       []string
		clientRoles, notClientRoles     []string
	}{
		{
			username: "alice", password: "alice-password", name: "Alice Liddell", email: "alice@example.com",
			realmRoles: []string{"user", "admin"}, clientRoles: []string{"viewer", "editor"},
		},
		{
			username: "bob", password: "bob-password", name: "Bob Builder", email: "bob@example.com",
			realmRoles: []string{"user"}, notRealmRoles: []string{"admin"},
			clientRoles: []string{"viewer"}, notClientRoles: []string{"editor"},
		},
	}
	for _, u := range users {
		t.Run(u.username, func(t *testing.T) {
			b := newBrowser(t)
			offset := logOffset(t)
			b.login(u.username, u.password)

			if got := b.text(testID("name")); got != u.name {
				t.Errorf("name: got %q, want %q", got, u.name)
			}
			if got := b.text(testID("profile-name")); got != u.name {
				t.Errorf("page heading: got %q, want %q", got, u.name)
			}
			if got := b.text(testID("email")); got != u.email {
				t.Errorf("email: got %q, want %q", got, u.email)
			}
			if got := b.text(testID("email-verified")); got != "verified" {
				t.Errorf("email verified badge: got %q, want %q", got, "verified")
			}
			if sub := b.text(testID("sub")); sub == "" {
				t.Errorf("the profile shows no subject (sub)")
			}

			realmRoles := b.texts(testID("realm-role"))
			t.Logf("realm roles shown: %v", realmRoles)
			for _, r := range u.realmRoles {
				if !slices.Contains(realmRoles, r) {
					t.Errorf("realm roles %v lack %q", realmRoles, r)
				}
			}
			for _, r := range u.notRealmRoles {
				if slices.Contains(realmRoles, r) {
					t.Errorf("realm roles %v contain %q, which %s does not have", realmRoles, r, u.username)
				}
			}

			clientRoles := b.clientRoles()
			t.Logf("client roles shown: %v", clientRoles)
			for _, r := range u.clientRoles {
				if !slices.Contains(clientRoles[clientID], r) {
					t.Errorf("client roles of %s %v lack %q", clientID, clientRoles[clientID], r)
				}
			}
			for _, r := range u.notClientRoles {
				if slices.Contains(clientRoles[clientID], r) {
					t.Errorf("client roles of %s %v contain %q, which %s does not have", clientID, clientRoles[clientID], r, u.username)
				}
			}

			if got := b.text(testID("userinfo")); !strings.Contains(got, `"email": "`+u.email+`"`) &&
				!strings.Contains(got, `"email":"`+u.email+`"`) {
				t.Errorf("the userinfo response shown lacks the email %s:\n%s", u.email, got)
			}
			waitForLog(t, offset, `msg="login succeeded"`, "username="+u.username)
		})
	}
}

// clientRoles reads the client roles section: client id -> roles.
func (b *browser) clientRoles() map[string][]string {
	b.t.Helper()
	const js = `(() => {
		const out = {};
		const dl = document.querySelector('[data-testid="client-roles"]');
		if (!dl) return out;
		for (const dt of dl.querySelectorAll(':scope > dt')) {
			const dd = dt.nextElementSibling;
			out[dt.textContent.trim()] = dd ? Array.from(dd.querySelectorAll('[data-testid="client-role"]'), e => e.textContent.trim()) : [];
		}
		return out;
	})()`
	return get(b, "the client roles", chromedp.Evaluate[map[string][]string](js))
}

// Scenario 2: a wrong password is refused by Keycloak, which says so, and the
// app gets no session.
func TestWrongPasswordIsRefused(t *testing.T) {
	b := newBrowser(t)
	offset := logOffset(t)
	b.do("open the home page", chromedp.Navigate(appURL+"/"), chromedp.WaitVisible(chromedp.CSS(testID("nav-login"))))
	b.do("click Log in", chromedp.Click(chromedp.CSS(testID("nav-login"))))
	b.expectKeycloakLoginForm("wait for Keycloak's login form")
	b.fillKeycloakLogin("alice", "not-alices-password")

	b.do("wait for Keycloak's error message", chromedp.WaitVisible(chromedp.ID("input-error-username")))
	if msg := b.text("#input-error-username"); msg != "Invalid username or password." {
		t.Errorf("Keycloak's error message: got %q, want %q", msg, "Invalid username or password.")
	}
	if loc := b.location(); !strings.HasPrefix(loc, issuer+"/") {
		t.Errorf("after the wrong password the browser is at %s, want still at Keycloak (%s)", loc, issuer)
	}
	if n := b.count("#password"); n != 1 {
		t.Errorf("Keycloak shows %d password fields after the error, want 1 (the form again)", n)
	}

	b.expectLoggedOutAtApp()
	b.do("open the app's home page again", chromedp.Navigate(appURL+"/"), chromedp.WaitVisible(chromedp.CSS(testID("nav-login"))))
	if n := b.count(testID("nav-user")); n != 0 {
		t.Errorf("the navigation shows a logged-in user after a failed login")
	}
	b.do("open /profile: the app sends the browser to log in", chromedp.Navigate(appURL+"/profile"))
	b.expectKeycloakLoginForm("wait for Keycloak's login form (not the profile)")

	if line, ok := findLog(t, offset, `msg="login succeeded"`); ok {
		t.Errorf("the app logged a successful login after a wrong password: %s", line)
	}
}

// Scenario 3: a protected page asked for while logged out goes through
// Keycloak's login and comes back to that page.
func TestProfileLoggedOutLogsInAndReturns(t *testing.T) {
	b := newBrowser(t)
	b.do("open /profile while logged out", chromedp.Navigate(appURL+"/profile"))
	b.expectKeycloakLoginForm("wait for Keycloak's login form")
	b.fillKeycloakLogin("alice", "alice-password")
	b.expectProfile("alice")
	if got := b.text(testID("email")); got != "alice@example.com" {
		t.Errorf("email: got %q, want alice@example.com", got)
	}
}

// Scenario 4: "Log out" ends the app's session and Keycloak's: the next
// "Log in" asks for the password again (no silent single sign-on).
func TestLogoutEndsBothSessions(t *testing.T) {
	b := newBrowser(t)
	admin := newKeycloakAdmin(t)
	sid := b.login("alice", "alice-password")
	aliceID := admin.userID("alice")
	if sessions := admin.userSessionIDs(aliceID); !slices.Contains(sessions, sid) {
		t.Fatalf("Keycloak's sessions of alice %v do not include the profile's sid %s", sessions, sid)
	}
	b.expectLoggedInAtApp()

	offset := logOffset(t)
	b.do("click Log out", chromedp.Click(chromedp.CSS(testID("nav-logout"))))
	b.do("wait for the home page's logged-out notice", chromedp.WaitVisible(chromedp.CSS(testID("logged-out"))))
	if loc := b.location(); !strings.HasPrefix(loc, appURL+"/") || strings.HasPrefix(loc, appURL+"/profile") {
		t.Errorf("after logout the browser is at %s, want the home page %s/", loc, appURL)
	}
	if notice := b.text(testID("logged-out")); !strings.Contains(notice, "logged out") {
		t.Errorf("logged-out notice: %q", notice)
	}
	if n := b.count(testID("nav-user")); n != 0 {
		t.Errorf("the navigation still shows a logged-in user after logout")
	}
	waitForLog(t, offset, "msg=logout ")
	b.expectLoggedOutAtApp()
	if sessions := admin.userSessionIDs(aliceID); slices.Contains(sessions, sid) {
		t.Errorf("Keycloak still has alice's session %s after logout (sessions: %v)", sid, sessions)
	}

	b.do("click Log in again", chromedp.Click(chromedp.CSS(testID("nav-login"))))
	b.expectKeycloakLoginForm("Keycloak asks for the password again (no silent SSO)")
}

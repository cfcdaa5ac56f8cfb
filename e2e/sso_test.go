package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Scenario 10: single sign-on and single logout between two instances of
// the app (clients demo-app on :3000 and demo-app-2 on :3001).
//
// Logging in on :3000 starts a Keycloak session; :3001's login then needs no
// password, and both apps share the same Keycloak session (sid). Both stay
// logged in although the browser sends every localhost cookie to both ports:
// their session cookies have different names. Logging out of :3001 ends the
// Keycloak session, and Keycloak tells :3000 over the back channel.
func TestSSOAndSingleLogout(t *testing.T) {
	b := newBrowser(t)
	admin := newKeycloakAdmin(t)
	admin.repairInterruptedRun()
	sid := b.login("alice", "alice-password")

	b.do("open the second instance's /login: Keycloak knows alice already",
		chromedp.Navigate(app2URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(testID("preferred-username"))))
	if loc := b.location(); loc != app2URL+"/profile" {
		t.Fatalf("after the second login the browser is at %s, want %s/profile (no password form)", loc, app2URL)
	}
	if n := b.count("#password"); n != 0 {
		t.Errorf("a password field on the second instance's page")
	}
	if got := b.text(testID("nav-user")); got != "alice" {
		t.Errorf("the second instance shows %q as logged in, want alice", got)
	}
	if sid2 := b.text(testID("sid")); sid2 != sid {
		t.Errorf("the second instance's Keycloak session is %q, the first's %q: want one SSO session", sid2, sid)
	}

	// Both logged in at once: two cookies, one per instance.
	names := map[string]bool{}
	for _, c := range b.appCookies() {
		names[c.Name] = true
	}
	if !names["session"] || !names["session2"] {
		t.Errorf("the browser's localhost cookies are %v, want session (for :3000) and session2 (for :3001)", names)
	}
	b.expectLoggedInAtApp()
	if status, loc := noRedirectGet(t, app2URL+"/profile", b.appCookies()); status != http.StatusOK {
		t.Fatalf("GET %s/profile with the browser's cookies: HTTP %d %q, want 200", app2URL, status, loc)
	}

	offset := logOffset(t)
	b.do("log out of the second instance", chromedp.Click(chromedp.CSS(testID("nav-logout"))),
		chromedp.WaitVisible(chromedp.CSS(testID("logged-out"))))
	if loc := b.location(); !strings.HasPrefix(loc, app2URL+"/") {
		t.Errorf("after logging out of the second instance the browser is at %s, want %s/", loc, app2URL)
	}
	// Keycloak ended its session and told the first instance (the app on
	// :3000) over the back channel: server to server, no browser.
	line := waitForLog(t, offset, `msg="back-channel logout"`, "sid="+sid+" ")
	if !strings.Contains(line, " sessions_ended=1 ") {
		t.Errorf("the back-channel logout of sid %s ended a number of sessions other than 1: %s", sid, line)
	}
	if status, loc := noRedirectGet(t, app2URL+"/profile", b.appCookies()); status == http.StatusOK {
		t.Errorf("the second instance still serves the profile after its logout (%d %q)", status, loc)
	}

	b.do("reload the first instance's /profile", chromedp.Navigate(appURL+"/profile"))
	b.expectKeycloakLoginForm("the first instance sends alice to log in again: single logout")
	b.expectLoggedOutAtApp()
}

package e2e

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Scenario 5: an administrator ends alice's Keycloak sessions. Keycloak
// tells the app over the back channel (server to server), and the app ends
// her session at once: her next page load finds her logged out, without the
// browser talking to Keycloak first.
func TestBackchannelLogout(t *testing.T) {
	b := newBrowser(t)
	admin := newKeycloakAdmin(t)
	admin.repairInterruptedRun()
	sid := b.login("alice", "alice-password")
	aliceID := admin.userID("alice")
	b.expectLoggedInAtApp()

	offset := logOffset(t)
	t.Logf("ending alice's Keycloak sessions via the admin API (POST /admin/realms/%s/users/%s/logout)", realm, aliceID)
	admin.logoutUser(aliceID)
	line := waitForLog(t, offset, `msg="back-channel logout"`, "sid="+sid+" ")
	if !strings.Contains(line, " sessions_ended=1 ") {
		t.Errorf("the back-channel logout of sid %s ended a number of sessions other than 1: %s", sid, line)
	}

	b.do("reload /profile", chromedp.Reload())
	b.expectKeycloakLoginForm("the app sent the browser to Keycloak's login form: alice is logged out")
	b.expectLoggedOutAtApp()
}

// Scenario 6: with a short access token lifespan the app refreshes the
// tokens with the refresh token, invisibly. When Keycloak refuses the refresh
// (its session has ended and the back-channel logout did not reach the app),
// the app ends its session and says so with HTTP 401.
//
// Normally the back-channel logout reaches the app first and the user is
// simply logged out (TestBackchannelLogout); to reach the refresh-refused
// path, this test points the client's back-channel logout URL at a page that
// does not exist for a moment, as if the app had been unreachable.
func TestTokenRefresh(t *testing.T) {
	b := newBrowser(t)
	admin := newKeycloakAdmin(t)
	admin.repairInterruptedRun()

	// x/oauth2 treats a token as expired 10 s before its expiry, so with a
	// lifespan of 20 s the app refreshes it from 10 s after it was issued.
	const lifespan = 20 * time.Second
	const refreshAfter = lifespan - 10*time.Second + 2*time.Second
	admin.setClientAttributes(map[string]string{"access.token.lifespan": "20"})

	offset := logOffset(t)
	b.login("alice", "alice-password")
	loggedInAt := time.Now()
	sub := b.text(testID("sub"))
	// The profile says e.g. "2026-11-25 09:20:17 UTC (in 20 s)".
	expiry := b.text(testID("access-token-expiry"))
	if m := regexp.MustCompile(`\(in (\d+) s\)`).FindStringSubmatch(expiry); m == nil {
		t.Errorf("the access token should expire within %s (the client's lifespan), the profile says %q", lifespan, expiry)
	} else if n, _ := strconv.Atoi(m[1]); n > int(lifespan.Seconds()) {
		t.Errorf("the access token expires in %d s, more than the client's lifespan %s: %q", n, lifespan, expiry)
	}
	if line, ok := findLog(t, offset, `msg="tokens refreshed"`, "sub="+sub); ok {
		t.Errorf("the app refreshed the tokens right after login, before they expired: %s", line)
	}

	t.Logf("waiting %s, until the app treats the access token as expired", time.Until(loggedInAt.Add(refreshAfter)).Round(time.Second))
	time.Sleep(time.Until(loggedInAt.Add(refreshAfter)))
	offset = logOffset(t)
	resp := b.navigate("reload /profile after the access token expired", appURL+"/profile")
	refreshedAt := time.Now()
	if resp != http.StatusOK {
		t.Fatalf("/profile after the refresh: HTTP %d, want 200", resp)
	}
	b.expectProfile("alice")
	waitForLog(t, offset, `msg="tokens refreshed"`, "sub="+sub)

	t.Log("now the refresh-refused path: Keycloak ends alice's session, and the back-channel logout does not reach the app")
	admin.setClientAttributes(map[string]string{"backchannel.logout.url": backchannelBase() + disabledBackchannelPath})
	offset = logOffset(t)
	admin.logoutUser(admin.userID("alice"))
	waitForLog(t, offset, "path="+disabledBackchannelPath, "status=404")
	if line, ok := findLog(t, offset, `msg="back-channel logout"`); ok {
		t.Fatalf("the app received a back-channel logout although its URL was changed: %s", line)
	}

	t.Logf("waiting %s, until the refreshed access token expires too", time.Until(refreshedAt.Add(refreshAfter)).Round(time.Second))
	time.Sleep(time.Until(refreshedAt.Add(refreshAfter)))
	offset = logOffset(t)
	resp = b.navigate("reload /profile: the refresh is refused", appURL+"/profile")
	if resp != http.StatusUnauthorized {
		t.Errorf("/profile after the refused refresh: HTTP %d, want 401", resp)
	}
	b.do("wait for the session-ended page", chromedp.WaitVisible(chromedp.CSS(testID("error-title"))))
	if title := b.text(testID("error-title")); title != "Your session has ended" {
		t.Errorf("page title: got %q, want %q", title, "Your session has ended")
	}
	if status := b.text(testID("error-status")); status != "401" {
		t.Errorf("status shown: got %q, want 401", status)
	}
	if n := b.count(testID("nav-user")); n != 0 {
		t.Errorf("the session-ended page says alice has been logged out, but its header still shows %q with a Log out button "+
			"(the header is built from the user that requireLogin put in the request context, which outlives sessions.End)",
			b.text(testID("nav-user")))
	}
	waitForLog(t, offset, `msg="session ended at the provider"`, "sub="+sub)
	b.expectLoggedOutAtApp()

	b.do("click Log in again", chromedp.Click(chromedp.CSS(testID("error-retry"))))
	b.expectKeycloakLoginForm("Keycloak asks for the password (its session has ended)")
	b.fillKeycloakLogin("alice", "alice-password")
	b.expectProfile("alice")
}

// navigate loads url as one step and returns the HTTP status of the page
// the browser ends on.
func (b *browser) navigate(desc, url string) int64 {
	b.t.Helper()
	var status int64
	b.do(desc, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		resp, err := chromedp.NavigateResponse(url)(ctx, t)
		if err == nil {
			status = resp.Status
		}
		return chromedp.Void{}, err
	})
	b.t.Logf("  HTTP %d at %s", status, b.location())
	return status
}

package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Issue 9, item 1: roles follow the current tokens. An administrator removes
// alice's realm role admin in Keycloak; once her short-lived access token is
// refreshed, /admin answers 403, without a new login.
func TestRemovedRoleIsRefusedAfterRefresh(t *testing.T) {
	b := newBrowser(t)
	admin := newKeycloakAdmin(t)
	const lifespan = 20 * time.Second // x/oauth2 refreshes 10 s early
	admin.setClientAttributes(map[string]string{"access.token.lifespan": "20"})

	b.login("alice", "alice-password")
	loggedInAt := time.Now()
	if status := b.navigate("open /admin as alice (realm role admin)", appURL+"/admin"); status != http.StatusOK {
		t.Fatalf("/admin as alice: HTTP %d, want 200", status)
	}

	alice := admin.userID("alice")
	admin.removeRealmRole(alice, "admin")

	wait := time.Until(loggedInAt.Add(lifespan - 10*time.Second + 2*time.Second))
	t.Logf("waiting %s, until the app refreshes the access token", wait.Round(time.Second))
	time.Sleep(wait)
	offset := logOffset(t)
	if status := b.navigate("open /admin after the role was removed", appURL+"/admin"); status != http.StatusForbidden {
		t.Errorf("/admin after Keycloak removed alice's admin role and the tokens were refreshed: HTTP %d, want 403", status)
	}
	waitForLog(t, offset, `msg="tokens refreshed"`)
	if got := b.text(testID("missing-role-name")); got != "admin" {
		t.Errorf("the 403 page names the role %q, want admin", got)
	}
}

// Issue 9, item 9: POST /logout revokes the refresh token (RFC 7009) before
// the browser goes to Keycloak's end_session_endpoint. Here the browser never
// goes there (the logout is posted without following the redirect), and the
// refresh token is dead all the same.
func TestLogoutRevokesTheRefreshToken(t *testing.T) {
	b := newBrowser(t)
	b.login("alice", "alice-password")
	if status := b.navigate("open the token viewer (/tokens)", appURL+"/tokens"); status != http.StatusOK {
		t.Fatalf("/tokens: HTTP %d", status)
	}
	refreshToken := b.text(testID("refresh-token-raw"))
	if refreshToken == "" {
		t.Fatal("no refresh token on /tokens")
	}
	if status, _ := refreshAtKeycloak(t, refreshToken); status != http.StatusOK {
		t.Fatalf("control: the refresh token before logout gets HTTP %d at Keycloak, want 200", status)
	}
	// The refresh just used rotated nothing the app holds: Keycloak keeps
	// refresh tokens reusable unless the realm revokes them on use.

	// POST /logout with the browser's cookies, without following the
	// redirect to Keycloak's end_session_endpoint: the browser never gets
	// there, so Keycloak's session lives on.
	offset := logOffset(t)
	status, location := noRedirect(t, http.MethodPost, appURL+"/logout", b.appCookies())
	if status != http.StatusSeeOther || !strings.HasPrefix(location, issuer+"/protocol/openid-connect/logout?") {
		t.Fatalf("POST /logout: HTTP %d to %q, want 303 to Keycloak's end_session_endpoint", status, location)
	}
	waitForLog(t, offset, `msg=logout`)
	if line, ok := findLog(t, offset, "refresh token not revoked"); ok {
		t.Fatalf("the app could not revoke the refresh token: %s", line)
	}
	status, body := refreshAtKeycloak(t, refreshToken)
	if status != http.StatusBadRequest || !strings.Contains(body, "invalid_grant") {
		t.Errorf("the refresh token after logout: HTTP %d %s at Keycloak, want 400 invalid_grant (revoked)", status, body)
	}
	b.expectLoggedOutAtApp()
}

// refreshAtKeycloak uses a refresh token at Keycloak's token endpoint as the
// demo-app client, as a thief holding it and the client secret would.
func refreshAtKeycloak(t *testing.T, refreshToken string) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	req, err := http.NewRequest(http.MethodPost, issuer+"/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, clientSecret)
	resp, err := (&http.Client{Timeout: stepTimeout}).Do(req)
	if err != nil {
		t.Fatalf("refresh at Keycloak: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// removeRealmRole takes a realm role from a user, as an administrator would,
// and gives it back when the test ends.
func (k *keycloakAdmin) removeRealmRole(userID, role string) {
	k.t.Helper()
	var r map[string]any
	k.call(http.MethodGet, "/roles/"+role, nil, &r)
	mapping := []map[string]any{{"id": r["id"], "name": r["name"]}}
	k.call(http.MethodDelete, "/users/"+userID+"/role-mappings/realm", mapping, nil)
	k.t.Logf("removed realm role %s from user %s via the admin API", role, userID)
	k.t.Cleanup(func() {
		k.call(http.MethodPost, "/users/"+userID+"/role-mappings/realm", mapping, nil)
		k.t.Logf("gave realm role %s back to user %s", role, userID)
	})
}

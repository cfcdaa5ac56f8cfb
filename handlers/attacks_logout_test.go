package handlers_test

// RFC 7009 at logout: POST /logout revokes the refresh token at the
// provider before the browser is sent to end_session, so the token is dead
// even if the browser never arrives there (issue 9, item 9).

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// refreshAtProvider uses a refresh token directly at the provider's token
// endpoint, as a thief holding it would, and returns the status.
func refreshAtProvider(t *testing.T, app *testApp, refreshToken string) int {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	req, err := http.NewRequest(http.MethodPost, app.provider.Issuer()+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(app.provider.ClientID, app.provider.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestLogoutRevokesTheRefreshToken(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/profile")

	resp := b.post("/logout", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), app.provider.Issuer()+"/logout?") {
		t.Fatalf("POST /logout: status %d to %q, want 303 to the end_session_endpoint", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The browser has not gone to end_session (it may never): the refresh
	// token must be dead already.
	revoked := app.provider.Revoked()
	if len(revoked) != 1 {
		t.Fatalf("the provider revoked %d refresh tokens at logout, want 1", len(revoked))
	}
	if status := refreshAtProvider(t, app, revoked[0]); status != http.StatusBadRequest {
		t.Errorf("the refresh token after logout: status %d at the token endpoint, want 400 (revoked)", status)
	}
}

// A provider that fails to revoke does not keep the user logged in: the
// logout goes on, and the log says what happened (without the token).
func TestLogoutGoesOnWhenRevocationFails(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/profile")
	app.provider.SetRevocationFailure(http.StatusInternalServerError)

	offset := app.logOffset()
	resp := b.post("/logout", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), app.provider.Issuer()+"/logout?") {
		t.Fatalf("POST /logout with revocation failing: status %d to %q, want 303 to the end_session_endpoint", resp.StatusCode, resp.Header.Get("Location"))
	}
	if b.loggedIn() {
		t.Error("still logged in after a logout whose revocation failed")
	}
	if app.provider.RevocationRequests.Load() != 1 {
		t.Errorf("%d revocation requests, want 1", app.provider.RevocationRequests.Load())
	}
	if !strings.Contains(app.logSince(offset), "refresh token not revoked") {
		t.Error("the failed revocation is not in the log")
	}
}

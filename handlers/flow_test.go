package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestLoginHappyPath(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()

	authURL := b.startLogin("/profile")
	q := authURL.Query()
	// The authorization request carries everything the contract names.
	for param, want := range map[string]string{
		"response_type":         "code",
		"client_id":             app.provider.ClientID,
		"redirect_uri":          app.URL + "/callback",
		"code_challenge_method": "S256",
	} {
		if got := q.Get(param); got != want {
			t.Errorf("authorization request %s = %q, want %q", param, got, want)
		}
	}
	if !strings.Contains(" "+q.Get("scope")+" ", " openid ") {
		t.Errorf("scope %q lacks openid", q.Get("scope"))
	}
	// 32 random bytes, base64url: 43 characters = 256 bits (>= 128 wanted).
	for _, param := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(param)) < 43 {
			t.Errorf("%s = %q: want at least 43 characters", param, q.Get(param))
		}
	}
	if q.Get("state") == q.Get("nonce") {
		t.Error("state and nonce are equal; they must be independent random values")
	}

	callback := b.authorize(authURL)
	resp := b.get(callback.String())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/profile" {
		t.Fatalf("callback: status %d Location %q, want 303 /profile\n%s\nThe app's log (why it refused):\n%s",
			resp.StatusCode, resp.Header.Get("Location"), resp.Body, app.logs.String())
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("callback Cache-Control = %q, want no-store", got)
	}

	profile := b.get("/profile")
	if profile.StatusCode != http.StatusOK {
		t.Fatalf("GET /profile: status %d", profile.StatusCode)
	}
	for _, want := range []string{"alice", "Alice Liddell", "alice@example.com", "a1b2c3d4-0000-4000-8000-000000000001", "admin", "editor"} {
		if !strings.Contains(profile.Body, want) {
			t.Errorf("profile lacks %q", want)
		}
	}
	if got := profile.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("profile Cache-Control = %q, want no-store", got)
	}
	if !strings.Contains(app.logs.String(), "login succeeded") {
		t.Error("no 'login succeeded' line in the log")
	}
}

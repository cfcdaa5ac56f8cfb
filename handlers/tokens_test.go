package handlers_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// The token viewer decodes the tokens of this login (header and claims,
// each explained), shows each raw token for copying, says a production app
// would not, and says that an opaque token is opaque.
func TestTokensShowsDecodedTokens(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/profile")
	sent := app.provider.LastAuthRequest()
	idTokens := app.provider.IDTokens()
	idToken := idTokens[len(idTokens)-1]

	resp := b.get("/tokens")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /tokens: status %d\n%s", resp.StatusCode, resp.Body)
	}
	d := htmlDoc(t, resp).Selection

	if got := textOf(d, "tokens-warning"); !strings.Contains(got, "production app never displays tokens") {
		t.Errorf("no visible warning that a production app never displays tokens: %q", got)
	}
	if got := textOf(d, "id-token-raw"); got != idToken {
		t.Errorf("raw ID token shown %q…, want the one the provider issued", truncateForLog(got))
	}
	raw := d.Find(`textarea[data-testid="id-token-raw"]`)
	if _, readonly := raw.Attr("readonly"); !readonly {
		t.Error("the raw ID token's textarea is not readonly")
	}
	if id, _ := raw.Attr("id"); id == "" || d.Find(`label[for="`+id+`"]`).Length() != 1 {
		t.Error("the raw ID token's textarea has no label")
	}

	for id, want := range map[string]string{
		"id-token-header-alg":           "RS256",
		"id-token-header-kid":           app.provider.KeyID(),
		"id-token-claim-nonce":          sent.Nonce,
		"id-token-claim-sub":            "a1b2c3d4-0000-4000-8000-000000000001",
		"id-token-claim-iss":            app.provider.Issuer(),
		"id-token-claim-aud":            app.provider.ClientID,
		"id-token-claim-azp":            app.provider.ClientID,
		"access-token-claim-scope":      "openid profile email demo-api.read",
		"access-token-claim-typ":        "Bearer",
		"id-token-claim-email_verified": "true",
	} {
		if got := textOf(d, id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if got := textOf(d, "access-token-claim-aud"); !strings.Contains(got, `"account"`) {
		t.Errorf("access token aud = %q, want a JSON array with account", got)
	}
	if got := textOf(d, "access-token-claim-realm_access"); !strings.Contains(got, `"admin"`) {
		t.Errorf("realm_access = %q, want the admin role in it", got)
	}
	// Claims are explained, and times shown as dates and relative.
	exp := d.Find(`[data-testid="id-token-claim-exp"]`).Parent()
	if got := strings.TrimSpace(exp.Find(".when").Text()); !strings.Contains(got, "UTC, expires in ") {
		t.Errorf("exp is shown as %q, want a date and \"expires in …\"", got)
	}
	if got := strings.TrimSpace(d.Find(`[data-testid="id-token-claim-nonce"]`).Parent().Find(".meaning").Text()); got == "" {
		t.Error("the nonce claim is not explained")
	}
	if got := textOf(d, "access-token-expiry"); !strings.Contains(got, "in 5 min") && !strings.Contains(got, "in 4 min") {
		t.Errorf("access token expiry %q, want in about 5 min", got)
	}

	// The test provider's refresh tokens are random strings: opaque.
	if d.Find(`[data-testid="refresh-token-opaque"]`).Length() != 1 {
		t.Error("the opaque refresh token is not said to be opaque")
	}
	if textOf(d, "refresh-token-raw") == "" {
		t.Error("the refresh token is not shown for copying")
	}
	for _, secret := range secretForms(app) {
		if strings.Contains(resp.Body, secret) {
			t.Errorf("the token viewer contains the client secret (%q)", secret)
		}
	}
}

// "Refresh now" is a POST that other sites cannot make (CSRF).
func TestTokensRefreshRefusesCrossSitePosts(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/profile")
	before := app.provider.TokenRequests.Load()

	resp := b.post("/tokens", nil, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST /tokens: status %d, want 403", resp.StatusCode)
	}
	resp = b.post("/tokens", nil, map[string]string{"Origin": "https://evil.example"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST /tokens from another origin: status %d, want 403", resp.StatusCode)
	}
	if n := app.provider.TokenRequests.Load(); n != before {
		t.Errorf("a refused POST reached the token endpoint (%d requests, was %d)", n, before)
	}
}

// A same-origin "Refresh now" gets new tokens before the old ones expire,
// and the page after the redirect shows the old and the new expiry, once.
func TestTokensRefreshNow(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	app.provider.SetAccessTokenTTL(2 * time.Minute)
	b.mustLogin("/profile")
	oldAccess := textOf(htmlDoc(t, b.get("/tokens")).Selection, "access-token-raw")
	app.provider.SetAccessTokenTTL(10 * time.Minute)
	before := app.provider.TokenRequests.Load()

	resp := b.post("/tokens", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/tokens?refreshed=1" {
		t.Fatalf("POST /tokens: status %d Location %q, want 303 to /tokens?refreshed=1\n%s",
			resp.StatusCode, resp.Header.Get("Location"), resp.Body)
	}
	if n := app.provider.TokenRequests.Load(); n != before+1 {
		t.Errorf("token requests: %d, want %d (one refresh)", n, before+1)
	}

	d := htmlDoc(t, b.get("/tokens?refreshed=1")).Selection
	if got := textOf(d, "refresh-before"); !strings.Contains(got, "in 1 min") && !strings.Contains(got, "in 2 min") {
		t.Errorf("old expiry shown %q, want in about 2 min", got)
	}
	if got := textOf(d, "refresh-after"); !strings.Contains(got, "in 9 min") && !strings.Contains(got, "in 10 min") {
		t.Errorf("new expiry shown %q, want in about 10 min", got)
	}
	if got := textOf(d, "access-token-raw"); got == oldAccess || got == "" {
		t.Error("the access token shown did not change")
	}

	// The comparison is a one-shot flash: a reload shows the tokens only.
	if d := htmlDoc(t, b.get("/tokens?refreshed=1")).Selection; d.Find(`[data-testid="refresh-result"]`).Length() != 0 {
		t.Error("the refresh result is shown again on reload")
	}
	if !strings.Contains(app.logs.String(), `msg="tokens refreshed on request"`) {
		t.Error("no log line for the refresh")
	}
}

// If the provider refuses the refresh token, its session has ended: the
// app's session ends too, with the same 401 page as on any protected page.
func TestTokensRefreshAfterTheSessionEnded(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/profile")
	app.provider.EndAllSessions()

	resp := b.post("/tokens", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST /tokens after the provider's session ended: status %d, want 401", resp.StatusCode)
	}
	d := htmlDoc(t, resp).Selection
	if href, _ := d.Find(`[data-testid="error-retry"]`).Attr("href"); href != "/login?next=%2Ftokens" {
		t.Errorf("\"Log in again\" goes to %q, want /login?next=%%2Ftokens", href)
	}
	if b.loggedIn() {
		t.Error("still logged in after the provider refused the refresh token")
	}
}

// ForceRefresh without a refresh token says so instead of calling the
// provider.
func TestForceRefreshWithoutRefreshToken(t *testing.T) {
	app := newTestApp(t)
	before := app.provider.TokenRequests.Load()
	_, err := app.auth.ForceRefresh(t.Context(), auth.Login{Tokens: auth.Tokens{AccessToken: "a"}})
	if !errors.Is(err, auth.ErrNoRefreshToken) {
		t.Errorf("ForceRefresh without a refresh token: %v, want ErrNoRefreshToken", err)
	}
	if app.provider.TokenRequests.Load() != before {
		t.Error("ForceRefresh without a refresh token called the token endpoint")
	}
}

func truncateForLog(s string) string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}

// Logged out, "Refresh now" sends the user to log in and then back to the
// token viewer (a page), not to a URL that only takes POSTs.
func TestTokensRefreshLoggedOutLogsInAndReturnsToTheViewer(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	resp := b.post("/tokens", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Ftokens" {
		t.Fatalf("logged-out POST /tokens: status %d Location %q, want 303 to /login?next=%%2Ftokens",
			resp.StatusCode, resp.Header.Get("Location"))
	}
	b.mustLogin("/tokens")
	if page := b.get("/tokens"); page.StatusCode != http.StatusOK {
		t.Errorf("GET /tokens after login: status %d, want 200", page.StatusCode)
	}
}

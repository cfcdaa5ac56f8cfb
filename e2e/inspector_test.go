package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Issue 4, "See the flow": alice logs in on Keycloak, and the flow
// inspector shows her login with every check passed, the nonce it shows is
// the one in her ID token on the token viewer, "Refresh now" gets new
// tokens, and /admin lets her in (she has the realm role admin).
func TestInspectorShowsAlicesLogin(t *testing.T) {
	b := newBrowser(t)
	b.login("alice", "alice-password")

	if status := b.navigate("open the flow inspector (/flow)", appURL+"/flow"); status != http.StatusOK {
		t.Fatalf("/flow: HTTP %d, want 200", status)
	}
	outcomes := b.texts(testID("check-outcome"))
	t.Logf("ID token checks: %v", outcomes)
	if len(outcomes) < 9 {
		t.Errorf("/flow shows %d ID token checks, want at least 9 (signature, iss, aud, exp, sub, iat, azp, nonce, at_hash)", len(outcomes))
	}
	for i, o := range outcomes {
		if o != "passed" {
			t.Errorf("ID token check %d: %q, want passed", i+1, o)
		}
	}
	if got := b.text(testID("state-check-outcome")); got != "passed" {
		t.Errorf("state check: %q, want passed", got)
	}
	if got := b.text(testID("userinfo-sub-match")); !strings.HasPrefix(got, "passed") {
		t.Errorf("userinfo sub check: %q", got)
	}
	nonce := b.text(testID("auth-param-nonce"))
	state := b.text(testID("auth-param-state"))
	if len(nonce) < 43 || len(state) < 43 || nonce == state {
		t.Errorf("nonce %q and state %q: want two different values of at least 43 characters", nonce, state)
	}
	if got := b.text(testID("callback-state")); got != state {
		t.Errorf("the callback's state %q is not the one sent, %q", got, state)
	}
	// PKCE, computed here again from what the page shows.
	verifier, challenge := b.text(testID("pkce-verifier")), b.text(testID("auth-param-code_challenge"))
	sum := sha256.Sum256([]byte(verifier))
	if s256 := base64.RawURLEncoding.EncodeToString(sum[:]); s256 != challenge {
		t.Errorf("BASE64URL(SHA256(%q)) = %q, but the code_challenge sent was %q", verifier, s256, challenge)
	}
	if got := b.text(testID("pkce-computed")); got != challenge {
		t.Errorf("the page computed %q, want %q", got, challenge)
	}
	if got := b.text(testID("auth-url")); !strings.HasPrefix(got, issuer+"/protocol/openid-connect/auth?") {
		t.Errorf("authorization URL %q is not Keycloak's authorization endpoint", got)
	}
	// RFC 9207: Keycloak sends iss on the callback, and the app checked it.
	if got := b.text(testID("iss-check-outcome")); got != "passed" {
		t.Errorf("the callback's iss check: %q, want passed (Keycloak sends iss)", got)
	}
	// The back-channel messages as they went over the wire (redacted).
	if got := b.textContent(testID("token-request-wire")); !strings.Contains(got, "grant_type=authorization_code") ||
		!strings.Contains(got, "Authorization: Basic (redacted)") {
		t.Errorf("the token request on the wire: %q", got)
	}
	if got := b.textContent(testID("token-response-wire")); !strings.HasPrefix(got, "HTTP 200") || !strings.Contains(got, `"id_token": "eyJ`) {
		t.Errorf("the token response on the wire: %.200q", got)
	}
	if got := b.textContent(testID("userinfo-response-wire")); !strings.Contains(got, `"preferred_username":"alice"`) && !strings.Contains(got, `"preferred_username": "alice"`) {
		t.Errorf("the userinfo response on the wire: %.300q", got)
	}
	if got := b.text(testID("client-auth")); got != "client_secret_basic" {
		t.Errorf("client authentication %q, want client_secret_basic", got)
	}
	if html := b.pageHTML(); strings.Contains(html, clientSecret) {
		t.Error("/flow contains the client secret")
	}

	if status := b.navigate("open the token viewer (/tokens)", appURL+"/tokens"); status != http.StatusOK {
		t.Fatalf("/tokens: HTTP %d, want 200", status)
	}
	if got := b.text(testID("id-token-claim-nonce")); got != nonce {
		t.Errorf("the ID token's nonce claim on /tokens is %q, but /flow shows the nonce %q", got, nonce)
	}
	if got := b.text(testID("id-token-claim-preferred_username")); got != "alice" {
		t.Errorf("preferred_username: %q", got)
	}
	if got := b.text(testID("access-token-claim-realm_access")); !strings.Contains(got, `"admin"`) {
		t.Errorf("realm_access in the access token: %q, want the admin role", got)
	}
	for _, key := range []string{"id-token", "access-token", "refresh-token"} {
		raw := b.text(testID(key + "-raw"))
		if raw == "" || (key != "refresh-token" && !strings.HasPrefix(raw, "eyJ")) {
			t.Errorf("the raw %s shown is %.12q…", key, raw)
		}
	}
	// Keycloak's refresh tokens are JWTs (typ Refresh) in this realm;
	// the page decodes them, or says the token is opaque.
	if b.count(testID("refresh-token-opaque")) == 1 {
		t.Log("the refresh token is opaque")
	} else if got := b.text(testID("refresh-token-claim-typ")); got != "Refresh" {
		t.Errorf("the refresh token is decoded, with typ %q, want Refresh", got)
	}
	if got := b.text(testID("tokens-warning")); !strings.Contains(got, "production app never displays tokens") {
		t.Errorf("no warning that a production app never displays tokens: %q", got)
	}

	offset := logOffset(t)
	oldAccess := b.text(testID("access-token-raw"))
	b.do("press Refresh now", chromedp.Click(chromedp.CSS(testID("refresh-now"))),
		chromedp.WaitVisible(chromedp.CSS(testID("refresh-result"))))
	if loc := b.location(); loc != appURL+"/tokens?refreshed=1" {
		t.Errorf("after Refresh now the browser is at %s, want %s/tokens?refreshed=1", loc, appURL)
	}
	before, after := b.text(testID("refresh-before")), b.text(testID("refresh-after"))
	t.Logf("access token expiry before %q, after %q", before, after)
	if before == "" || after == "" || before == after {
		t.Errorf("the old and new expiry: %q and %q, want two different times", before, after)
	}
	if b.text(testID("access-token-raw")) == oldAccess {
		t.Error("the access token did not change")
	}
	waitForLog(t, offset, `msg="tokens refreshed on request"`)

	if status := b.navigate("open /admin as alice (realm role admin)", appURL+"/admin"); status != http.StatusOK {
		t.Errorf("/admin as alice: HTTP %d, want 200", status)
	}
	if b.count(testID("admin-granted")) != 1 {
		t.Error("/admin does not say alice was let in")
	}
}

// /admin needs the realm role admin: bob (role user) gets a 403 page that
// names it, alice gets the page.
func TestAdminNeedsRealmRoleAdmin(t *testing.T) {
	t.Run("bob", func(t *testing.T) {
		b := newBrowser(t)
		b.login("bob", "bob-password")
		if status := b.navigate("open /admin as bob (no admin role)", appURL+"/admin"); status != http.StatusForbidden {
			t.Errorf("/admin as bob: HTTP %d, want 403", status)
		}
		if got := b.text(testID("missing-role-name")); got != "admin" {
			t.Errorf("the 403 page names the role %q, want admin", got)
		}
		if roles := b.texts(testID("role")); !slices.Contains(roles, "user") || slices.Contains(roles, "admin") {
			t.Errorf("the 403 page lists bob's roles as %v", roles)
		}
		if !strings.Contains(b.text("main"), "realm_access.roles") {
			t.Error("the 403 page does not say where roles come from (realm_access.roles)")
		}
	})
	t.Run("alice", func(t *testing.T) {
		b := newBrowser(t)
		b.login("alice", "alice-password")
		if status := b.navigate("open /admin as alice", appURL+"/admin"); status != http.StatusOK {
			t.Errorf("/admin as alice: HTTP %d, want 200", status)
		}
		if b.count(testID("admin-granted")) != 1 {
			t.Error("/admin does not say alice was let in")
		}
	})
}

// pageHTML is the current page's whole HTML.
func (b *browser) pageHTML() string {
	b.t.Helper()
	return get(b, "the page's HTML", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
}

// textContent is the text of the first element matching css, also when it
// is folded away in a closed <details> (innerText would be empty there).
func (b *browser) textContent(css string) string {
	b.t.Helper()
	return get(b, "the text of "+css, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, css)))
}

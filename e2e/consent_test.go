package e2e

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Scopes and consent (issue 18, docs/consent.md), against Keycloak, on the
// instance whose client asks for consent (demo-app-consent, :3005, started
// by services_test.go; compose's service app-consent). Keycloak remembers a
// consent per user and client, so each test starts by withdrawing alice's.

// The consent screen's texts for the demo API's scopes (the realm's
// consent.screen.text) and Keycloak's for the built-in scopes.
const (
	consentRead  = "Read your data in the demo API"
	consentWrite = "Write notes in the demo API on your behalf"
)

// withdrawConsent removes alice's consent for the consent client, as the
// account console's "Applications" page does (404 when there is none).
func withdrawConsent(t *testing.T, k *keycloakAdmin, userID string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, keycloakURL+"/admin/realms/"+realm+"/users/"+userID+"/consents/"+consentClientID, nil)
	req.Header.Set("Authorization", "Bearer "+k.token())
	resp, err := k.client.Do(req)
	if err != nil {
		t.Fatalf("withdrawing the consent: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotFound {
		t.Fatalf("withdrawing the consent: HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode
}

// grantedConsent lists the client scopes alice has consented to for the
// consent client, as Keycloak stores them.
func grantedConsent(t *testing.T, k *keycloakAdmin, userID string) []string {
	t.Helper()
	var consents []struct {
		ClientID string   `json:"clientId"`
		Scopes   []string `json:"grantedClientScopes"`
	}
	k.call(http.MethodGet, "/users/"+userID+"/consents", nil, &consents)
	for _, c := range consents {
		if c.ClientID == consentClientID {
			slices.Sort(c.Scopes)
			return c.Scopes
		}
	}
	return nil
}

// freshConsent prepares a test: no consent of alice's for the client, now
// and after the test.
func freshConsent(t *testing.T) (*keycloakAdmin, string) {
	t.Helper()
	k := newKeycloakAdmin(t)
	alice := k.userID("alice")
	withdrawConsent(t, k, alice)
	t.Cleanup(func() { withdrawConsent(t, k, alice) })
	return k, alice
}

// consentScreen waits for Keycloak's consent screen and returns what it
// asks for.
func (b *browser) consentScreen(desc string) []string {
	b.t.Helper()
	b.do(desc, chromedp.WaitVisible(chromedp.ID("kc-oauth")), chromedp.WaitVisible(chromedp.ID("kc-cancel")))
	if loc := b.location(); !strings.HasPrefix(loc, issuer+"/") {
		b.t.Fatalf("the consent screen is at %s, want a page of Keycloak's realm", loc)
	}
	items := b.texts("#kc-oauth li")
	b.t.Logf("  the consent screen asks for: %q", items)
	return items
}

// loginAtConsent logs alice in at the consent instance, from its home page,
// up to Keycloak's consent screen, and returns what the screen asks for.
func (b *browser) loginAtConsent() []string {
	b.t.Helper()
	b.do("open the consent instance's home page", chromedp.Navigate(consentURL+"/"), chromedp.WaitVisible(chromedp.CSS(testID("nav-login"))))
	b.do("click Log in", chromedp.Click(chromedp.CSS(testID("nav-login"))))
	b.expectKeycloakLoginForm("wait for Keycloak's login form")
	b.fillKeycloakLogin("alice", "alice-password")
	return b.consentScreen("wait for Keycloak's consent screen")
}

// passesAxe runs the accessibility checks of a11y_test.go on the page the
// browser is on.
func (b *browser) passesAxe(name string) {
	b.t.Helper()
	axe, err := os.ReadFile(axePath)
	if err != nil {
		b.t.Fatalf("axe-core is missing (%v): run: npm ci --prefix e2e", err)
	}
	u, _ := url.Parse(b.location())
	b.checkPageStructure(u.Path)
	b.runAxe(name, u.Path, string(axe))
	b.checkNarrowScreen(name, u.Path)
	b.do("back to the normal window size", chromedp.EmulateViewport(1280, 900))
}

func expectAsks(t *testing.T, items []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(items, w) {
			t.Errorf("the consent screen does not ask for %q: %q", w, items)
		}
	}
}

// Grant: the first login at a client that asks for consent shows
// Keycloak's consent screen with the client's default scopes; "Yes" logs
// the user in, and the app shows the scopes the token response granted.
func TestConsentGrant(t *testing.T) {
	b := newBrowser(t)
	k, alice := freshConsent(t)

	items := b.loginAtConsent()
	expectAsks(t, items, consentRead, "User profile", "Email address")
	if slices.Contains(items, consentWrite) {
		t.Errorf("the first login asks for writing already: %q", items)
	}
	b.screenshot("the consent screen")
	b.do("press Yes", chromedp.Click(chromedp.ID("kc-login")), chromedp.WaitVisible(chromedp.CSS(testID("preferred-username"))))
	if loc := b.location(); loc != consentURL+"/profile" || b.text(testID("preferred-username")) != "alice" {
		t.Fatalf("after Yes: at %s as %q, want alice's profile at %s/profile", loc, b.text(testID("preferred-username")), consentURL)
	}
	b.passesAxe("profile (consent instance)")
	if got := grantedConsent(t, k, alice); !slices.Contains(got, "demo-api.read") || slices.Contains(got, "demo-api.write") {
		t.Errorf("Keycloak stored the consent %q, want demo-api.read and not demo-api.write", got)
	}

	b.navigate("open /tokens", consentURL+"/tokens")
	granted := strings.Fields(b.text(testID("granted-scopes")))
	if !slices.Contains(granted, "demo-api.read") || !slices.Contains(granted, "openid") || slices.Contains(granted, "demo-api.write") {
		t.Errorf("/tokens shows the granted scopes %q", granted)
	}
	b.passesAxe("tokens (consent instance)")

	b.navigate("open /flow", consentURL+"/flow")
	if html := get(b, "the page's HTML", chromedp.Evaluate[string](`document.body.innerText`)); !strings.Contains(html, "demo-api.read") {
		t.Error("/flow does not show the granted scope demo-api.read (step 4, the token response)")
	}
	b.passesAxe("flow (consent instance)")

	// Consent is remembered: a second login asks for nothing.
	b.navigate("log out at the app and log in again", consentURL+"/logout")
	b.do("confirm the logout", chromedp.Click(chromedp.CSS(testID("logout-confirm"))), chromedp.WaitVisible(chromedp.CSS(testID("nav-login"))))
	b.do("click Log in", chromedp.Click(chromedp.CSS(testID("nav-login"))))
	b.expectKeycloakLoginForm("Keycloak's login form (the logout ended its session)")
	b.fillKeycloakLogin("alice", "alice-password")
	b.do("straight to the profile: no consent screen", chromedp.WaitVisible(chromedp.CSS(testID("preferred-username"))))
}

// Deny: "No" on the consent screen sends the browser back with
// error=access_denied (RFC 6749 section 4.1.2.1); the app says so, and
// nobody is logged in.
func TestConsentDeny(t *testing.T) {
	b := newBrowser(t)
	k, alice := freshConsent(t)

	expectAsks(t, b.loginAtConsent(), consentRead)
	b.do("press No", chromedp.Click(chromedp.ID("kc-cancel")), chromedp.WaitVisible(chromedp.CSS(testID("error-retry"))))
	loc := b.location()
	u, _ := url.Parse(loc)
	if !strings.HasPrefix(loc, consentURL+"/callback?") || u.Query().Get("error") != "access_denied" || u.Query().Get("state") == "" {
		t.Errorf("after No the browser is at %s, want the callback with error=access_denied and the state", loc)
	}
	if got, status := b.text("h1"), b.text(testID("error-status")); got != "Login was not completed" || status != "400" {
		t.Errorf("the app's page is titled %q with status %s, want Login was not completed, 400", got, status)
	}
	body := get(b, "the page's text", chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.Contains(body, "You did not allow this app access (access_denied), so you are not logged in.") {
		t.Errorf("the app's page does not say what happened:\n%s", body)
	}
	b.passesAxe("login not completed (access_denied)")
	if b.count(testID("nav-user")) != 0 {
		t.Error("the page shows a logged-in user")
	}
	if got := grantedConsent(t, k, alice); got != nil {
		t.Errorf("Keycloak stored a consent after No: %q", got)
	}
}

// Grant later: log in with reading only, then "Allow writing" on /api: a
// new login that asks for demo-api.write too; Keycloak (whose session
// lives on, so no password) shows its consent screen for that scope only;
// back in the app, the write works.
func TestConsentGrantLater(t *testing.T) {
	b := newBrowser(t)
	k, alice := freshConsent(t)

	b.loginAtConsent()
	b.do("press Yes", chromedp.Click(chromedp.ID("kc-login")), chromedp.WaitVisible(chromedp.CSS(testID("preferred-username"))))
	b.navigate("open /api", consentURL+"/api")
	if b.count(testID("call-write")) != 0 || b.count(testID("allow-write")) != 1 {
		t.Fatalf("/api without demo-api.write: write form %d, Allow writing %d", b.count(testID("call-write")), b.count(testID("allow-write")))
	}
	if got := b.text(testID("granted-scopes")); strings.Contains(got, "demo-api.write") {
		t.Fatalf("granted %q before any step-up", got)
	}
	b.passesAxe("api, before writing is allowed")

	b.do("press Allow writing", chromedp.Click(chromedp.CSS(testID("allow-write"))))
	items := b.consentScreen("Keycloak asks for the new scope only (no password: its session lives on)")
	if len(items) != 1 || items[0] != consentWrite {
		t.Errorf("the step-up's consent screen asks for %q, want only %q", items, consentWrite)
	}
	b.screenshot("the consent screen for demo-api.write")
	b.do("press Yes", chromedp.Click(chromedp.ID("kc-login")), chromedp.WaitVisible(chromedp.CSS(testID("call-write"))))
	if loc := b.location(); loc != consentURL+"/api" {
		t.Errorf("after the step-up the browser is at %s, want %s/api", loc, consentURL)
	}
	if got := strings.Fields(b.text(testID("granted-scopes"))); !slices.Contains(got, "demo-api.write") || !slices.Contains(got, "demo-api.read") {
		t.Errorf("granted after the step-up: %q", got)
	}
	if got := grantedConsent(t, k, alice); !slices.Contains(got, "demo-api.write") {
		t.Errorf("Keycloak's stored consent %q lacks demo-api.write", got)
	}

	b.do("write a note", chromedp.Click(chromedp.CSS(testID("call-write"))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="api-result"][data-call="write"]`)))
	if got := b.text(testID("api-status")); got != "200 OK" || b.text(testID("api-outcome")) != "allowed" {
		t.Errorf("the write: %s (%s)", got, b.text(testID("api-outcome")))
	}
	if body := b.text(testID("api-body")); !strings.Contains(body, `"author_preferred_username": "alice"`) || !strings.Contains(body, `"text": "Hello from the consent lesson"`) {
		t.Errorf("the API's answer:\n%s", body)
	}
	if html := get(b, "the page's HTML", chromedp.Evaluate[string](`document.documentElement.outerHTML`)); aJWT.MatchString(html) {
		t.Error("the page shows a token")
	}
	b.passesAxe("api, after the write")
}

// Withdrawing the consent (the account console's Applications page does
// what this admin call does) takes effect at the next refresh: Keycloak
// refuses the refresh token (invalid_grant), so the app ends the session
// and says so; logging in again shows the consent screen again. Keycloak
// also sends a back-channel logout to the client when a consent is
// withdrawn; this test points the client's back-channel URL nowhere for
// its duration, to see the refresh path (docs/consent.md).
func TestConsentWithdrawnEndsTheSessionAtTheNextRefresh(t *testing.T) {
	b := newBrowser(t)
	k, alice := freshConsent(t)
	const lifespan = 20 * time.Second // x/oauth2 refreshes 10 s early
	k.setConsentClientAttributes(map[string]string{
		"access.token.lifespan":  "20",
		"backchannel.logout.url": consentBackchannelBase() + disabledBackchannelPath,
	})

	b.loginAtConsent()
	b.do("press Yes", chromedp.Click(chromedp.ID("kc-login")), chromedp.WaitVisible(chromedp.CSS(testID("preferred-username"))))
	loggedInAt := time.Now()
	b.navigate("open /tokens", consentURL+"/tokens")
	refreshToken := b.text(testID("refresh-token-raw"))

	if status := withdrawConsent(t, k, alice); status != http.StatusNoContent {
		t.Fatalf("withdrawing the consent: HTTP %d, want 204", status)
	}
	// Keycloak itself refuses the refresh token now.
	status, body := refreshAtKeycloakAs(t, consentClientID, consentClientSecret, refreshToken)
	if status != http.StatusBadRequest || !strings.Contains(body, `"invalid_grant"`) {
		t.Errorf("the refresh token after the consent was withdrawn: HTTP %d %s, want 400 invalid_grant", status, body)
	}
	t.Logf("Keycloak after the withdrawal: HTTP %d %s", status, body)

	wait := time.Until(loggedInAt.Add(lifespan - 10*time.Second + 2*time.Second))
	t.Logf("waiting %s, until the app refreshes the access token", wait.Round(time.Second))
	time.Sleep(wait)
	if status := b.navigate("open /tokens at the next refresh", consentURL+"/tokens"); status != http.StatusUnauthorized {
		t.Errorf("/tokens after the consent was withdrawn: HTTP %d, want 401 (the session ended)", status)
	}
	if got := b.text("h1"); got != "Your session has ended" {
		t.Errorf("the page says %q, want Your session has ended", got)
	}
	b.passesAxe("session ended (consent withdrawn)")

	// Keycloak's own session lives on: logging in asks for consent again.
	b.do("press Log in again", chromedp.Click(chromedp.CSS(testID("error-retry"))))
	expectAsks(t, b.consentScreen("Keycloak asks for consent again, without a password"), consentRead)
}

// consentBackchannelBase is the consent instance as Keycloak reaches it.
func consentBackchannelBase() string {
	if composeTarget() {
		return "http://app-consent:3005"
	}
	return consentURL
}

// setConsentClientAttributes is setClientAttributes for demo-app-consent.
func (k *keycloakAdmin) setConsentClientAttributes(attrs map[string]string) {
	k.t.Helper()
	var clients []struct {
		ID string `json:"id"`
	}
	k.call(http.MethodGet, "/clients?clientId="+consentClientID, nil, &clients)
	if len(clients) != 1 {
		k.t.Fatalf("Keycloak has %d clients %q", len(clients), consentClientID)
	}
	id := clients[0].ID
	var client map[string]any
	k.call(http.MethodGet, "/clients/"+id, nil, &client)
	current, _ := client["attributes"].(map[string]any)
	original := map[string]string{}
	for name := range attrs {
		v, _ := current[name].(string)
		original[name] = v
	}
	k.t.Cleanup(func() {
		k.call(http.MethodPut, "/clients/"+id, map[string]any{"attributes": original}, nil)
		k.t.Logf("restored the %s client's attributes %v", consentClientID, original)
	})
	k.call(http.MethodPut, "/clients/"+id, map[string]any{"attributes": attrs}, nil)
}

// refreshAtKeycloakAs is refreshAtKeycloak for another client.
func refreshAtKeycloakAs(t *testing.T, id, secret, refreshToken string) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	req, _ := http.NewRequest(http.MethodPost, issuer+"/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := (&http.Client{Timeout: stepTimeout}).Do(req)
	if err != nil {
		t.Fatalf("refresh at Keycloak: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

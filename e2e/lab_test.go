package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The attack lab (/lab): every card fired from its page in Chromium,
// against the seed app on :3004 and against this app, with the real
// Keycloak: the attack lands on the seed and is refused here. The lab plays
// the attacker (mallory, in the realms demo and attacker) from the app's
// server; the victim is this browser. The attacker's pages are the app at
// 127.0.0.1, another site for the browser than localhost.

// otherSite is the app at the address the browser counts as another site.
const otherSite = "http://127.0.0.1:3000"

// labLocalOnly skips a lab test under docker compose, saying why: the lab
// plays the attacker from the app's server, which must reach Keycloak at
// localhost:8080 (the browser's address); in a container that is the
// container itself. TestLabIDTokenTampering is the lab's smoke test there.
func labLocalOnly(t *testing.T) {
	t.Helper()
	if composeTarget() {
		t.Skipf("E2E_TARGET=%s: the lab's attacker logs mallory in at Keycloak from the app's server, at localhost:8080, "+
			"which inside the app's container is not Keycloak; TestLabIDTokenTampering is the lab's smoke test under compose, "+
			"and this test runs in scripts/test.sh", target)
	}
}

// fireLab opens the lab at base and presses a card's button for target
// ("seed" or "app").
func (b *browser) fireLab(base, card, target string) {
	b.t.Helper()
	button := testID("fire-" + card + "-" + target)
	b.do("open the lab at "+base, chromedp.Navigate(base+"/lab"), chromedp.WaitVisible(chromedp.CSS(testID("attack-"+card))))
	b.do(fmt.Sprintf("press %q (%s, %s)", b.text(button), card, target), chromedp.Click(chromedp.CSS(button)))
}

// expectErrorPage waits for the app's error page and checks its status
// and title.
func (b *browser) expectErrorPage(status, title string) {
	b.t.Helper()
	b.do("wait for the app's error page", chromedp.WaitVisible(chromedp.CSS(testID("error-title"))))
	gotStatus, gotTitle := b.text(testID("error-status")), b.text(testID("error-title"))
	b.t.Logf("the app's page: %s %q at %s", gotStatus, gotTitle, b.location())
	if gotStatus != status || gotTitle != title {
		b.t.Errorf("the app's error page: %s %q, want %s %q", gotStatus, gotTitle, status, title)
	}
}

// checkLabA11y runs the accessibility checks of every page on the page the
// browser is on.
func (b *browser) checkLabA11y(name string) {
	b.t.Helper()
	axe, err := os.ReadFile(axePath)
	if err != nil {
		b.t.Fatalf("axe-core is missing (%v): run: npm ci --prefix e2e", err)
	}
	where := b.location()
	b.checkPageStructure(where)
	b.runAxe(name, where, string(axe))
	b.checkNarrowScreen(name, where)
}

// seedLogin logs username in at the seed app (Keycloak's form, unless
// Keycloak's session already knows the browser).
func (b *browser) seedLogin(username, password string, form bool) {
	b.t.Helper()
	b.do("open the seed app", chromedp.Navigate(seedURL+"/"), chromedp.WaitVisible(chromedp.CSS(testID("nav-login"))))
	b.do("click Log in at the seed app", chromedp.Click(chromedp.CSS(testID("nav-login"))))
	if form {
		b.expectKeycloakLoginForm("wait for Keycloak's login form")
		b.fillKeycloakLogin(username, password)
	}
	b.expectSeedState("logged in", username)
}

// Login CSRF: mallory's code lands in this browser. The seed logs it in as
// mallory; this app refuses the state, which belongs to mallory's session.
func TestLabLoginCSRF(t *testing.T) {
	labLocalOnly(t)
	startSeed(t)
	b := newBrowser(t)
	b.do("open the lab", chromedp.Navigate(appURL+"/lab"), chromedp.WaitVisible(chromedp.CSS(testID("attack-login-csrf"))))
	if n := b.count(`[data-testid^="attack-"][id]`); n < 7 {
		t.Errorf("the lab has %d attack cards, want at least 7", n)
	}
	b.checkLabA11y("the lab (logged out)")

	b.fireLab(appURL, "login-csrf", "seed")
	b.expectSeedState("logged in", "mallory")

	offset := logOffset(t)
	b.fireLab(appURL, "login-csrf", "app")
	b.expectErrorPage("400", "This login cannot be completed")
	waitForLog(t, offset, "login failed", "unknown, expired or reused state")
	b.expectLoggedOutAtApp()
	b.checkLabA11y("the refused login CSRF")
}

// Code injection: a code from mallory's login, delivered to a login this
// browser started, with its own state. The seed logs it in as mallory;
// Keycloak refuses the code for this app, whose verifier does not match.
func TestLabCodeInjection(t *testing.T) {
	labLocalOnly(t)
	startSeed(t)
	b := newBrowser(t)
	b.fireLab(appURL, "code-injection", "seed")
	b.expectSeedState("logged in", "mallory")

	offset := logOffset(t)
	b.fireLab(appURL, "code-injection", "app")
	b.expectErrorPage("400", "Login failed")
	waitForLog(t, offset, "login failed", "token exchange refused by the provider: 400 invalid_grant")
	b.expectLoggedOutAtApp()
}

// Open redirect: after the login, the seed follows next to the attacker's
// page; this app ignores it and shows the profile.
func TestLabOpenRedirect(t *testing.T) {
	labLocalOnly(t)
	startSeed(t)
	b := newBrowser(t)
	b.fireLab(appURL, "open-redirect", "seed")
	b.expectKeycloakLoginForm("Keycloak asks the seed app's user to log in")
	b.fillKeycloakLogin("alice", "alice-password")
	b.do("wait for the attacker's page", chromedp.WaitVisible(chromedp.CSS(testID("evil-landed"))))
	if loc := b.location(); loc != otherSite+"/lab/evil/landed" {
		t.Errorf("after the seed's login the browser is at %s, want %s/lab/evil/landed", loc, otherSite)
	}
	b.checkLabA11y("the attacker's landing page")

	// Keycloak knows alice now: this app's login needs no password.
	for _, variant := range []string{"fire-open-redirect-app", "elsewhere-open-redirect-app"} {
		offset := logOffset(t)
		b.do("open the lab", chromedp.Navigate(appURL+"/lab"), chromedp.WaitVisible(chromedp.CSS(testID(variant))))
		b.do("follow "+variant, chromedp.Click(chromedp.CSS(testID(variant))))
		b.expectProfile("alice")
		waitForLog(t, offset, "ignored unsafe next parameter")
	}
}

// ID token tampering, on the bench: the unchanged token passes the login's
// checks; alg none, an edited claim and another login's nonce are refused,
// and the page names the check. This is the lab's smoke test under docker
// compose: it needs nothing but the app and Keycloak.
func TestLabIDTokenTampering(t *testing.T) {
	requireEnv(t)
	b := newBrowser(t)
	b.login("alice", "alice-password")
	b.do("open the lab", chromedp.Navigate(appURL+"/lab"), chromedp.WaitVisible(chromedp.CSS(testID("attack-id-token-tampering"))))
	b.checkLabA11y("the lab (logged in)")
	if got := b.text(testID("unavailable-id-token-tampering-seed")); !strings.Contains(got, "never reads the ID token") {
		t.Errorf("the seed's side of the card says %q", got)
	}
	b.do("open the ID token bench", chromedp.Click(chromedp.CSS(testID("fire-id-token-tampering-app"))),
		chromedp.WaitVisible(chromedp.CSS(testID("tamper-claims"))))
	claims := get(b, "the claims", chromedp.Value(chromedp.CSS(testID("tamper-claims"))))
	if !strings.Contains(claims, `"nonce"`) || !strings.Contains(claims, `"preferred_username": "alice"`) {
		t.Fatalf("the bench does not show alice's ID token claims: %.200s", claims)
	}

	check := func(desc, sig, nonce, editedClaims, wantStatus, wantCheck string) {
		t.Helper()
		actions := []chromedp.Action[chromedp.Void]{
			// A fresh bench each time: its page has no result yet, so
			// the wait below waits for this check's.
			chromedp.Navigate(appURL + "/lab/tamper"),
			chromedp.WaitVisible(chromedp.CSS(testID("tamper-claims"))),
			chromedp.SetValue(chromedp.CSS(testID("tamper-claims")), editedClaims),
			chromedp.Click(chromedp.CSS(testID("tamper-sig-" + sig))),
			chromedp.Click(chromedp.CSS(testID("tamper-nonce-" + nonce))),
			chromedp.Click(chromedp.CSS(testID("tamper-submit"))),
			chromedp.WaitVisible(chromedp.CSS(testID("tamper-result"))),
		}
		b.do(desc, actions...)
		status := b.text(testID("tamper-status"))
		got := ""
		if b.count(testID("tamper-check")) > 0 {
			got = b.text(testID("tamper-check"))
		}
		t.Logf("%s: %s, refused by %q", desc, status, got)
		if status != wantStatus || got != wantCheck {
			t.Errorf("%s: %s refused by %q, want %s %q", desc, status, got, wantStatus, wantCheck)
		}
	}
	check("check the unchanged token", "keep", "mine", claims, "200", "")
	if b.count(testID("tamper-passed")) != 1 {
		t.Error("the unchanged token's result lists no passed checks")
	}
	b.checkLabA11y("the bench with a result")
	check("alg none", "none", "mine", claims, "400", "signature")
	check("aud changed, Keycloak's signature kept", "keep", "mine",
		strings.Replace(claims, `"aud": "demo-app"`, `"aud": "another-client"`, 1), "400", "signature")
	check("the unchanged token as another login's", "keep", "other", claims, "400", "nonce")
	b.expectLoggedInAtApp()
}

// Mix-up: a code from mallory's own provider (realm attacker). The seed
// passes it to the demo realm, which refuses it (one provider: nothing to
// mix up); this app refuses the iss before using the code.
func TestLabMixUp(t *testing.T) {
	labLocalOnly(t)
	startSeed(t)
	b := newBrowser(t)
	b.fireLab(appURL, "mix-up", "seed")
	b.do("wait for the seed's page", chromedp.WaitVisible(chromedp.CSS("h1")))
	page := b.textContent("main")
	t.Logf("the seed app says: %.200s", strings.Join(strings.Fields(page), " "))
	if !strings.HasPrefix(b.location(), seedURL+"/callback") || !strings.Contains(page, "invalid_grant") {
		t.Errorf("the seed app at %s: want its callback's page, the demo realm refusing the code (invalid_grant)", b.location())
	}

	offset := logOffset(t)
	b.fireLab(appURL, "mix-up", "app")
	b.expectErrorPage("400", "Login failed")
	waitForLog(t, offset, "login failed", "RFC 9207")
}

// A stolen access token: the seed's, out of its cookie, is taken by the
// demo API as a bearer token; the DPoP-bound one of the :3002 instance
// (client demo-app-fapi) is refused three ways. The :3000 lab says its
// tokens are bearer tokens and links to :3002's.
func TestLabStolenDPoPToken(t *testing.T) {
	labLocalOnly(t)
	startSeed(t)
	startApp3(t, map[string]string{"OIDC_CLIENT_ID": fapiClientID, "OIDC_PAR": "true"}, privateKeyJWT(t), dpop(t))

	b := newBrowser(t)
	b.do("open :3002/login", chromedp.Navigate(app3URL+"/login?next=%2Flab"))
	b.expectKeycloakLoginForm("wait for Keycloak's login form")
	b.fillKeycloakLogin("alice", "alice-password")
	b.do("wait for alice at :3002's lab", chromedp.WaitVisible(chromedp.CSS(testID("nav-user"))),
		chromedp.WaitVisible(chromedp.CSS(testID("attack-stolen-dpop-token"))))
	if loc := b.location(); loc != app3URL+"/lab" {
		t.Fatalf("after the login the browser is at %s, want %s/lab", loc, app3URL)
	}
	b.fireLab(app3URL, "stolen-dpop-token", "app")
	b.do("wait for the replays", chromedp.WaitVisible(chromedp.CSS(testID("stolen-verdict"))))
	statuses, challenges := b.texts(testID("stolen-status")), b.texts(testID("stolen-challenge"))
	t.Logf("the demo API to the stolen DPoP-bound token: %q %q", statuses, challenges)
	if len(statuses) != 3 || len(challenges) != 3 {
		t.Fatalf("%d replays, %d challenges; want 3 of each", len(statuses), len(challenges))
	}
	for i := range statuses {
		if statuses[i] != "401 Unauthorized" || !strings.HasPrefix(challenges[i], "DPoP ") {
			t.Errorf("replay %d: %s %q, want 401 with a DPoP challenge", i+1, statuses[i], challenges[i])
		}
	}
	b.checkLabA11y("the stolen token's replays")

	// The seed: Keycloak knows alice now, no password.
	b.seedLogin("alice", "", false)
	b.fireLab(appURL, "stolen-dpop-token", "seed")
	b.do("wait for the replay", chromedp.WaitVisible(chromedp.CSS(testID("stolen-verdict"))))
	if got := b.text(testID("stolen-status")); got != "200 OK" {
		t.Errorf("the demo API to the seed's stolen bearer token: %q, want 200 OK", got)
	}
	if body := b.textContent(testID("stolen-answer")); !strings.Contains(body, `"preferred_username": "alice"`) {
		t.Errorf("the demo API's answer is not about alice: %.300s", body)
	}

	b.do("open the lab at :3000", chromedp.Navigate(appURL+"/lab"), chromedp.WaitVisible(chromedp.CSS(testID("attack-stolen-dpop-token"))))
	if b.count(testID("fire-stolen-dpop-token-app")) != 0 || b.count(testID("elsewhere-stolen-dpop-token-app")) != 1 {
		t.Error("the :3000 lab offers to steal its own bearer token, or does not link to :3002's lab")
	}
}

// Logout CSRF from the attacker's page at 127.0.0.1: its link logs the
// browser out of the seed app; its form's POST to this app is refused
// with 403, and the session here lives on.
func TestLabLogoutCSRF(t *testing.T) {
	labLocalOnly(t)
	startSeed(t)
	b := newBrowser(t)
	b.login("alice", "alice-password")
	b.seedLogin("alice", "", false)

	b.fireLab(appURL, "logout-csrf", "seed")
	b.do("wait for the attacker's page", chromedp.WaitVisible(chromedp.CSS(testID("evil-seed-logout"))))
	if loc := b.location(); loc != otherSite+"/lab/evil/logout" {
		t.Errorf("the attacker's page is at %s, want %s/lab/evil/logout", loc, otherSite)
	}
	b.checkLabA11y("the attacker's page")
	b.do("follow its link to the seed app", chromedp.Click(chromedp.CSS(testID("evil-seed-logout"))))
	b.expectSeedState("logged out", "")

	offset := logOffset(t)
	b.fireLab(appURL, "logout-csrf", "app")
	b.do("wait for the attacker's page", chromedp.WaitVisible(chromedp.CSS(testID("evil-app-logout"))))
	b.do("press its button (POST to this app's /logout)", chromedp.Click(chromedp.CSS(testID("evil-app-logout"))))
	b.expectErrorPage("403", "Forbidden")
	if loc := b.location(); loc != appURL+"/logout" {
		t.Errorf("the refusal is at %s, want %s/logout", loc, appURL)
	}
	waitForLog(t, offset, "cross-origin request refused")
	b.expectLoggedInAtApp()
}

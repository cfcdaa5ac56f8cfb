package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The login in slow motion (/slow) against the real Keycloak: one run
// straight through with Continue, each hop's page checked for
// accessibility; and one changed value per hop, each refused by whoever
// really refuses it: Keycloak's own error page, this app's error page,
// Keycloak's error response.

// slowHop waits for hop n's page of /slow.
func (b *browser) slowHop(n string) {
	b.t.Helper()
	b.do("wait for hop "+n+" of the login in slow motion", chromedp.WaitVisible(chromedp.CSS(testID("slow-hop-"+n))))
	if loc := b.location(); loc != appURL+"/slow" {
		b.t.Fatalf("hop %s is shown at %s, want %s/slow", n, loc, appURL)
	}
}

// slowContinue presses the hop's Continue and waits for the page that
// answers it, found by the CSS selector next.
func (b *browser) slowContinue(desc, next string) {
	b.t.Helper()
	b.do(desc, chromedp.Click(chromedp.CSS(testID("slow-continue"))), chromedp.WaitVisible(chromedp.CSS(next)))
}

// slowChange replaces the value of one of the hop's inputs.
func (b *browser) slowChange(id, value string) {
	b.t.Helper()
	b.do("change "+id+" to "+value,
		chromedp.Clear(chromedp.CSS(testID(id))),
		chromedp.SendKeys(chromedp.CSS(testID(id)), value))
}

// slowAxe checks the page shown now as TestAccessibility checks every page.
func (b *browser) slowAxe(name, axe string) {
	b.t.Helper()
	b.checkPageStructure(name)
	b.runAxe(name, "/slow", axe)
	b.checkNarrowScreen(name, "/slow")
}

func readAxe(t *testing.T) string {
	t.Helper()
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run: npm ci --prefix e2e", err)
	}
	return string(axe)
}

// Straight through: from the home page's tour to the end, Continue at
// every hop, Keycloak's login page in between; every hop's page passes the
// accessibility checks; at the end nobody is logged in at the app.
// Under E2E_TARGET=compose this is the smoke test of /slow (the compose
// app has the token pages on).
func TestSlowLoginStraightThrough(t *testing.T) {
	requireEnv(t)
	axe := readAxe(t)
	b := newBrowser(t)
	b.do("open the home page", chromedp.Navigate(appURL+"/"), chromedp.WaitVisible(chromedp.CSS(testID("home-slow"))))
	b.do("follow the tour's link to /slow", chromedp.Click(chromedp.CSS(testID("home-slow"))),
		chromedp.WaitVisible(chromedp.CSS(testID("slow-start"))))
	b.slowAxe("slow (start)", axe)
	b.do("press Start", chromedp.Click(chromedp.CSS(testID("slow-start"))), chromedp.WaitVisible(chromedp.CSS(testID("slow-hop-1"))))
	b.slowHop("1")
	if url := b.text(testID("slow-auth-url")); !strings.HasPrefix(url, issuer+"/protocol/openid-connect/auth?") ||
		!strings.Contains(url, "redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fslow%2Fcallback") {
		t.Errorf("hop 1 shows %q, want Keycloak's authorization endpoint with redirect_uri /slow/callback", url)
	}
	b.slowAxe("slow hop 1", axe)
	b.slowContinue("Continue: to Keycloak", "#username")
	b.expectKeycloakLoginForm("wait for Keycloak's login form")
	b.fillKeycloakLogin("alice", "alice-password")

	b.slowHop("2")
	if iss := b.text(testID("slow-callback-iss")); iss != issuer {
		t.Errorf("hop 2 shows iss %q, want %q", iss, issuer)
	}
	b.slowAxe("slow hop 2", axe)
	b.slowContinue("Continue: the callback's checks", testID("slow-hop-3"))

	b.slowHop("3")
	request := b.text(testID("slow-token-request"))
	// The app posts to the token endpoint at the address it discovered:
	// the issuer's, or keycloak:8080 inside docker compose.
	if !strings.HasPrefix(request, "POST http") || !strings.Contains(request, "/realms/"+realm+"/protocol/openid-connect/token") ||
		!strings.Contains(request, "Authorization: Basic (redacted)") ||
		strings.Contains(request, clientSecret) {
		t.Errorf("hop 3 shows the token request as:\n%s", request)
	}
	if got := b.text(testID("slow-pkce-match")); !strings.HasPrefix(got, "yes") {
		t.Errorf("hop 3: the verifier does not fit the challenge: %q", got)
	}
	b.slowAxe("slow hop 3", axe)
	b.slowContinue("Continue: send the token request", testID("slow-hop-4"))

	b.slowHop("4")
	if got := b.text(testID("slow-token-response")); !strings.HasPrefix(got, "HTTP 200") || !strings.Contains(got, "characters)") {
		t.Errorf("hop 4 shows the token response as:\n%s", got)
	}
	b.slowAxe("slow hop 4", axe)
	b.slowContinue("Continue: check the ID token", testID("slow-hop-5"))

	b.slowHop("5")
	for i, outcome := range b.texts(testID("check-outcome")) {
		if outcome != "passed" && outcome != "not applicable" {
			t.Errorf("hop 5: check %d: %q", i+1, outcome)
		}
	}
	b.slowAxe("slow hop 5", axe)
	b.slowContinue("Continue: call userinfo", testID("slow-hop-6"))

	b.slowHop("6")
	if got := b.text(testID("slow-userinfo-match")); !strings.HasPrefix(got, "passed") {
		t.Errorf("hop 6: userinfo's sub %q", got)
	}
	b.slowAxe("slow hop 6", axe)
	b.expectLoggedOutAtApp()
}

// One changed value per hop, each refused, each refusal shown as it really
// is. One browser: after the first login Keycloak's session lets the next
// authorization requests through without the login page.
func TestSlowLoginChangesAreRefused(t *testing.T) {
	requireEnv(t)
	if composeTarget() {
		t.Skipf("E2E_TARGET=%s: TestSlowLoginStraightThrough is the smoke test of /slow on the compose stack; "+
			"the refusals ran against real Keycloak in scripts/test.sh", target)
	}
	axe := readAxe(t)
	b := newBrowser(t)
	// start starts a fresh run: /slow shows Start, or the run in progress
	// with its Start again.
	start := func(desc string) {
		b.do("open /slow", chromedp.Navigate(appURL+"/slow"), chromedp.WaitVisible(chromedp.CSS("h1")))
		button := testID("slow-start")
		if b.count(button) == 0 {
			button = testID("slow-restart")
		}
		b.do(desc, chromedp.Click(chromedp.CSS(button)), chromedp.WaitVisible(chromedp.CSS(testID("slow-hop-1"))))
		b.slowHop("1")
	}

	// Hop 1, redirect_uri: Keycloak's own error page; the browser stays there.
	start("start a login in slow motion")
	b.slowChange("edit-redirect_uri", appURL+"/not-registered")
	b.slowContinue("Continue with a redirect_uri Keycloak does not know", "#kc-error-message")
	if loc, body := b.location(), b.text("body"); !strings.HasPrefix(loc, issuer+"/") || !strings.Contains(body, "Invalid parameter: redirect_uri") {
		t.Errorf("after a changed redirect_uri the browser is at %s showing %.200q, want Keycloak's \"Invalid parameter: redirect_uri\"", loc, body)
	}

	// Hop 2, state: this app's error page, 400.
	start("start again")
	b.slowContinue("Continue: to Keycloak", "#username")
	b.expectKeycloakLoginForm("wait for Keycloak's login form")
	b.fillKeycloakLogin("alice", "alice-password")
	b.slowHop("2")
	b.slowChange("edit-callback-state", "a-state-this-browser-never-sent")
	b.slowContinue("Continue with a state this browser did not send", testID("error-title"))
	if status, title := b.text(testID("error-status")), b.text(testID("error-title")); status != "400" || !strings.Contains(title, "unknown state") {
		t.Errorf("after a changed state: status %s, %q; want the app's 400 page naming the unknown state", status, title)
	}

	// Hop 3, code_verifier: Keycloak's error response, shown as it came.
	start("start again")
	b.slowContinue("Continue: to Keycloak (already logged in there)", testID("slow-hop-2"))
	b.slowHop("2")
	b.slowContinue("Continue: the callback's checks", testID("slow-hop-3"))
	b.slowHop("3")
	b.slowChange("edit-code_verifier", "another-verifier-of-at-least-43-characters-0123456789")
	b.slowContinue("Continue with another code_verifier", testID("slow-refusal"))
	if status, code := b.text(testID("slow-refusal-status")), b.text(testID("slow-refusal-error")); status != "HTTP 400" || code != "invalid_grant" {
		t.Errorf("after a changed code_verifier Keycloak's answer is shown as %q %q, want HTTP 400 invalid_grant", status, code)
	}
	if b.count(testID("slow-refusal-description")) == 1 {
		t.Logf("Keycloak said: %s", b.text(testID("slow-refusal-description")))
	}
	b.slowAxe("slow refusal", axe)
	b.expectLoggedOutAtApp()
}

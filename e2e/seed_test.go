package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The seed app (cmd/seed): the seed Flask example ported as it was,
// DELIBERATELY INSECURE, the attack lab's target. It runs on :3004 as the
// realm's client demo-seed (redirect URI http://localhost:3004/callback,
// PKCE not required).
const (
	seedURL          = "http://localhost:3004"
	seedListen       = "localhost:3004"
	seedClientID     = "demo-seed"
	seedClientSecret = "demo-seed-secret-change-me"
)

// startSeed builds cmd/seed and starts it on :3004 for one test. Against
// docker compose it starts nothing: it tests the service seed of the lab
// profile, if it runs.
func startSeed(t *testing.T) {
	t.Helper()
	requireEnv(t)
	if composeTarget() {
		resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(seedURL + "/readyz")
		if err != nil {
			t.Skipf("E2E_TARGET=%s: no seed app answers at %s (docker compose --profile lab up starts it)", target, seedURL)
		}
		resp.Body.Close()
		return
	}
	if conn, err := net.DialTimeout("tcp", seedListen, time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s is already in use: stop the process there (scripts/demo.sh stop? see: ss -ltnp). "+
			"The test starts the seed app there (the realm allows exactly http://localhost:3004/callback)", seedListen)
	}
	repoRoot, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin, err := goBuild(repoRoot, t.TempDir(), "seed", "./cmd/seed")
	if err != nil {
		t.Fatal(err)
	}
	// The seed reads no .env file: it ignores the -env-file argument
	// startProcess gives every program.
	p, err := startProcess("seed app", bin, "", "seed.log", seedURL, withSettings(os.Environ(), map[string]string{
		"LISTEN_ADDR": seedListen, "BASE_URL": seedURL, "OIDC_ISSUER": issuer, "OIDC_DISCOVERY_URL": "",
		"OIDC_CLIENT_ID": seedClientID, "OIDC_CLIENT_SECRET": seedClientSecret,
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
}

// expectSeedState checks the seed's home page: "logged in" with the user's
// name, or "logged out"; and the warning every page carries.
func (b *browser) expectSeedState(want, username string) {
	b.t.Helper()
	b.do("wait for the seed's home page", chromedp.WaitVisible(chromedp.CSS(testID("login-state"))))
	if loc := b.location(); loc != seedURL+"/" {
		b.t.Fatalf("the browser is at %s, want %s/", loc, seedURL)
	}
	if got := b.text(testID("login-state")); got != want {
		b.t.Fatalf("the seed's home page says %q, want %q", got, want)
	}
	if username != "" {
		if got := b.text(testID("username")); got != username {
			b.t.Fatalf("the seed's home page names %q, want %q", got, username)
		}
	}
	if warning := b.text(testID("insecure-warning")); !strings.HasPrefix(warning, "Deliberately insecure.") {
		b.t.Errorf("the warning reads %q", warning)
	}
}

// The seed logs alice in through Keycloak's real login page, with an
// authorization request without state, nonce or PKCE (demo-seed allows
// it); GET /logout, followed from another site, logs her out, but not out
// of Keycloak. Its pages pass the accessibility checks.
func TestSeedLogsInThroughKeycloak(t *testing.T) {
	startSeed(t)
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run: npm ci --prefix e2e", err)
	}
	b := newBrowser(t)
	checkA11y := func(name, path string) {
		b.checkPageStructure(path)
		b.runAxe(name, path, string(axe))
		b.checkNarrowScreen(name, path)
	}

	if status := b.navigate("open the seed's home page", seedURL+"/"); status != http.StatusOK {
		t.Fatalf("GET %s/: HTTP %d", seedURL, status)
	}
	b.expectSeedState("logged out", "")
	checkA11y("seed home (logged out)", "/")
	if status := b.navigate("open the seed's callback without a code", seedURL+"/callback"); status != http.StatusBadRequest {
		t.Errorf("GET %s/callback: HTTP %d, want 400", seedURL, status)
	}
	checkA11y("seed callback error", "/callback")

	b.do("open the seed's home page again", chromedp.Navigate(seedURL+"/"), chromedp.WaitVisible(chromedp.CSS(testID("nav-login"))))
	b.do("click Log in", chromedp.Click(chromedp.CSS(testID("nav-login"))))
	b.expectKeycloakLoginForm("wait for Keycloak's login form")
	b.fillKeycloakLogin("alice", "alice-password")
	b.expectSeedState("logged in", "alice")
	checkA11y("seed home (logged in)", "/")

	// Logout CSRF: a link on another site (here a data: page, an opaque
	// origin) makes a top-level GET, which carries the seed's cookie.
	page := fmt.Sprintf(`data:text/html,<!DOCTYPE html><title>elsewhere</title><a id="bait" href="%s/logout">win a prize</a>`, seedURL)
	b.do("open a page on another site", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("bait")))
	b.do("follow its link to the seed's /logout", chromedp.Click(chromedp.ID("bait")))
	b.expectSeedState("logged out", "")

	// The Keycloak session outlived the logout: Log in comes straight back.
	b.do("click Log in: no password asked", chromedp.Click(chromedp.CSS(testID("nav-login"))),
		chromedp.WaitVisible(chromedp.CSS(testID("nav-logout"))))
	b.expectSeedState("logged in", "alice")
}

package e2e

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// cmd/minimal, the whole flow in one file, on :3003 as client demo-minimal
// (the realm allows exactly http://localhost:3003/callback).
const (
	minimalURL          = "http://localhost:3003"
	minimalListen       = "localhost:3003"
	minimalClientID     = "demo-minimal"
	minimalClientSecret = "demo-minimal-secret-change-me"
)

// startMinimal builds cmd/minimal and starts it on :3003 until the test ends.
// It has no /readyz: it discovers the provider before it listens, so its
// home page answering is its readiness.
func startMinimal(t *testing.T) *appProcess {
	t.Helper()
	requireEnv(t)
	if composeTarget() {
		t.Skipf("E2E_TARGET=%s: docker compose does not run cmd/minimal; this test runs against real Keycloak in scripts/test.sh", target)
	}
	if conn, err := net.DialTimeout("tcp", minimalListen, time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s is already in use: stop the process there (scripts/demo.sh stop? see: ss -ltnp). "+
			"The test starts cmd/minimal there (the realm allows exactly %s/callback)", minimalListen, minimalURL)
	}
	repoRoot, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	binDir := t.TempDir()
	bin, err := goBuild(repoRoot, binDir, "minimal", "./cmd/minimal")
	if err != nil {
		t.Fatal(err)
	}
	p, err := startProcessReadyAt("minimal app", bin, "", "minimal.log", minimalURL+"/", withSettings(os.Environ(), map[string]string{
		"LISTEN_ADDR":        minimalListen,
		"BASE_URL":           minimalURL,
		"OIDC_ISSUER":        issuer,
		"OIDC_CLIENT_ID":     minimalClientID,
		"OIDC_CLIENT_SECRET": minimalClientSecret,
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p
}

// The minimal app: alice logs in through Keycloak's own login page, sees
// her name, and logs out with the POST form: the browser goes through
// Keycloak's end_session_endpoint and comes back to the app, logged out
// there and at Keycloak (the next login asks for the password again). Its
// pages pass the same accessibility checks as the app's (a11y_test.go).
func TestMinimalLoginLogout(t *testing.T) {
	minimal := startMinimal(t)
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run: npm ci --prefix e2e", err)
	}
	b := newBrowser(t)
	checkPage := func(name, path string) {
		b.checkPageStructure(path)
		b.runAxe(name, path, string(axe))
		b.checkNarrowScreen(name, path)
	}

	if status := b.navigate("open the minimal app's error page (unknown state)", minimalURL+"/callback?state=bogus"); status != http.StatusBadRequest {
		t.Errorf("/callback?state=bogus: HTTP %d, want 400", status)
	}
	checkPage("minimal error page", "/callback?state=bogus")

	if status := b.navigate("open the minimal app", minimalURL+"/"); status != http.StatusOK {
		t.Fatalf("minimal /: HTTP %d, want 200", status)
	}
	b.do("wait for the logged-out home page", chromedp.WaitVisible(chromedp.CSS(testID("logged-out"))))
	checkPage("minimal home (logged out)", "/")

	b.do("click Log in", chromedp.Click(chromedp.CSS(testID("login"))))
	b.expectKeycloakLoginForm("wait for Keycloak's login form")
	b.fillKeycloakLogin("alice", "alice-password")
	b.do("wait for alice's name", chromedp.WaitVisible(chromedp.CSS(testID("name"))))
	if loc := b.location(); loc != minimalURL+"/" {
		t.Errorf("after login the browser is at %s, want %s/", loc, minimalURL)
	}
	if name := b.text(testID("name")); name != "Alice Liddell" {
		t.Fatalf("the minimal app shows %q as logged in, want Alice Liddell", name)
	}
	sub := b.text(testID("sub"))
	if sub == "" {
		t.Errorf("the minimal app shows no subject (sub)")
	}
	checkPage("minimal home (logged in)", "/")

	b.do("press Log out (a POST form)", chromedp.Click(chromedp.CSS(testID("logout"))))
	b.do("wait until Keycloak sends the browser back, logged out", chromedp.WaitVisible(chromedp.CSS(testID("logged-out"))))
	if loc := b.location(); !strings.HasPrefix(loc, minimalURL+"/") {
		t.Errorf("after logout the browser is at %s, want the minimal app's home %s/", loc, minimalURL)
	}

	// Keycloak's session ended too: logging in again asks for the password.
	b.do("click Log in again", chromedp.Click(chromedp.CSS(testID("login"))))
	b.expectKeycloakLoginForm("Keycloak asks for the password again (its session ended)")

	logged, err := os.ReadFile(minimal.logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logged), "msg=login sub="+sub) {
		t.Errorf("the minimal app's log has no login of sub %s:\n%s", sub, logged)
	}
	if strings.Contains(string(logged), "eyJ") {
		t.Errorf("the minimal app's log holds something that looks like a token:\n%s", logged)
	}
}

package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"

	"github.com/chromedp/chromedp"
)

// The FAPI 2.0 options (README, "Beyond the basics"), each on its own and
// all together, against the real Keycloak: a third instance of the app on
// :3002 (cookie session3), started for each test with that test's
// settings. The realm has two clients for it: demo-app-fapi, which
// requires every option, and demo-app-options, which requires none.
const (
	app3URL    = "http://localhost:3002"
	app3Listen = "localhost:3002"

	fapiClientID          = "demo-app-fapi" // requires PAR and private_key_jwt
	jwtClientID           = "demo-app-jwt"  // private_key_jwt, nothing else required
	optionsClientID       = "demo-app-options"
	optionsClientSecret   = "demo-app-options-secret-change-me"
	keycloakAuthEndpoint  = issuer + "/protocol/openid-connect/auth"
	keycloakRequestURIPfx = "urn:ietf:params:oauth:request_uri:"
)

// privateKeyJWT are the settings of private_key_jwt. Every :3002 instance
// shares one key file (the first creates it), as replicas would: Keycloak
// keeps the public key it fetched.
func privateKeyJWT(t *testing.T) map[string]string {
	return map[string]string{"OIDC_CLIENT_AUTH": "private_key_jwt", "OIDC_CLIENT_SECRET": "", "OIDC_CLIENT_KEY_FILE": app3KeyFile(t)}
}

var (
	app3KeyOnce sync.Once
	app3KeyPath string
)

func app3KeyFile(t *testing.T) string {
	app3KeyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "authcode-demo-e2e-key-")
		if err == nil {
			app3KeyPath = filepath.Join(dir, "client-key.pem")
		}
	})
	if app3KeyPath == "" {
		t.Fatal("no temporary folder for the client key")
	}
	return app3KeyPath
}

// startApp3 starts the app's binary on :3002 with settings on top of the
// :3000 instance's, and stops it when the test ends.
func startApp3(t *testing.T, settings ...map[string]string) *appProcess {
	t.Helper()
	requireEnv(t)
	all := map[string]string{
		"LISTEN_ADDR":                app3Listen,
		"BASE_URL":                   app3URL,
		"SESSION_COOKIE_NAME":        "session3",
		"OIDC_SERVICE_CLIENT_ID":     "",
		"OIDC_SERVICE_CLIENT_SECRET": "",
	}
	for _, more := range settings {
		for k, v := range more {
			all[k] = v
		}
	}
	p, err := startProcess("third app instance ("+t.Name()+")", theApp.binDir+"/authcode-demo", "",
		"app3-"+safeName(t.Name())+".log", app3URL, withSettings(appEnv(), all))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p
}

// fapiLogin logs alice in at :3002 and returns the URL of Keycloak's login
// page, which is the authorization request the browser was sent with.
func (b *browser) fapiLogin() string {
	b.t.Helper()
	b.do("open :3002/login", chromedp.Navigate(app3URL+"/login?next=%2Fprofile"))
	b.expectKeycloakLoginForm("wait for Keycloak's login form")
	authURL := b.location()
	b.fillKeycloakLogin("alice", "alice-password")
	b.do("wait for alice's profile at :3002", chromedp.WaitVisible(chromedp.CSS(testID("preferred-username"))))
	if loc := b.location(); loc != app3URL+"/profile" {
		b.t.Fatalf("after login the browser is at %s, want %s/profile", loc, app3URL)
	}
	if got := b.text(testID("email")); got != "alice@example.com" {
		b.t.Errorf("the profile shows email %q", got)
	}
	return authURL
}

// fapiUseAndLogout calls the demo API, refreshes the tokens and logs out at
// :3002, checking each step worked.
func (b *browser) fapiUseAndLogout() {
	b.t.Helper()
	b.do("open :3002/api", chromedp.Navigate(app3URL+"/api"), chromedp.WaitVisible(chromedp.CSS(testID("call-hello"))))
	b.do("press Call /api/hello", chromedp.Click(chromedp.CSS(testID("call-hello"))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="api-result"][data-call="hello"]`)))
	if status := b.text(testID("api-status")); status != "200 OK" {
		b.t.Errorf("/api/hello through :3002: %s, want 200 OK\n%s", status, b.text(testID("api-body")))
	}

	b.do("open :3002/tokens", chromedp.Navigate(app3URL+"/tokens"), chromedp.WaitVisible(chromedp.CSS(testID("refresh-now"))))
	oldAccess := b.text(testID("access-token-raw"))
	b.do("press Refresh now", chromedp.Click(chromedp.CSS(testID("refresh-now"))),
		chromedp.WaitVisible(chromedp.CSS(testID("refresh-result"))))
	if b.text(testID("access-token-raw")) == oldAccess {
		b.t.Error("Refresh now at :3002 did not change the access token")
	}

	b.do("log out of :3002", chromedp.Click(chromedp.CSS(testID("nav-logout"))),
		chromedp.WaitVisible(chromedp.CSS(testID("logged-out"))))
	if loc := b.location(); !strings.HasPrefix(loc, app3URL+"/") {
		b.t.Errorf("after logout the browser is at %s, want %s/", loc, app3URL)
	}
	if status, loc := noRedirectGet(b.t, app3URL+"/profile", b.appCookies()); status == http.StatusOK {
		b.t.Errorf(":3002 still serves the profile after logout (%d %q)", status, loc)
	}
}

// expectPushed checks that the browser went to Keycloak with only
// client_id and a request_uri (RFC 9126 section 4): no state, nonce or
// challenge in its URL.
func expectPushed(t *testing.T, authURL, client string) {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != keycloakAuthEndpoint {
		t.Fatalf("Keycloak's login page is at %s, want its authorization endpoint", authURL)
	}
	q := u.Query()
	if !strings.HasPrefix(q.Get("request_uri"), keycloakRequestURIPfx) || q.Get("client_id") != client {
		t.Errorf("the browser went to %s: want client_id=%s and a request_uri", authURL, client)
	}
	for _, param := range []string{"state", "nonce", "code_challenge", "redirect_uri", "scope"} {
		if q.Has(param) {
			t.Errorf("%s is in the browser's URL, though the request was pushed: %s", param, authURL)
		}
	}
}

// PAR on its own (OIDC_PAR=true, client demo-app-options, which does not
// require it): a full login, API call, refresh and logout. Then the
// attack: the request_uri the browser carried is replayed, and Keycloak
// refuses it (single use, RFC 9126 section 4).
func TestFAPIPushedAuthorizationRequests(t *testing.T) {
	startApp3(t, map[string]string{"OIDC_CLIENT_ID": optionsClientID, "OIDC_CLIENT_SECRET": optionsClientSecret, "OIDC_PAR": "true"})
	b := newBrowser(t)
	authURL := b.fapiLogin()
	t.Logf("the browser went to Keycloak with: %s", authURL)
	expectPushed(t, authURL, optionsClientID)
	b.fapiUseAndLogout()

	b.navigate("replay the authorization URL with its request_uri", authURL)
	if loc := b.location(); strings.HasPrefix(loc, app3URL+"/callback") {
		t.Fatalf("the replayed request_uri brought the browser back with a code: %s", loc)
	}
	if b.count("#username") != 0 {
		t.Errorf("Keycloak shows its login form for a replayed request_uri; want an error page")
	}
	page := b.textContent("body")
	t.Logf("Keycloak's answer to the replayed request_uri: %.200s", strings.Join(strings.Fields(page), " "))
}

// The client demo-app-fapi requires PAR, which Keycloak's discovery
// document does not say (it speaks for the realm, not one client): with
// OIDC_PAR off the app sends an ordinary authorization request, and
// Keycloak refuses it. This shows the realm client really enforces PAR.
func TestFAPIClientRequiresPAR(t *testing.T) {
	startApp3(t, map[string]string{"OIDC_CLIENT_ID": fapiClientID, "OIDC_PAR": "false"}, privateKeyJWT(t))
	b := newBrowser(t)
	b.navigate("open :3002/login with OIDC_PAR off", app3URL+"/login")
	if b.count("#username") != 0 {
		t.Fatalf("Keycloak shows its login form to demo-app-fapi without a pushed request (%s)", b.location())
	}
	page := strings.Join(strings.Fields(b.textContent("body")), " ")
	t.Logf("Keycloak's answer: %.200s", page)
}

// The demo-app-fapi client with everything it requires, as the third
// instance of scripts/demo.sh and docker compose runs it.
func TestFAPIAllOptions(t *testing.T) {
	startApp3(t, map[string]string{"OIDC_CLIENT_ID": fapiClientID, "OIDC_PAR": "true"}, privateKeyJWT(t))
	b := newBrowser(t)
	authURL := b.fapiLogin()
	expectPushed(t, authURL, fapiClientID)
	b.fapiUseAndLogout()
}

// private_key_jwt on its own (client demo-app-jwt): no secret anywhere;
// Keycloak fetches the app's /.well-known/jwks.json and checks a fresh
// assertion on the token request, the refresh and the revocation. Then the
// attacks, straight at Keycloak's token endpoint with assertions signed by
// the app's own key: Keycloak refuses a wrong aud, an expired one and a
// replayed jti. The control (a fresh, correct assertion) gets past client
// authentication and fails only on the bogus refresh token.
func TestFAPIPrivateKeyJWT(t *testing.T) {
	startApp3(t, map[string]string{"OIDC_CLIENT_ID": jwtClientID}, privateKeyJWT(t))
	b := newBrowser(t)
	b.fapiLogin()
	b.fapiUseAndLogout()

	key, created, err := auth.LoadOrCreateSigningKey(app3KeyFile(t))
	if err != nil || created {
		t.Fatalf("reading the app's key: created %v, %v", created, err)
	}
	tokenURL := issuer + "/protocol/openid-connect/token"
	post := func(assertion string) (int, string) {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"not-a-refresh-token"},
			"client_id": {jwtClientID}, "client_assertion_type": {auth.ClientAssertionType}, "client_assertion": {assertion}}
		resp, err := http.PostForm(tokenURL, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Error + ": " + body.Description
	}
	sign := func(aud string, at time.Time) string {
		a, err := key.ClientAssertion(jwtClientID, aud, at)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	fresh := sign(issuer, time.Now())
	status, answer := post(fresh)
	t.Logf("control, a fresh assertion: %d %s", status, answer)
	if status != http.StatusBadRequest || !strings.HasPrefix(answer, "invalid_grant") {
		t.Fatalf("a fresh, correct assertion: %d %s; want 400 invalid_grant (client authenticated, bad refresh token)", status, answer)
	}
	for _, c := range []struct{ name, assertion string }{
		{"the same assertion again (replayed jti)", fresh},
		{"aud another server", sign("https://other-provider.example", time.Now())},
		{"expired (signed 5 minutes ago)", sign(issuer, time.Now().Add(-5*time.Minute))},
	} {
		status, answer := post(c.assertion)
		t.Logf("%s: %d %s", c.name, status, answer)
		if status != http.StatusUnauthorized && status != http.StatusBadRequest || !strings.HasPrefix(answer, "invalid_client") {
			t.Errorf("%s: Keycloak answered %d %s; want invalid_client", c.name, status, answer)
		}
	}
}

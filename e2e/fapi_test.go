package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/display"

	"github.com/chromedp/chromedp"
)

// The FAPI 2.0 options (docs/fapi.md), each on its own and
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

// dpop are the settings of DPoP, with a key file the test reads too.
func dpop(t *testing.T) map[string]string {
	return map[string]string{"OIDC_DPOP": "true", "OIDC_DPOP_KEY_FILE": app3DPoPKeyFile(t)}
}

var (
	app3KeyOnce sync.Once
	app3KeyDir  string
)

func app3KeyFile(t *testing.T) string     { return filepath.Join(app3Keys(t), "client-key.pem") }
func app3DPoPKeyFile(t *testing.T) string { return filepath.Join(app3Keys(t), "dpop-key.pem") }

func app3Keys(t *testing.T) string {
	app3KeyOnce.Do(func() { app3KeyDir, _ = os.MkdirTemp("", "authcode-demo-e2e-keys-") })
	if app3KeyDir == "" {
		t.Fatal("no temporary folder for the app's keys")
	}
	return app3KeyDir
}

// theApp3 is docker compose's third instance (service app-fapi: client
// demo-app-fapi, all three options on) when E2E_TARGET=compose.
var theApp3 *appProcess

// startApp3 starts the app's binary on :3002 with settings on top of the
// :3000 instance's, and stops it when the test ends.
func startApp3(t *testing.T, settings ...map[string]string) *appProcess {
	t.Helper()
	requireEnv(t)
	if composeTarget() {
		// docker compose runs one third instance, with every option on:
		// TestFAPIAllOptions tests it. The tests of one option each start
		// their own instance, which they did in scripts/test.sh.
		t.Skipf("E2E_TARGET=%s: this test starts its own :3002 instance with its options, which the compose stack "+
			"does not have; it ran against real Keycloak in scripts/test.sh, and TestFAPIAllOptions tests compose's app-fapi", target)
	}
	if conn, err := net.DialTimeout("tcp", app3Listen, time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s is already in use: stop the process there (scripts/demo.sh stop? see: ss -ltnp). "+
			"The test starts the third app instance there (the realm allows exactly http://localhost:3002/callback)", app3Listen)
	}
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

// fapiLogin logs alice in at :3002 and returns the authorization request
// the browser was sent with, as the flow inspector recorded it (step 1 of
// /flow). (Keycloak moves its login form to another URL at once, so the
// browser's address bar does not show it.)
func (b *browser) fapiLogin() string {
	b.t.Helper()
	b.do("open :3002/login", chromedp.Navigate(app3URL+"/login?next=%2Fprofile"))
	b.expectKeycloakLoginForm("wait for Keycloak's login form")
	b.fillKeycloakLogin("alice", "alice-password")
	b.do("wait for alice's profile at :3002", chromedp.WaitVisible(chromedp.CSS(testID("preferred-username"))))
	if loc := b.location(); loc != app3URL+"/profile" {
		b.t.Fatalf("after login the browser is at %s, want %s/profile", loc, app3URL)
	}
	if got := b.text(testID("email")); got != "alice@example.com" {
		b.t.Errorf("the profile shows email %q", got)
	}
	b.do("open :3002/flow", chromedp.Navigate(app3URL+"/flow"), chromedp.WaitVisible(chromedp.CSS(testID("auth-url"))))
	return b.text(testID("auth-url"))
}

// fapiUseAndLogout calls the demo API, refreshes the tokens and logs out at
// :3002, checking each step worked. It returns the access token the app
// held last (the token viewer shows it) and the Authorization header the
// /api page showed (masked).
func (b *browser) fapiUseAndLogout() (accessToken, shownAuthorization string) {
	b.t.Helper()
	b.do("open :3002/api", chromedp.Navigate(app3URL+"/api"), chromedp.WaitVisible(chromedp.CSS(testID("call-hello"))))
	b.do("press Call /api/hello", chromedp.Click(chromedp.CSS(testID("call-hello"))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="api-result"][data-call="hello"]`)))
	if status := b.text(testID("api-status")); status != "200 OK" {
		b.t.Errorf("/api/hello through :3002: %s, want 200 OK\n%s", status, b.text(testID("api-body")))
	}
	shownAuthorization = b.text(testID("api-authorization"))

	b.do("open :3002/tokens", chromedp.Navigate(app3URL+"/tokens"), chromedp.WaitVisible(chromedp.CSS(testID("refresh-now"))))
	oldAccess := b.text(testID("access-token-raw"))
	b.do("press Refresh now", chromedp.Click(chromedp.CSS(testID("refresh-now"))),
		chromedp.WaitVisible(chromedp.CSS(testID("refresh-result"))))
	accessToken = b.text(testID("access-token-raw"))
	if accessToken == oldAccess {
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
	return accessToken, shownAuthorization
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
	// Keycloak sends the browser back with the error (RFC 6749 4.1.2.1).
	loc, _ := url.Parse(b.location())
	if loc == nil || loc.Query().Get("error") != "invalid_request" || !strings.Contains(loc.Query().Get("error_description"), "Pushed Authorization Request") {
		t.Errorf("Keycloak's refusal: the browser is at %s; want the callback with error=invalid_request about PAR", b.location())
	}
	page := strings.Join(strings.Fields(b.textContent("main")), " ")
	t.Logf("the app shows: %.200s", page)
}

// The demo-app-fapi client with everything it requires, as the third
// instance of scripts/demo.sh and docker compose runs it.
func TestFAPIAllOptions(t *testing.T) {
	if composeTarget() {
		requireEnv(t) // docker compose's app-fapi runs with all three (attachCompose)
	} else {
		startApp3(t, map[string]string{"OIDC_CLIENT_ID": fapiClientID, "OIDC_PAR": "true"}, privateKeyJWT(t), dpop(t))
	}
	b := newBrowser(t)
	authURL := b.fapiLogin()
	expectPushed(t, authURL, fapiClientID)
	// fapiLogin ends on /flow: each option is a step of its own there.
	for _, step := range []string{"flow-step-par", "flow-step-client-assertion", "flow-step-dpop"} {
		if b.count(testID(step)) != 1 {
			t.Errorf("/flow has no %s", step)
		}
	}
	if got := b.text(testID("par-request-uri")); !strings.HasPrefix(got, keycloakRequestURIPfx) {
		t.Errorf("/flow's PAR step shows request_uri %q", got)
	}
	if got := b.textContent(testID("assertion-signature")); !strings.HasPrefix(got, "ES256 by the app's key") {
		t.Errorf("/flow's client assertion: signature note %q", got)
	}
	if got := b.textContent(testID("dpop-token-type")); got != "DPoP" {
		t.Errorf("/flow's DPoP step: token_type %q, want DPoP", got)
	}
	token, shown := b.fapiUseAndLogout()
	expectDPoPBound(t, token, shown)
}

// expectDPoPBound checks a token from Keycloak is bound to the app's DPoP
// key, that the app used the DPoP scheme, and attacks it: the demo API
// takes it with a fresh proof by the app's key (the control), and refuses
// it as a bearer token, with the DPoP scheme but no proof, and with a
// proof by another key; Keycloak's userinfo refuses it as a bearer token.
func expectDPoPBound(t *testing.T, token, shownAuthorization string) {
	t.Helper()
	if !strings.HasPrefix(shownAuthorization, "DPoP eyJ") {
		t.Errorf("the /api page shows Authorization %q, want the DPoP scheme", shownAuthorization)
	}
	// The app's DPoP key: the test started the instance with it, except
	// under docker compose, where it stays in the container (key is nil).
	var key *auth.SigningKey
	if !composeTarget() {
		var err error
		if key, _, err = auth.LoadOrCreateSigningKey(app3DPoPKeyFile(t)); err != nil {
			t.Fatal(err)
		}
	}
	d, err := display.DecodeJWT(token)
	if err != nil {
		t.Fatalf("the access token shown is not a JWT: %v", err)
	}
	var claims struct {
		Typ string `json:"typ"`
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	json.Unmarshal(d.Payload, &claims)
	t.Logf("Keycloak's access token: typ %q, cnf.jkt %q", claims.Typ, claims.Cnf.JKT)
	if claims.Cnf.JKT == "" || (key != nil && claims.Cnf.JKT != key.Thumbprint()) {
		t.Fatalf("cnf.jkt %q, want the thumbprint of the app's DPoP key", claims.Cnf.JKT)
	}

	hello := apiURL + "/api/hello"
	call := func(target, authz string, proofKey *auth.SigningKey) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", authz)
		if proofKey != nil {
			p, err := proofKey.DPoPProof(http.MethodGet, target, token, "", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("DPoP", p)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
	}
	if key != nil {
		if status, challenge := call(hello, "DPoP "+token, key); status != http.StatusOK {
			t.Fatalf("control: the bound token with a proof by the app's key: %d %q, want 200", status, challenge)
		}
	} else {
		t.Log("control: the app's own call with its proof was shown on /api (docker compose keeps its key in the container)")
	}
	thief, err := auth.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, authz string
		key         *auth.SigningKey
	}{
		{"as a bearer token", "Bearer " + token, nil},
		{"DPoP scheme without a proof", "DPoP " + token, nil},
		{"with a proof by another key", "DPoP " + token, thief},
	} {
		status, challenge := call(hello, c.authz, c.key)
		t.Logf("demo API, stolen token %s: %d %s", c.name, status, challenge)
		if status != http.StatusUnauthorized || !strings.HasPrefix(challenge, "DPoP ") {
			t.Errorf("demo API, stolen token %s: %d %q, want 401 with a DPoP challenge", c.name, status, challenge)
		}
	}
	status, challenge := call(issuer+"/protocol/openid-connect/userinfo", "Bearer "+token, nil)
	t.Logf("Keycloak userinfo, the bound token as a bearer token: %d %s", status, challenge)
	if status != http.StatusUnauthorized {
		t.Errorf("Keycloak's userinfo took the DPoP-bound token as a bearer token: %d", status)
	}
}

// DPoP on its own (client demo-app-options, which does not require it:
// Keycloak binds the tokens because the app sends a proof).
func TestFAPIDPoP(t *testing.T) {
	startApp3(t, map[string]string{"OIDC_CLIENT_ID": optionsClientID, "OIDC_CLIENT_SECRET": optionsClientSecret}, dpop(t))
	b := newBrowser(t)
	b.fapiLogin()
	token, shown := b.fapiUseAndLogout()
	expectDPoPBound(t, token, shown)
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

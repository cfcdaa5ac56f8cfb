package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// DPoP (RFC 9449, internal/auth/dpop.go): the app proves possession of its
// key on every token request and every use of a bound token.

func withDPoP(key *auth.SigningKey) func(*appOptions) {
	return func(o *appOptions) { o.dpopKey = key }
}

// accessClaims decodes the access token the app holds for the browser's
// session, from the provider's own record of what it issued.
func accessClaimsOf(t *testing.T, raw string) map[string]any {
	t.Helper()
	d, err := display.DecodeJWT(raw)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	json.Unmarshal(d.Payload, &c)
	return c
}

// The login, a refresh and the userinfo call each carry a proof by the
// app's key; the tokens come back bound to it (token_type DPoP, cnf.jkt =
// the key's thumbprint), and the demo API accepts them only with a proof.
func TestDPoPBindsTheTokensToTheAppsKey(t *testing.T) {
	key := newClientKey(t)
	p := testprovider.New()
	t.Cleanup(p.Close)
	api := startDemoAPI(t, p)
	app := newTestApp(t, withProvider(p), withDPoP(key), func(o *appOptions) { o.apiURL = api.server.URL })
	b := app.newBrowser()
	b.mustLogin("/profile")

	var endpoints []string
	for _, proof := range p.DPoPProofs() {
		endpoints = append(endpoints, strings.TrimPrefix(proof.Endpoint, p.Issuer()))
		if proof.JKT != key.Thumbprint() {
			t.Errorf("a proof to %s is signed by another key", proof.Endpoint)
		}
		_, hasATH := proof.Claims["ath"]
		if hasATH != strings.HasSuffix(proof.Endpoint, "/userinfo") {
			t.Errorf("proof to %s: ath present %v; want ath exactly when a token is used", proof.Endpoint, hasATH)
		}
	}
	if got := strings.Join(endpoints, " "); got != "/token /userinfo" {
		t.Errorf("proofs accepted at %q, want /token /userinfo", got)
	}

	tokensPage := b.get("/tokens")
	if !strings.Contains(tokensPage.Body, "DPoP-bound") || !strings.Contains(tokensPage.Body, key.Thumbprint()) {
		t.Error("the token viewer does not show the access token's binding (cnf.jkt)")
	}
	tokens := p.IDTokens()
	if len(tokens) != 1 {
		t.Fatalf("%d ID tokens issued", len(tokens))
	}

	// The API call: Authorization: DPoP and a fresh proof, accepted.
	resp := b.callAPI("hello")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "200 OK") {
		t.Fatalf("API call with a bound token: status %d\n%s", resp.StatusCode, resp.Body)
	}
	if !strings.Contains(resp.Body, "DPoP eyJ") {
		t.Error("the /api page does not show the DPoP scheme in the Authorization header")
	}
	bound := accessClaimsOf(t, api.lastToken(t))
	cnf, _ := bound["cnf"].(map[string]any)
	if cnf["jkt"] != key.Thumbprint() {
		t.Errorf("access token cnf %v, want jkt %s", bound["cnf"], key.Thumbprint())
	}

	// A refresh gets new bound tokens, again with a proof.
	if resp := b.post("/tokens", nil, map[string]string{"Sec-Fetch-Site": "same-origin"}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("refresh: status %d", resp.StatusCode)
	}
	if n := len(p.DPoPProofs()); n != 3 {
		t.Errorf("%d proofs after the refresh, want 3", n)
	}
	if resp := b.callAPI("hello"); !strings.Contains(resp.Body, "200 OK") {
		t.Errorf("API call after the refresh failed:\n%s", resp.Body)
	}
}

// Attack: a bound token taken from the app (the session store, a log) and
// sent on its own, as a bearer token or with a proof by another key, is
// refused by the demo API with a DPoP challenge.
func TestDPoPStolenTokenIsUseless(t *testing.T) {
	key := newClientKey(t)
	p := testprovider.New()
	t.Cleanup(p.Close)
	api := startDemoAPI(t, p)
	app := newTestApp(t, withProvider(p), withDPoP(key), func(o *appOptions) { o.apiURL = api.server.URL })
	b := app.newBrowser()
	b.mustLogin("/profile")
	b.callAPI("hello")
	stolen := api.lastToken(t)

	send := func(authz, proof string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, api.server.URL+"/api/hello", nil)
		req.Header.Set("Authorization", authz)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	thief := newClientKey(t)
	theirs, _ := thief.DPoPProof("GET", api.server.URL+"/api/hello", stolen, "", app.clock.Now())
	for name, resp := range map[string]*http.Response{
		"as a bearer token":          send("Bearer "+stolen, ""),
		"DPoP scheme, no proof":      send("DPoP "+stolen, ""),
		"with the thief's own proof": send("DPoP "+stolen, theirs),
	} {
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "DPoP ") {
			t.Errorf("stolen token %s: %d %q, want 401 with a DPoP challenge", name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

// The provider may demand a nonce (RFC 9449 section 8): the app retries
// once with it, and the login works; with private_key_jwt the retry carries
// a fresh client assertion (a reused jti would be refused).
func TestDPoPNonceIsHandled(t *testing.T) {
	p := testprovider.New()
	t.Cleanup(p.Close)
	p.SetDPoPNonce("server-nonce-1")
	app := newTestApp(t, withProvider(p), withDPoP(newClientKey(t)), withClientKey(newClientKey(t)))
	b := app.newBrowser()
	b.mustLogin("/profile")
	if n := p.NonceRefusals(); n != 1 {
		t.Errorf("%d token requests refused for want of a nonce, want exactly 1 (then the app knows it)", n)
	}
	proofs := p.DPoPProofs()
	if len(proofs) == 0 || proofs[0].Claims["nonce"] != "server-nonce-1" {
		t.Fatalf("the accepted proof has no nonce: %+v", proofs)
	}
	// The refresh uses the nonce it learnt: no second refusal.
	if resp := b.post("/tokens", nil, map[string]string{"Sec-Fetch-Site": "same-origin"}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("refresh: status %d", resp.StatusCode)
	}
	if n := p.NonceRefusals(); n != 1 {
		t.Errorf("%d nonce refusals after the refresh, want still 1", n)
	}
}

// Attack (downgrade): a provider that answers a proof with a bearer token
// is not accepted: the login fails instead of holding an unbound token.
func TestDPoPUnboundTokenIsRefused(t *testing.T) {
	p := testprovider.New()
	t.Cleanup(p.Close)
	p.SetIgnoreDPoP(true)
	app := newTestApp(t, withProvider(p), withDPoP(newClientKey(t)))
	b := app.newBrowser()
	resp := b.login("/profile")
	if resp.StatusCode != http.StatusBadRequest || b.loggedIn() {
		t.Errorf("bearer token to a DPoP login: status %d, logged in %v; want 400 and no session", resp.StatusCode, b.loggedIn())
	}
	if !strings.Contains(app.logs.String(), "not DPoP-bound") {
		t.Errorf("the log does not say why:\n%s", app.logs.String())
	}
}

// Without OIDC_DPOP nothing changes: no proof, bearer tokens.
func TestDPoPOffByDefault(t *testing.T) {
	app := newTestApp(t)
	app.newBrowser().mustLogin("/profile")
	if n := len(app.provider.DPoPProofs()); n != 0 {
		t.Errorf("%d DPoP proofs sent by default", n)
	}
}

// The service client's tokens (client credentials) stay bearer tokens: no
// proof goes with them, and its call to the demo API works beside the
// user's DPoP-bound one.
func TestDPoPLeavesTheServiceClientAlone(t *testing.T) {
	p := testprovider.New()
	t.Cleanup(p.Close)
	api := startDemoAPI(t, p)
	app := newTestApp(t, withProvider(p), withDPoP(newClientKey(t)), func(o *appOptions) {
		o.apiURL = api.server.URL
		o.service = true
	})
	b := app.newBrowser()
	b.mustLogin("/profile")
	proofs := len(p.DPoPProofs())
	resp := b.callAPI("app-hello")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "200 OK") {
		t.Fatalf("the app's own call with DPoP on: status %d\n%s", resp.StatusCode, resp.Body)
	}
	if n := len(p.DPoPProofs()); n != proofs {
		t.Errorf("the client credentials grant sent %d DPoP proofs, want none", n-proofs)
	}
	if resp := b.callAPI("hello"); !strings.Contains(resp.Body, "200 OK") {
		t.Errorf("the user's DPoP call beside it failed:\n%s", resp.Body)
	}
}

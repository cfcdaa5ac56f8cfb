package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// The flow inspector shows each FAPI 2.0 option as its own step, with the
// messages as they went over the wire: the pushed request and Keycloak's
// answer, the client assertion decoded (signature noted, not kept), the
// DPoP proofs decoded. And never a secret: no assertion signature, no
// private key.
func TestFlowShowsTheFAPISteps(t *testing.T) {
	clientKey, dpopKey := newClientKey(t), newClientKey(t)
	p := testprovider.New()
	t.Cleanup(p.Close)
	p.SetIDTokenAlg(jose.PS256) // all three on is FAPI 2.0 mode: no RS256 (internal/auth/fapi.go)
	app := newTestApp(t, withProvider(p), withPAR, withClientKey(clientKey), withDPoP(dpopKey))
	b := app.newBrowser()
	b.mustLogin("/profile")
	resp := b.get("/flow")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /flow: %d", resp.StatusCode)
	}
	d := htmlDoc(t, resp).Selection
	pushed := p.PushedRequests()[0]

	// 1a: what was pushed, and the request_uri that came back.
	if d.Find(`[data-testid="flow-step-par"]`).Length() != 1 {
		t.Fatal("no PAR step")
	}
	for _, param := range []string{"state", "nonce", "code_challenge", "redirect_uri"} {
		if got := textOf(d, "par-param-"+param); got != pushed.Get(param) {
			t.Errorf("step 1a %s = %q, want the pushed %q", param, got, pushed.Get(param))
		}
	}
	if got := textOf(d, "par-request-uri"); !strings.HasPrefix(got, "urn:ietf:params:oauth:request_uri:") {
		t.Errorf("step 1a request_uri %q", got)
	}
	if !strings.Contains(textOf(d, "par-response"), "HTTP 201") {
		t.Errorf("step 1a response wire: %q", textOf(d, "par-response"))
	}
	// Step 2's state check works from the pushed state.
	if got := textOf(d, "state-check-outcome"); got != "passed" {
		t.Errorf("state check with PAR = %q, want passed", got)
	}

	// 3a: the assertion of the token request, decoded.
	if got := textOf(d, "assertion-claim-iss"); got != p.ClientID {
		t.Errorf("assertion iss %q", got)
	}
	if got := textOf(d, "assertion-claim-aud"); got != p.Issuer() {
		t.Errorf("assertion aud %q", got)
	}
	if got := textOf(d, "assertion-signature"); got != "ES256 by the app's key (kid "+clientKey.KeyID()+")" {
		t.Errorf("assertion signature note %q", got)
	}
	if n := d.Find(`[data-testid="assertion-used-at"]`).Length(); n != 2 {
		t.Errorf("assertions listed at %d endpoints, want 2 (PAR and token)", n)
	}
	for _, a := range p.ClientAssertions() {
		if sig := a.Raw[strings.LastIndex(a.Raw, ".")+1:]; strings.Contains(resp.Body, sig) {
			t.Errorf("/flow shows the signature of the assertion sent to %s", a.Endpoint)
		}
	}

	// 3b: the proofs, decoded, and the bound token type.
	if got := textOf(d, "dpop-token-type"); got != "DPoP" {
		t.Errorf("token_type shown %q, want DPoP", got)
	}
	if got := textOf(d, "dpop-proof-1-claim-htu"); got != p.Issuer()+"/token" {
		t.Errorf("proof 1 htu %q, want the token endpoint", got)
	}
	if got := textOf(d, "dpop-proof-1-header-typ"); got != "dpop+jwt" {
		t.Errorf("proof 1 typ %q", got)
	}
	if textOf(d, "dpop-proof-2-claim-ath") == "" {
		t.Error("the userinfo proof (2) shows no ath")
	}
	if strings.Contains(resp.Body, `&#34;d&#34;`) || strings.Contains(resp.Body, `"d":`) {
		t.Error("/flow shows a private key parameter (d)")
	}
}

// A default login has none of these steps.
func TestFlowWithoutFAPIOptionsHasNoFAPISteps(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	b.mustLogin("/profile")
	d := htmlDoc(t, b.get("/flow")).Selection
	for _, step := range []string{"flow-step-par", "flow-step-client-assertion", "flow-step-dpop"} {
		if d.Find(`[data-testid="`+step+`"]`).Length() != 0 {
			t.Errorf("a default login shows %s", step)
		}
	}
}

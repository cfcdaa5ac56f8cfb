package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// FAPI 2.0 mode (internal/auth/fapi.go): with PAR, private_key_jwt and DPoP
// all on, an ID token must be signed with PS256, ES256 or EdDSA (FAPI 2.0
// Security Profile section 5.4.1). The attack is the conformance suite's
// "invalid-alternate-alg": a provider that signs with RS256, with a key it
// really publishes.

func newFAPIApp(t *testing.T, p *testprovider.Provider) *testApp {
	t.Helper()
	return newTestApp(t, withProvider(p), withPAR, withClientKey(newClientKey(t)), withDPoP(newClientKey(t)))
}

func TestFAPIModeRefusesRS256IDTokens(t *testing.T) {
	for _, tc := range []struct {
		alg      jose.SignatureAlgorithm
		accepted bool
	}{
		{jose.RS256, false},
		{jose.PS256, true},
		{jose.ES256, true},
		{jose.EdDSA, true},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			p := testprovider.New()
			t.Cleanup(p.Close)
			p.SetIDTokenAlg(tc.alg)
			app := newFAPIApp(t, p)
			b := app.newBrowser()
			resp := b.login("/profile")
			if !tc.accepted {
				if resp.StatusCode != http.StatusBadRequest || b.loggedIn() {
					t.Fatalf("an %s ID token in FAPI mode: status %d, logged in %v; want 400 and no session", tc.alg, resp.StatusCode, b.loggedIn())
				}
				if !strings.Contains(app.logs.String(), "RS256") {
					t.Errorf("the log does not name the refused algorithm:\n%s", app.logs.String())
				}
				return
			}
			if resp.StatusCode != http.StatusSeeOther || !b.loggedIn() {
				t.Fatalf("a %s ID token in FAPI mode: status %d, want 303 and a session\n%s\n%s", tc.alg, resp.StatusCode, resp.Body, app.logs.String())
			}
		})
	}
}

// Not FAPI mode: with one or two of the options on, RS256 (what Keycloak
// signs with by default) is accepted as before.
func TestRS256OutsideFAPIMode(t *testing.T) {
	for name, opts := range map[string][]func(*appOptions){
		"no options":      nil,
		"DPoP only":       {withDPoP(newClientKey(t))},
		"PAR and DPoP":    {withPAR, withDPoP(newClientKey(t))},
		"PAR and the key": {withPAR, withClientKey(newClientKey(t))},
	} {
		t.Run(name, func(t *testing.T) {
			p := testprovider.New()
			t.Cleanup(p.Close)
			app := newTestApp(t, append(opts, withProvider(p))...)
			app.newBrowser().mustLogin("/profile")
		})
	}
}

// Back-channel logout tokens are JWTs too (section 5.4.1 covers every JWT
// the client processes): in FAPI mode an RS256 logout token is refused, a
// PS256 one ends the session.
func TestFAPIModeRefusesRS256LogoutTokens(t *testing.T) {
	p := testprovider.New()
	t.Cleanup(p.Close)
	p.SetIDTokenAlg(jose.PS256)
	app := newFAPIApp(t, p)
	b := app.newBrowser()
	sub, sid := b.providerSession()
	if status := app.postLogoutToken(t, url.Values{"logout_token": {p.SignWithAlg(jose.RS256, p.LogoutToken(sub, sid))}}); status != http.StatusBadRequest {
		t.Errorf("an RS256 logout token in FAPI mode: status %d, want 400", status)
	}
	if !b.loggedIn() {
		t.Fatal("an RS256 logout token ended the session in FAPI mode")
	}
	if status := app.postLogoutToken(t, url.Values{"logout_token": {p.SignWithAlg(jose.PS256, p.LogoutToken(sub, sid))}}); status != http.StatusOK {
		t.Errorf("a PS256 logout token: status %d, want 200", status)
	}
	if b.loggedIn() {
		t.Error("the PS256 logout token did not end the session")
	}
}

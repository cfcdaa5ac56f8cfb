package handlers_test

// Attacks on the ID token (OpenID Connect Core 3.1.3.7): the provider is
// made to issue tokens that are wrong in one way each, and the app must
// refuse every one of them.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

func TestLoginRefusesBadIDTokens(t *testing.T) {
	app := newTestApp(t)
	p := app.provider
	foreignKey := testprovider.ForeignKey()
	kid := p.KeyID()

	set := func(name string, value any) func(map[string]any) {
		return func(c map[string]any) { c[name] = value }
	}
	drop := func(names ...string) func(map[string]any) {
		return func(c map[string]any) {
			for _, name := range names {
				delete(c, name)
			}
		}
	}

	tests := []struct {
		name   string
		tamper func(claims map[string]any)        // changes the claims
		sign   func(claims map[string]any) string // replaces the signature
		// userInfoSub makes userinfo answer about someone else.
		userInfoSub string
		reason      string // in the log line
	}{
		{name: "nonce of another login", tamper: set("nonce", "another-login-nonce"), reason: "nonce does not match"},
		{name: "nonce missing", tamper: drop("nonce"), reason: "nonce does not match"},
		{name: "wrong audience", tamper: set("aud", "another-app"), reason: "audience"},
		{name: "wrong issuer", tamper: set("iss", "https://evil.example/realms/demo"), reason: "issued by a different provider"},
		{name: "alg none", sign: testprovider.SignNone, reason: "signature algorithm"},
		{
			name: "signed by a foreign key with the provider's kid",
			sign: func(c map[string]any) string {
				return testprovider.SignWithKey(foreignKey, kid, c)
			},
			reason: "signature",
		},
		{
			name: "expired",
			tamper: func(c map[string]any) {
				c["iat"] = time.Now().Add(-20 * time.Minute).Unix()
				c["exp"] = time.Now().Add(-10 * time.Minute).Unix()
			},
			reason: "expired",
		},
		{name: "sub missing", tamper: drop("sub"), reason: "sub claim missing"},
		{name: "iat missing", tamper: drop("iat"), reason: "iat claim missing"},
		{
			name:   "several audiences without azp",
			tamper: func(c map[string]any) { c["aud"] = []string{p.ClientID, "another-app"}; delete(c, "azp") },
			reason: "several audiences but no azp",
		},
		{name: "azp of another client", tamper: set("azp", "another-app"), reason: "azp is"},
		{name: "at_hash of another access token", tamper: set("at_hash", "AAAAAAAAAAAAAAAAAAAAAA"), reason: "at_hash"},
		{name: "userinfo about another subject", userInfoSub: "someone-else", reason: "userinfo sub does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.TamperIDToken(tt.tamper)
			p.SignIDTokensWith(tt.sign)
			p.SetUserInfoSubject(tt.userInfoSub)
			t.Cleanup(func() {
				p.TamperIDToken(nil)
				p.SignIDTokensWith(nil)
				p.SetUserInfoSubject("")
			})
			issued := len(p.IDTokens())

			b := app.newBrowser()
			b.t = t
			offset := app.logOffset()
			resp := b.login("/profile")
			expectLoginRefused(t, app, b, resp, http.StatusBadRequest, offset, tt.reason)
			if len(p.IDTokens()) != issued+1 {
				t.Errorf("the provider issued %d ID tokens, want 1: the attack did not reach the token checks",
					len(p.IDTokens())-issued)
			}
		})
	}

	// Control: with the provider behaving again, the same app logs in, so
	// each refusal above was caused by its tampering alone.
	app.newBrowser().mustLogin("/profile")
}

// The tampered claims really are in the token the app received: a check
// that the hook works, so the table above cannot pass by accident.
func TestTamperIDTokenReachesTheApp(t *testing.T) {
	app := newTestApp(t)
	app.provider.TamperIDToken(func(c map[string]any) { c["name"] = "Tampered Name" })
	b := app.newBrowser()
	b.mustLogin("/profile")
	if body := b.get("/profile").Body; !strings.Contains(body, "Tampered Name") {
		t.Fatal("the tampered claim is not in the app's view of the ID token")
	}
	tokens := app.provider.IDTokens()
	jwt, err := display.DecodeJWT(tokens[len(tokens)-1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	json.Unmarshal(jwt.Payload, &claims)
	if claims["name"] != "Tampered Name" {
		t.Fatalf("issued ID token claims: %v", claims)
	}
}

// When the provider rotates its signing key, the verifier sees an unknown
// kid, fetches the JWKS again and logins keep working without a restart:
// the first login with the new key works, at once (auth.KeySet).
func TestLoginAfterKeyRotation(t *testing.T) {
	app := newTestApp(t)
	app.newBrowser().mustLogin("/profile")
	keysCalls := app.provider.KeysCalls.Load()
	if keysCalls == 0 {
		t.Fatal("the first login did not fetch the provider's keys")
	}
	oldKid := app.provider.KeyID()

	app.provider.RotateKeys()
	if app.provider.KeyID() == oldKid {
		t.Fatal("RotateKeys kept the key id")
	}
	b := app.newBrowser()
	b.mustLogin("/profile")
	if !b.loggedIn() {
		t.Fatal("not logged in after the key rotation")
	}
	if got := app.provider.KeysCalls.Load(); got <= keysCalls {
		t.Errorf("keys fetched %d times in all, want more than %d (a refetch for the new kid)", got, keysCalls)
	}
}

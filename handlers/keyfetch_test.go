package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// /backchannel-logout takes tokens from anyone. A forged token must not make
// the app call the provider: a token naming an unknown key id fetches the
// JWKS at most once per auth.KeyRefetchInterval, a bad signature on a known
// key id never. A real key rotation is still picked up.
func TestForgedLogoutTokensDoNotDriveKeyFetches(t *testing.T) {
	app := newTestApp(t)
	p := app.provider
	b := app.newBrowser()
	sub, sid := b.providerSession() // the login fetched the keys once
	foreign := testprovider.ForeignKey()
	forge := func(kid string) url.Values {
		return url.Values{"logout_token": {testprovider.SignWithKey(foreign, kid, p.LogoutToken(sub, sid))}}
	}
	flood := func(kid string) {
		t.Helper()
		for range 25 {
			if status := app.postLogoutToken(t, forge(kid)); status != http.StatusBadRequest {
				t.Fatalf("forged logout token (kid %q): status %d, want 400", kid, status)
			}
		}
	}
	fetches := func() int64 { return p.KeysCalls.Load() }

	start := fetches()
	flood("unknown-kid-1") // the JWKS was fetched just now, at login
	flood(p.KeyID())       // the provider's kid, another key's signature
	if got := fetches() - start; got != 0 {
		t.Errorf("50 forged tokens right after a fetch: %d JWKS fetches, want 0", got)
	}

	app.clock.Advance(auth.KeyRefetchInterval)
	start = fetches()
	flood(p.KeyID()) // a known kid: fetching again would not help
	if got := fetches() - start; got != 0 {
		t.Errorf("25 tokens with the provider's kid and a bad signature: %d JWKS fetches, want 0", got)
	}
	flood("unknown-kid-2")
	if got := fetches() - start; got != 1 {
		t.Errorf("25 forged tokens with an unknown kid after %s: %d JWKS fetches, want 1", auth.KeyRefetchInterval, got)
	}
	if !b.loggedIn() {
		t.Fatal("a forged logout token ended the session")
	}

	// A real rotation: the provider's next logout token has a new kid.
	p.RotateKeys()
	app.clock.Advance(auth.KeyRefetchInterval)
	if status := app.postLogoutToken(t, url.Values{"logout_token": {p.Sign(p.LogoutToken(sub, sid))}}); status != http.StatusOK {
		t.Fatalf("a logout token signed with the rotated key: status %d, want 200", status)
	}
	if b.loggedIn() {
		t.Error("the logout token signed with the rotated key did not end the session")
	}
}

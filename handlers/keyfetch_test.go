package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// /backchannel-logout takes tokens from anyone. A forged token must not make
// the app flood the provider: forged key ids back to back fetch the JWKS at
// most auth.KeyRefetchBurst times, a bad signature on a known key id never.
// A real key rotation is picked up within 10 seconds even after the flood.
func TestForgedLogoutTokensDoNotDriveKeyFetches(t *testing.T) {
	app := newTestApp(t)
	p := app.provider
	b := app.newBrowser()
	sub, sid := b.providerSession() // the login fetched the keys once
	foreign := testprovider.ForeignKey()
	forge := func(kid string) url.Values {
		return url.Values{"logout_token": {testprovider.SignWithKey(foreign, kid, p.LogoutToken(sub, sid))}}
	}
	post := func(kid string) {
		t.Helper()
		if status := app.postLogoutToken(t, forge(kid)); status != http.StatusBadRequest {
			t.Fatalf("forged logout token (kid %q): status %d, want 400", kid, status)
		}
	}
	fetches := func() int64 { return p.KeysCalls.Load() }

	start := fetches()
	for range 25 {
		post(p.KeyID()) // the provider's kid, another key's signature
	}
	if got := fetches() - start; got != 0 {
		t.Errorf("25 tokens with the provider's kid and a bad signature: %d JWKS fetches, want 0", got)
	}
	for i := range 50 {
		post(fmt.Sprintf("unknown-kid-%d", i))
	}
	if got := fetches() - start; got > auth.KeyRefetchBurst {
		t.Errorf("50 forged key ids back to back: %d JWKS fetches, want at most %d", got, auth.KeyRefetchBurst)
	}
	if !b.loggedIn() {
		t.Fatal("a forged logout token ended the session")
	}

	// A real rotation: the provider's next logout token has a new kid. It
	// is accepted within 10 s of the flood (the provider sends it again).
	p.RotateKeys()
	var waited time.Duration
	for app.postLogoutToken(t, url.Values{"logout_token": {p.Sign(p.LogoutToken(sub, sid))}}) != http.StatusOK {
		if waited >= 10*time.Second {
			t.Fatalf("a logout token signed with the rotated key still refused after %s", waited)
		}
		app.clock.Advance(time.Second)
		waited += time.Second
	}
	if b.loggedIn() {
		t.Error("the logout token signed with the rotated key did not end the session")
	}
}

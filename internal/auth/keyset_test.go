package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testclock"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// The key set under attack: a provider that rotates its key, and forged
// tokens naming key ids the provider never published (keyset.go).

type keySetUnderTest struct {
	t        *testing.T
	provider *testprovider.Provider
	clock    *testclock.Clock
	keys     *auth.KeySet
}

func newKeySet(t *testing.T) *keySetUnderTest {
	p := newProvider(t)
	clock := testclock.New(time.Now())
	keys := auth.NewKeySet(&http.Client{Timeout: 5 * time.Second}, p.Issuer()+"/keys", clock.Now)
	return &keySetUnderTest{t: t, provider: p, clock: clock, keys: keys}
}

// real is a token signed with the provider's current key.
func (k *keySetUnderTest) real() string {
	return k.provider.Sign(map[string]any{"sub": "alice", "jti": fmt.Sprint(time.Now().UnixNano())})
}

// forged is a token with a key id the provider never published, signed by
// an attacker's key.
func (k *keySetUnderTest) forged(i int) string {
	return testprovider.SignWithKey(attackerKey, fmt.Sprintf("forged-kid-%d", i), map[string]any{"sub": "alice"})
}

var attackerKey = testprovider.ForeignKey()

func (k *keySetUnderTest) verify(raw string) error {
	_, err := k.keys.VerifySignature(context.Background(), raw)
	return err
}

func (k *keySetUnderTest) fetches() int64 { return k.provider.KeysCalls.Load() }

// A token signed with a new key id is accepted the first time it is seen:
// right after start (the first fetch), and right after a rotation, with no
// waiting for a refetch interval.
func TestKeySetAcceptsARotatedKeyAtOnce(t *testing.T) {
	k := newKeySet(t)
	if err := k.verify(k.real()); err != nil {
		t.Fatalf("a token of the provider's key right after start: %v", err)
	}
	for rotation := 1; rotation <= 2; rotation++ {
		k.provider.RotateKeys()
		if err := k.verify(k.real()); err != nil {
			t.Fatalf("rotation %d: a token of the new key, at once: %v", rotation, err)
		}
	}
	if got := k.fetches(); got != 3 {
		t.Errorf("%d JWKS fetches, want 3 (start and two rotations)", got)
	}
	// The keys are cached: more tokens of the current key fetch nothing.
	for range 10 {
		if err := k.verify(k.real()); err != nil {
			t.Fatal(err)
		}
	}
	if got := k.fetches(); got != 3 {
		t.Errorf("%d JWKS fetches after 10 more tokens of a known key, want still 3", got)
	}
}

// Forged tokens, each with a new key id, sent back to back: at most
// KeyRefetchBurst fetches, sequentially and concurrently, and a forged
// signature on the provider's own key id never fetches.
func TestKeySetForgedKeyIDsDriveAtMostABurstOfFetches(t *testing.T) {
	t.Run("sequential", func(t *testing.T) {
		k := newKeySet(t)
		for i := range 200 {
			if k.verify(k.forged(i)) == nil {
				t.Fatal("a forged token was accepted")
			}
		}
		if got := k.fetches(); got > auth.KeyRefetchBurst {
			t.Errorf("200 forged key ids back to back: %d JWKS fetches, want at most %d", got, auth.KeyRefetchBurst)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		k := newKeySet(t)
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				if k.verify(k.forged(i)) == nil {
					t.Error("a forged token was accepted")
				}
			})
		}
		wg.Wait()
		if got := k.fetches(); got > auth.KeyRefetchBurst {
			t.Errorf("50 forged key ids at once: %d JWKS fetches, want at most %d", got, auth.KeyRefetchBurst)
		}
	})
	t.Run("the provider's key id, another signature", func(t *testing.T) {
		k := newKeySet(t)
		if err := k.verify(k.real()); err != nil {
			t.Fatal(err)
		}
		for range 50 {
			forged := testprovider.SignWithKey(attackerKey, k.provider.KeyID(), map[string]any{"sub": "alice"})
			if k.verify(forged) == nil {
				t.Fatal("a forged token was accepted")
			}
		}
		if got := k.fetches(); got != 1 {
			t.Errorf("50 bad signatures on a known key id: %d JWKS fetches, want 1 (the first token's)", got)
		}
	})
	t.Run("a steady flood", func(t *testing.T) {
		// One forged token every 100 ms for a minute: one fetch per
		// KeyRefetchEvery after the burst, no more.
		k := newKeySet(t)
		const flood = time.Minute
		for i := range int(flood / (100 * time.Millisecond)) {
			k.verify(k.forged(i))
			k.clock.Advance(100 * time.Millisecond)
		}
		limit := int64(auth.KeyRefetchBurst) + int64(flood/auth.KeyRefetchEvery)
		if got := k.fetches(); got > limit {
			t.Errorf("a minute of forged tokens: %d JWKS fetches, want at most %d", got, limit)
		}
	})
}

// After a flood of forged key ids has emptied the bucket, a real rotation
// is accepted within 10 seconds; also while the flood goes on.
func TestKeySetAcceptsARotationAfterAFlood(t *testing.T) {
	const within = 10 * time.Second
	for _, floodGoesOn := range []bool{false, true} {
		t.Run(fmt.Sprintf("flood goes on: %v", floodGoesOn), func(t *testing.T) {
			k := newKeySet(t)
			if err := k.verify(k.real()); err != nil {
				t.Fatal(err)
			}
			for i := range 100 {
				k.verify(k.forged(i))
			}
			k.provider.RotateKeys()
			rotated := k.real()
			start := k.clock.Now()
			for i := 0; ; i++ {
				err := k.verify(rotated)
				if err == nil {
					break
				}
				if waited := k.clock.Now().Sub(start); waited > within {
					t.Fatalf("a token of the rotated key still refused after %s: %v", waited, err)
				}
				// The real client tries again a second later; the
				// attacker sends ten more forged tokens meanwhile.
				for j := range 10 {
					if floodGoesOn {
						k.verify(k.forged(1000 + 10*i + j))
					}
					k.clock.Advance(100 * time.Millisecond)
				}
			}
		})
	}
}

// The JWKS down: an unknown key id gets an error that says the keys could
// not be fetched (the demo API answers 503, not 401), and when the
// provider is back, the next allowed fetch works.
func TestKeySetProviderDown(t *testing.T) {
	k := newKeySet(t)
	k.provider.SetDown(true)
	if err := k.verify(k.real()); err == nil || !strings.Contains(err.Error(), "fetching keys") {
		t.Fatalf("JWKS down: %v, want a fetching keys error", err)
	}
	k.provider.SetDown(false)
	if err := k.verify(k.real()); err != nil {
		t.Errorf("JWKS back: %v", err)
	}
}

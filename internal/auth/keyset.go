package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/time/rate"
)

// How often a token naming an unknown key id may make us fetch the JWKS
// again: a token bucket (golang.org/x/time/rate) that holds
// KeyRefetchBurst fetches and gains one every KeyRefetchEvery.
//
//   - A real rotation is seen at once: its first token finds a fetch in the
//     bucket (the first fetch after start takes one, so two are left).
//   - Forged tokens sent back to back drive at most KeyRefetchBurst fetches;
//     a steady flood drives one per KeyRefetchEvery.
//   - After a flood, the next fetch is at most KeyRefetchEvery away; and
//     since every fetch loads the whole JWKS, even the flood's own fetches
//     pick up a rotated key for the real tokens.
const (
	KeyRefetchBurst = 3
	KeyRefetchEvery = 5 * time.Second
)

// KeySet is the provider's signing keys (its JWKS, RFC 7517) for go-oidc's
// verifier, fetched again for an unknown key id within a rate limit.
//
// go-oidc's own key set fetches the JWKS again for every token whose key id
// it does not know, and for every bad signature, with no pause. The
// back-channel logout endpoint and the demo API take tokens from anyone, so
// each forged token would make us call the provider. Here a token with a
// known key id is checked against that key only (a bad signature is just
// refused), and an unknown key id fetches the JWKS again while the token
// bucket allows it: a provider that rotates its keys (OpenID Connect Core
// 10.1.1) keeps working, and forged tokens cannot make us flood it.
type KeySet struct {
	url    string
	client *http.Client // has a timeout
	now    func() time.Time

	fetching sync.Mutex    // one fetch at a time; the others wait for it
	refetch  *rate.Limiter // the token bucket; used under fetching

	mu       sync.Mutex
	keys     []jose.JSONWebKey
	fetches  uint64 // fetches done, successful or not: 0 = never
	fetchErr error  // the last fetch's error
}

// NewKeySet returns a key set for the JWKS at url. now is nil for
// time.Now (tests pass a fake clock).
func NewKeySet(client *http.Client, url string, now func() time.Time) *KeySet {
	if now == nil {
		now = time.Now
	}
	return &KeySet{url: url, client: client, now: now,
		refetch: rate.NewLimiter(rate.Every(KeyRefetchEvery), KeyRefetchBurst)}
}

// asymmetricAlgs are the algorithms a JWKS key can check; the verifier has
// already refused any other (and "none") before it calls VerifySignature.
var asymmetricAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA,
}

// VerifySignature implements oidc.KeySet: it returns the token's payload
// if a key of the provider signed it.
func (k *KeySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSigned(raw, asymmetricAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, errors.New("malformed jwt")
	}
	kid := jws.Signatures[0].Header.KeyID

	candidates, fetches := k.keysFor(kid)
	if payload, ok := verifyWith(jws, candidates); ok {
		return payload, nil
	}
	if len(candidates) > 0 && kid != "" {
		// A key we have, and a signature it did not make: forged or
		// tampered. Fetching the JWKS again would not change that.
		return nil, errBadSignature
	}
	if candidates, err = k.fetchAgain(ctx, kid, fetches); err != nil {
		return nil, err
	}
	if payload, ok := verifyWith(jws, candidates); ok {
		return payload, nil
	}
	return nil, errBadSignature
}

var errBadSignature = errors.New("the signature does not match the provider's key")

func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey) ([]byte, bool) {
	for _, key := range keys {
		if payload, err := jws.Verify(&key); err == nil {
			return payload, true
		}
	}
	return nil, false
}

// keysFor returns the cached keys the token may be signed with (the one
// with its kid, or all of them for a token without a kid), and how many
// fetches the cache has seen.
func (k *KeySet) keysFor(kid string) ([]jose.JSONWebKey, uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var keys []jose.JSONWebKey
	for _, key := range k.keys {
		if kid == "" || key.KeyID == kid {
			keys = append(keys, key)
		}
	}
	return keys, k.fetches
}

// fetchAgain fetches the JWKS for a key id the cache lacks (seen is the
// number of fetches when the cache was read), if the token bucket allows.
// Requests that arrive during a fetch wait for it and use its result
// instead of fetching again.
func (k *KeySet) fetchAgain(ctx context.Context, kid string, seen uint64) ([]jose.JSONWebKey, error) {
	k.fetching.Lock()
	defer k.fetching.Unlock()

	keys, fetches := k.keysFor(kid)
	if fetches != seen {
		// Fetched while we waited: its answer is as fresh as ours would be.
		return k.found(keys, kid)
	}
	if !k.refetch.AllowN(k.now(), 1) {
		return nil, fmt.Errorf("no key with id %q in the provider's JWKS (not fetched again: %d fetches at most, one more every %s)",
			kid, KeyRefetchBurst, KeyRefetchEvery)
	}

	// Not bound to this request: a caller that gives up must not waste the
	// fetch for the others (the client's timeout still bounds it).
	fetched, err := k.fetch(context.WithoutCancel(ctx))
	k.mu.Lock()
	k.fetches++
	k.fetchErr = err
	if err == nil {
		k.keys = fetched
	}
	k.mu.Unlock()
	keys, _ = k.keysFor(kid)
	return k.found(keys, kid)
}

// found is the result of a fetch for kid: its keys, or why there are none.
func (k *KeySet) found(keys []jose.JSONWebKey, kid string) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	err := k.fetchErr
	k.mu.Unlock()
	switch {
	case err != nil:
		return nil, fmt.Errorf("fetching keys: %w", err)
	case len(keys) == 0:
		return nil, fmt.Errorf("no key with id %q in the provider's JWKS", kid)
	}
	return keys, nil
}

// fetch GETs the JWKS. Keys it cannot use (another key type, or meant for
// encryption, "use": "enc") are skipped, as RFC 7517 section 5 asks.
func (k *KeySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("JWKS answered %s", resp.Status)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("JWKS is not JSON: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if json.Unmarshal(raw, &key) != nil || !key.Valid() || !key.IsPublic() || key.Use == "enc" {
			continue
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// NewVerifier returns go-oidc's token verifier for provider (discovered for
// issuer), with signatures checked against a KeySet instead of go-oidc's
// own. Without SupportedSigningAlgs in config, the algorithms the provider
// advertises are allowed, as provider.Verifier would (asymmetric ones only).
func NewVerifier(provider *oidc.Provider, issuer string, client *http.Client, config oidc.Config, now func() time.Time) (*oidc.IDTokenVerifier, error) {
	var metadata struct {
		JWKSURL string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&metadata); err != nil || metadata.JWKSURL == "" {
		return nil, errors.New("discovery document has no jwks_uri")
	}
	if len(config.SupportedSigningAlgs) == 0 {
		for _, alg := range metadata.Algs {
			for _, known := range asymmetricAlgs {
				if alg == string(known) {
					config.SupportedSigningAlgs = append(config.SupportedSigningAlgs, alg)
				}
			}
		}
	}
	return oidc.NewVerifier(issuer, NewKeySet(client, metadata.JWKSURL, now), &config), nil
}

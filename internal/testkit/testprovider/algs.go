package testprovider

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"

	jose "github.com/go-jose/go-jose/v4"
)

// Signing algorithms beside RS256. Like Keycloak, which keeps one key per
// algorithm (a client's id.token.signed.response.alg of PS256 uses a key of
// its own), the provider makes a key for each algorithm it is asked to
// sign with, under its own kid, and publishes it in its JWKS.

// algKey is a signing key for one algorithm.
type algKey struct {
	alg jose.SignatureAlgorithm
	key crypto.Signer
	kid string
}

// SetIDTokenAlg makes the provider sign ID tokens with alg (PS256, ES256,
// EdDSA, or RS256 again) from now on; its key is published in the JWKS.
func (p *Provider) SetIDTokenAlg(alg jose.SignatureAlgorithm) {
	p.mu.Lock()
	p.idTokenAlg = alg
	p.mu.Unlock()
	if alg == jose.RS256 {
		p.SignIDTokensWith(nil)
		return
	}
	p.keyFor(alg) // published before the first token names it
	p.SignIDTokensWith(func(claims map[string]any) string { return p.SignWithAlg(alg, claims) })
}

// SignWithAlg signs claims with the provider's key for alg (made and
// published on first use); RS256 is the provider's usual key.
func (p *Provider) SignWithAlg(alg jose.SignatureAlgorithm, claims map[string]any) string {
	if alg == jose.RS256 {
		return p.Sign(claims)
	}
	k := p.keyFor(alg)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: k.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.kid))
	if err != nil {
		panic(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(err)
	}
	token, _ := jws.CompactSerialize()
	return token
}

// keyFor returns the key for alg, making it on first use.
func (p *Provider) keyFor(alg jose.SignatureAlgorithm) algKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range p.algKeys {
		if k.alg == alg {
			return k
		}
	}
	var key crypto.Signer
	var err error
	switch alg {
	case jose.PS256:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.EdDSA:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		panic("testprovider: no key for " + string(alg))
	}
	if err != nil {
		panic(err)
	}
	k := algKey{alg: alg, key: key, kid: randomString(8)}
	p.algKeys = append(p.algKeys, k)
	return k
}

// algJWKS is the public half of every algorithm's key, for /keys.
func (p *Provider) algJWKS() []jose.JSONWebKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	var keys []jose.JSONWebKey
	for _, k := range p.algKeys {
		keys = append(keys, jose.JSONWebKey{Key: k.key.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"})
	}
	return keys
}

// atHashFor is OpenID Connect Core 3.1.3.6's at_hash for an ID token signed
// with alg: the left half of the access token's hash, with the hash of the
// algorithm (SHA-512 for EdDSA with Ed25519, as go-oidc checks it).
func atHashFor(alg jose.SignatureAlgorithm, accessToken string) string {
	if alg == jose.EdDSA {
		sum := sha512.Sum512([]byte(accessToken))
		return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
	}
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

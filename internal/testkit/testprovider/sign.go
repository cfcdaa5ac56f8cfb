package testprovider

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Sign signs claims with the provider's current key (RS256, with its kid).
func (p *Provider) Sign(claims map[string]any) string {
	p.mu.Lock()
	key, kid := p.key, p.keyID
	p.mu.Unlock()
	return SignWithKey(key, kid, claims)
}

// SignWithKey signs claims with any RSA key: a foreign key makes a token
// whose signature the app must reject.
func SignWithKey(key *rsa.PrivateKey, kid string, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
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

// SignNone returns an unsigned token with alg "none" (RFC 7519 6.1), which
// the app must never accept.
func SignNone(claims map[string]any) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	payload, _ := json.Marshal(claims)
	return header + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
}

// ForeignKey returns a fresh RSA key the provider does not publish.
func ForeignKey() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return key
}

// LogoutToken returns claims of a valid Back-Channel Logout token for the
// given session; tests change them to make it invalid, then Sign it.
func (p *Provider) LogoutToken(sub, sid string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": p.Issuer(), "aud": p.ClientID, "sub": sub, "sid": sid,
		"iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(), "jti": randomString(12),
		"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
	}
}

// verify checks a token the provider signed itself (for userinfo).
func (p *Provider) verify(raw string) ([]byte, error) {
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	pub := p.key.Public()
	p.mu.Unlock()
	return jws.Verify(pub)
}

package testprovider

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Client authentication of the login client at the token, PAR and
// revocation endpoints: client_secret_basic / client_secret_post, or, after
// UseClientJWKS, private_key_jwt only (RFC 7523, OpenID Connect Core 9),
// checked as Keycloak checks it.

// ClientAssertionType is RFC 7523's client_assertion_type.
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// maxAssertionLifetime: an assertion valid for longer is refused.
const maxAssertionLifetime = 5 * time.Minute

// UseClientJWKS makes the login client authenticate with private_key_jwt
// only: each assertion is checked against the keys fetched from jwksURL
// (the app's /.well-known/jwks.json), and a secret is refused.
func (p *Provider) UseClientJWKS(jwksURL string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clientJWKSURL = jwksURL
}

// ClientAssertions returns the client assertions the provider accepted,
// oldest first, with the endpoint each was sent to.
func (p *Provider) ClientAssertions() []SeenAssertion {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]SeenAssertion(nil), p.assertions...)
}

// SeenAssertion is one accepted client assertion.
type SeenAssertion struct {
	Endpoint string
	Raw      string
	Claims   map[string]any
	Header   jose.Header
}

// LastClientAuthError says why the last client authentication failed.
func (p *Provider) LastClientAuthError() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.clientAuthError
}

// authenticateClient checks the login client's authentication on a
// back-channel request (token, PAR, revocation) whose form is parsed, and
// answers 401 invalid_client when it fails. endpoint is the URL the
// request was sent to.
func (p *Provider) authenticateClient(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	p.mu.Lock()
	jwksURL := p.clientJWKSURL
	p.mu.Unlock()
	var err error
	if jwksURL != "" {
		err = p.checkClientAssertion(r, endpoint, jwksURL)
	} else {
		// client_secret_basic or client_secret_post (RFC 6749 2.3.1).
		id, secret := secretCredentials(r)
		if id != p.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
			err = errors.New("wrong client id or secret")
		}
	}
	p.mu.Lock()
	p.clientAuthError = ""
	if err != nil {
		p.clientAuthError = err.Error()
	}
	p.mu.Unlock()
	if err != nil {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return false
	}
	return true
}

// checkClientAssertion is RFC 7523 section 3 and OpenID Connect Core 9.
func (p *Provider) checkClientAssertion(r *http.Request, endpoint, jwksURL string) error {
	if _, _, basic := r.BasicAuth(); basic || r.PostForm.Has("client_secret") {
		return errors.New("a secret was sent, but this client authenticates with private_key_jwt")
	}
	if r.PostForm.Get("client_assertion_type") != ClientAssertionType {
		return errors.New("no client_assertion_type jwt-bearer")
	}
	raw := r.PostForm.Get("client_assertion")
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256})
	if err != nil {
		return fmt.Errorf("client_assertion is not a JWS with an asymmetric algorithm: %v", err)
	}
	keys, err := fetchJWKS(jwksURL)
	if err != nil {
		return err
	}
	header := jws.Signatures[0].Header
	candidates := keys.Key(header.KeyID)
	if len(candidates) == 0 {
		return fmt.Errorf("no key %q in the client's JWKS", header.KeyID)
	}
	payload, err := jws.Verify(candidates[0])
	if err != nil {
		return errors.New("client_assertion signature does not verify with the client's key")
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return errors.New("client_assertion payload is not JSON")
	}
	if claims["iss"] != p.ClientID || claims["sub"] != p.ClientID {
		return errors.New("iss and sub must both be the client id")
	}
	if id := r.PostForm.Get("client_id"); id != "" && id != p.ClientID {
		return errors.New("client_id does not match the assertion")
	}
	if !audienceHas(claims["aud"], p.Issuer(), endpoint) {
		return fmt.Errorf("aud %v is neither the issuer nor this endpoint", claims["aud"])
	}
	now := time.Now()
	exp, _ := claims["exp"].(float64)
	switch {
	case exp == 0:
		return errors.New("no exp")
	case now.Unix() > int64(exp):
		return errors.New("client_assertion expired")
	case time.Unix(int64(exp), 0).Sub(now) > maxAssertionLifetime:
		return errors.New("client_assertion valid for too long")
	}
	jti, _ := claims["jti"].(string)
	if jti == "" {
		return errors.New("no jti")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seenJTIs[jti] {
		return errors.New("client_assertion jti already used (replay)")
	}
	p.seenJTIs[jti] = true
	p.assertions = append(p.assertions, SeenAssertion{Endpoint: endpoint, Raw: raw, Claims: claims, Header: header})
	return nil
}

func audienceHas(aud any, want ...string) bool {
	switch a := aud.(type) {
	case string:
		return slices.Contains(want, a)
	case []any:
		for _, v := range a {
			if s, ok := v.(string); ok && slices.Contains(want, s) {
				return true
			}
		}
	}
	return false
}

func fetchJWKS(jwksURL string) (jose.JSONWebKeySet, error) {
	var keys jose.JSONWebKeySet
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(jwksURL)
	if err != nil {
		return keys, fmt.Errorf("fetching the client's JWKS: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return keys, fmt.Errorf("the client's JWKS answered %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&keys); err != nil {
		return keys, fmt.Errorf("the client's JWKS is not a JWK Set: %v", err)
	}
	return keys, nil
}

// secretCredentials reads a client id and secret from HTTP Basic (form
// encoded, RFC 6749 2.3.1) or from the form.
func secretCredentials(r *http.Request) (id, secret string) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	return id, secret
}

package demoapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// DPoP at the demo API (RFC 9449 section 7, internal/demoapi/dpop.go).

// apiPublicURL is the API's public URL in these tests (API_PUBLIC_URL): not
// the Host of httptest.NewRequest's requests (example.com), and https
// although the requests come without TLS, as behind a TLS-terminating proxy.
const (
	apiPublicURL = "https://api.example.test"
	helloURL     = apiPublicURL + "/api/hello"
)

// boundToken is a valid access token bound to key (cnf.jkt).
func (a *api) boundToken(key *auth.SigningKey) string {
	c := a.claims()
	c["cnf"] = map[string]any{"jkt": key.Thumbprint()}
	return a.provider.Sign(c)
}

// getDPoP calls path with Authorization: scheme token and the given DPoP
// headers.
func (a *api) getDPoP(path, authorization string, proofs ...string) answer {
	a.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", authorization)
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	return a.do(req)
}

// do sends req to the API's router.
func (a *api) do(req *http.Request) answer {
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	res := answer{status: rec.Code, challenge: rec.Header().Get("WWW-Authenticate"),
		challenges: rec.Header().Values("WWW-Authenticate"), raw: rec.Body.String()}
	json.Unmarshal(rec.Body.Bytes(), &res.body)
	return res
}

func newKey(t *testing.T) *auth.SigningKey {
	t.Helper()
	k, err := auth.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func proof(t *testing.T, k *auth.SigningKey, method, target, token string, at time.Time) string {
	t.Helper()
	p, err := k.DPoPProof(method, target, token, "", at)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// craftedProof signs claims with a raw ES256 key and a chosen header, for
// proofs the app would never make (wrong typ, no jwk).
func craftedProof(t *testing.T, typ string, withJWK bool, claims map[string]any) (string, *ecdsa.PrivateKey) {
	t.Helper()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	if withJWK {
		opts = opts.WithHeader("jwk", jose.JSONWebKey{Key: priv.Public()})
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, _ := signer.Sign(payload)
	s, _ := jws.CompactSerialize()
	return s, priv
}

func expectDPoPRefusal(t *testing.T, got answer, code, description string) {
	t.Helper()
	if got.status != http.StatusUnauthorized {
		t.Errorf("status %d, want 401\n%s", got.status, got.raw)
	}
	if !strings.HasPrefix(got.challenge, `DPoP algs="ES256 ES384 RS256 PS256 EdDSA", error="`+code+`"`) {
		t.Errorf("WWW-Authenticate %q, want a DPoP challenge with error=%q", got.challenge, code)
	}
	if !strings.Contains(got.challenge, description) {
		t.Errorf("WWW-Authenticate %q, want a description mentioning %q", got.challenge, description)
	}
}

// Control: a bound token with a fresh proof by its key, for this request,
// is accepted. Every attack below changes one thing.
func TestDPoPBoundTokenWithProofIsAccepted(t *testing.T) {
	a := newAPI(t, true)
	key := newKey(t)
	token := a.boundToken(key)
	got := a.getDPoP("/api/hello", "DPoP "+token, proof(t, key, "GET", helloURL, token, time.Now()))
	if got.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", got.status, got.raw)
	}
}

func TestDPoPAttacksAreRefused(t *testing.T) {
	a := newAPI(t, true)
	key := newKey(t)
	token := a.boundToken(key)
	now := time.Now()

	t.Run("bound token as a plain bearer token", func(t *testing.T) {
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "Bearer "+token), "invalid_token", "DPoP-bound")
	})
	t.Run("bound token without its proof", func(t *testing.T) {
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token), "invalid_dpop_proof", "exactly one DPoP header")
	})
	t.Run("two proofs", func(t *testing.T) {
		p := proof(t, key, "GET", helloURL, token, now)
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token, p, p), "invalid_dpop_proof", "exactly one DPoP header")
	})
	t.Run("proof replayed", func(t *testing.T) {
		p := proof(t, key, "GET", helloURL, token, now)
		if got := a.getDPoP("/api/hello", "DPoP "+token, p); got.status != http.StatusOK {
			t.Fatalf("first use: %d %s", got.status, got.raw)
		}
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token, p), "invalid_dpop_proof", "jti replay")
	})
	t.Run("proof for another method", func(t *testing.T) {
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token, proof(t, key, "POST", helloURL, token, now)), "invalid_dpop_proof", "htm")
	})
	t.Run("proof for another URL", func(t *testing.T) {
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token, proof(t, key, "GET", "http://example.com/api/admin", token, now)), "invalid_dpop_proof", "htu")
	})
	t.Run("proof too old", func(t *testing.T) {
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token, proof(t, key, "GET", helloURL, token, now.Add(-2*time.Minute))), "invalid_dpop_proof", "too old")
	})
	t.Run("proof from the future", func(t *testing.T) {
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token, proof(t, key, "GET", helloURL, token, now.Add(time.Minute))), "invalid_dpop_proof", "from the future")
	})
	t.Run("proof signed by another key", func(t *testing.T) {
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token, proof(t, newKey(t), "GET", helloURL, token, now)), "invalid_token", "bound to another key")
	})
	t.Run("proof for another token (ath)", func(t *testing.T) {
		c := a.claims()
		c["cnf"], c["jti"] = map[string]any{"jkt": key.Thumbprint()}, "another-token"
		other := a.provider.Sign(c)
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token, proof(t, key, "GET", helloURL, other, now)), "invalid_dpop_proof", "ath")
	})
	t.Run("proof without ath", func(t *testing.T) {
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token, proof(t, key, "GET", helloURL, "", now)), "invalid_dpop_proof", "ath")
	})
	claims := map[string]any{"jti": "x1", "htm": "GET", "htu": helloURL, "iat": now.Unix(), "ath": auth.AccessTokenHash(token)}
	t.Run("typ not dpop+jwt", func(t *testing.T) {
		p, _ := craftedProof(t, "JWT", true, claims)
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token, p), "invalid_dpop_proof", "typ")
	})
	t.Run("no jwk in the header", func(t *testing.T) {
		p, _ := craftedProof(t, "dpop+jwt", false, claims)
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token, p), "invalid_dpop_proof", "no public jwk")
	})
	t.Run("alg none", func(t *testing.T) {
		p := b64url(`{"typ":"dpop+jwt","alg":"none"}`) + "." + b64url(string(mustJSON(claims))) + "."
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+token, p), "invalid_dpop_proof", "asymmetric")
	})
	t.Run("unbound token with the DPoP scheme", func(t *testing.T) {
		plain := a.provider.Sign(a.claims())
		expectDPoPRefusal(t, a.getDPoP("/api/hello", "DPoP "+plain, proof(t, key, "GET", helloURL, plain, now)), "invalid_token", "bearer token")
	})
}

// A refused proof does not use up its jti: the same proof still works
// for the request it was made for (the replay check runs last).
func TestDPoPRefusedProofKeepsItsJTI(t *testing.T) {
	a := newAPI(t, true)
	key := newKey(t)
	token := a.boundToken(key)
	p := proof(t, key, "GET", helloURL, token, time.Now())
	if got := a.getDPoP("/api/admin", "DPoP "+token, p); got.status != http.StatusUnauthorized {
		t.Fatalf("proof for /api/hello at /api/admin: %d", got.status)
	}
	if got := a.getDPoP("/api/hello", "DPoP "+token, p); got.status != http.StatusOK {
		t.Errorf("the proof at its own URL after a refusal elsewhere: %d %s", got.status, got.raw)
	}
}

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

package demoapi_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/demoapi"
)

// DPoP at the API, attacked where round three found it weak: htu taken
// from the Host header, lower-case schemes, proofs in JSON serialization,
// no DPoP challenge beside Bearer, and a replay cache that one client
// could fill or blow up with huge jtis.

// dpopClient is a caller with its own DPoP key (a raw ECDSA key, so tests
// can sign any claims with it).
type dpopClient struct {
	priv *ecdsa.PrivateKey
	jkt  string // the key's thumbprint: cnf.jkt of its tokens
}

func newDPoPClient(t *testing.T) dpopClient {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	thumb, err := (&jose.JSONWebKey{Key: priv.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return dpopClient{priv: priv, jkt: base64.RawURLEncoding.EncodeToString(thumb)}
}

// token is a valid access token bound to the client's key; roles replace
// alice's realm roles when given.
func (a *api) tokenFor(c dpopClient, roles ...string) string {
	claims := a.claims()
	claims["cnf"] = map[string]any{"jkt": c.jkt}
	if roles != nil {
		claims["realm_access"] = map[string]any{"roles": roles}
	}
	return a.provider.Sign(claims)
}

// claims are the claims of a valid proof of GET htu for token, at the
// API's clock.
func (c dpopClient) claims(a *api, htu, token string) map[string]any {
	return map[string]any{
		"jti": rand.Text(),
		"htm": "GET", "htu": htu, "iat": a.clock.Now().Unix(), "ath": auth.AccessTokenHash(token),
	}
}

// sign signs proof claims with the client's key: typ dpop+jwt and the
// public jwk in the header, as section 4.2 asks.
func (c dpopClient) sign(t *testing.T, claims map[string]any) *jose.JSONWebSignature {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", jose.JSONWebKey{Key: c.priv.Public()})
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: c.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(mustJSON(claims))
	if err != nil {
		t.Fatal(err)
	}
	return jws
}

func (c dpopClient) proof(t *testing.T, claims map[string]any) string {
	t.Helper()
	s, err := c.sign(t, claims).CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// request is GET path at the API with the given Authorization and proof.
func request(path, authorization, proof string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", authorization)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	return req
}

// htu is compared with the API's own public URL (API_PUBLIC_URL), never
// with what the request says about itself: its Host header or whether it
// came over TLS.
func TestDPoPProofMustNameThePublicURL(t *testing.T) {
	a := newAPI(t, true)
	c := newDPoPClient(t)
	token := a.tokenFor(c)
	send := func(htu, host string, overTLS bool) answer {
		t.Helper()
		req := request("/api/hello", "DPoP "+token, c.proof(t, c.claims(a, htu, token)))
		req.Host = host
		if overTLS {
			req.TLS = &tls.ConnectionState{}
		}
		return a.do(req)
	}

	// Attacks: a proof made for another resource server, sent here with a
	// Host header that matches it.
	for _, tc := range []struct {
		name, htu, host string
		overTLS         bool
	}{
		{"proof for another server, Host set to match", "http://other-api.example/api/hello", "other-api.example", false},
		{"proof for another server over TLS, Host set to match", "https://other-api.example/api/hello", "other-api.example", true},
		{"proof for the request's Host (example.com), not the public URL", "http://example.com/api/hello", "example.com", false},
		{"public URL's host with http instead of https", "http://api.example.test/api/hello", "api.example.test", false},
		{"public URL's host, another port", "https://api.example.test:8443/api/hello", "api.example.test:8443", true},
		{"another path", apiPublicURL + "/api/admin", "api.example.test", true},
		{"not a URL", "api.example.test/api/hello", "api.example.test", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectDPoPRefusal(t, send(tc.htu, tc.host, tc.overTLS), "invalid_dpop_proof", "htu")
		})
	}

	// The public URL is https, the request came over plain http with any
	// Host, as behind a TLS-terminating proxy: accepted. Query, fragment,
	// case and the default port do not matter (section 4.3 and RFC 3986
	// sections 6.2.2 and 6.2.3).
	for _, htu := range []string{
		helloURL,
		"HTTPS://API.Example.TEST:443/api/hello?x=1#frag",
		"https://api.example.test/api/%68ello",
	} {
		if got := send(htu, "api:4000", false); got.status != http.StatusOK {
			t.Errorf("htu %q behind a TLS-terminating proxy: %d, want 200\n%s", htu, got.status, got.raw)
		}
	}
}

// RFC 9110 section 11.1: the authentication scheme is case-insensitive.
func TestAuthSchemesAreCaseInsensitive(t *testing.T) {
	a := newAPI(t, true)
	c := newDPoPClient(t)
	token := a.tokenFor(c)
	for _, scheme := range []string{"DPoP", "dpop", "DPOP", "dPoP"} {
		got := a.do(request("/api/hello", scheme+" "+token, c.proof(t, c.claims(a, helloURL, token))))
		if got.status != http.StatusOK {
			t.Errorf("Authorization: %s <bound token> with a valid proof: %d, want 200\n%s", scheme, got.status, got.raw)
		}
	}
	bearerToken := a.provider.Sign(a.claims())
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		if got := a.get("/api/hello", scheme+" "+bearerToken); got.status != http.StatusOK {
			t.Errorf("Authorization: %s <token>: %d, want 200", scheme, got.status)
		}
	}
	// A bound token with a lower-case bearer scheme is still a downgrade.
	expectDPoPRefusal(t, a.do(request("/api/hello", "bearer "+token, c.proof(t, c.claims(a, helloURL, token)))), "invalid_token", "DPoP-bound")
}

// A DPoP proof is a JWT, and a JWT is in the JWS Compact Serialization (RFC
// 7519 section 1): the same proof in the JWS JSON Serialization is refused.
func TestDPoPProofMustBeCompact(t *testing.T) {
	a := newAPI(t, true)
	c := newDPoPClient(t)
	token := a.tokenFor(c)
	jws := c.sign(t, c.claims(a, helloURL, token))
	for name, serialize := range map[string]func() string{
		"general JSON":   jws.FullSerialize,
		"flattened JSON": func() string { return flattened(t, jws.FullSerialize()) },
	} {
		t.Run(name, func(t *testing.T) {
			proof := serialize()
			if !strings.HasPrefix(proof, "{") {
				t.Fatalf("not a JSON serialization: %s", proof)
			}
			expectDPoPRefusal(t, a.do(request("/api/hello", "DPoP "+token, proof)), "invalid_dpop_proof", "compact")
		})
	}
	// Control: the same signature in compact form is accepted.
	compact, _ := jws.CompactSerialize()
	if got := a.do(request("/api/hello", "DPoP "+token, compact)); got.status != http.StatusOK {
		t.Errorf("the same proof in compact form: %d, want 200\n%s", got.status, got.raw)
	}
}

// flattened turns go-jose's JSON serialization (one signature) into the
// flattened syntax (RFC 7515 section 7.2.2).
func flattened(t *testing.T, full string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(full), &m); err != nil {
		t.Fatal(err)
	}
	if sigs, ok := m["signatures"].([]any); ok && len(sigs) == 1 {
		delete(m, "signatures")
		for k, v := range sigs[0].(map[string]any) {
			m[k] = v
		}
	}
	return string(mustJSON(m))
}

// RFC 9449 section 7.1 and 7.2: a DPoP challenge beside the Bearer one, on
// 401 and on 403; the error goes in the challenge of the scheme the token
// was sent with, and a request without a token gets no error at all (RFC
// 6750 section 3.1).
func TestChallengesOfBothSchemes(t *testing.T) {
	a := newAPI(t, true)
	c := newDPoPClient(t)
	alice := a.tokenFor(c)
	bob := a.tokenFor(c, "user")
	bearerBob := a.provider.Sign(withClaim(a.claims(), "realm_access", map[string]any{"roles": []string{"user"}}))
	expired := a.provider.Sign(withClaim(withClaim(a.claims(), "cnf", map[string]any{"jkt": c.jkt}), "exp", time.Now().Add(-time.Minute).Unix()))
	const bare = `DPoP algs="ES256 ES384 RS256 PS256 EdDSA"`
	const bareBearer = `Bearer realm="demo-api"`

	cases := []struct {
		name          string
		req           *http.Request
		status        int
		first, second string // prefixes of the two challenges, in order
	}{
		{"no token", request("/api/hello", "", ""), 401, bareBearer, bare},
		{"bearer: bad token", request("/api/hello", "Bearer abc.def.ghi", ""), 401, bareBearer + `, error="invalid_token"`, bare},
		{"bearer: missing role", request("/api/admin", "Bearer "+bearerBob, ""), 403, bareBearer + `, error="insufficient_scope"`, bare},
		{"dpop: bad proof", request("/api/hello", "DPoP "+alice, "not-a-proof"), 401, bare + `, error="invalid_dpop_proof"`, bareBearer},
		{"dpop: expired token", request("/api/hello", "DPoP "+expired, c.proof(t, c.claims(a, helloURL, expired))), 401, bare + `, error="invalid_token"`, bareBearer},
		{"dpop: missing role", request("/api/admin", "dpop "+bob, c.proof(t, c.claims(a, apiPublicURL+"/api/admin", bob))), 403, bare + `, error="insufficient_scope"`, bareBearer},
		{"bound token sent as bearer", request("/api/hello", "Bearer "+alice, ""), 401, bare + `, error="invalid_token"`, bareBearer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.req.Header.Get("Authorization") == "" {
				tc.req.Header.Del("Authorization")
			}
			got := a.do(tc.req)
			if got.status != tc.status {
				t.Errorf("status %d, want %d\n%s", got.status, tc.status, got.raw)
			}
			if len(got.challenges) != 2 || !strings.HasPrefix(got.challenges[0], tc.first) || !strings.HasPrefix(got.challenges[1], tc.second) {
				t.Errorf("WWW-Authenticate %q\nwant two challenges starting %q and %q", got.challenges, tc.first, tc.second)
			}
			if strings.Contains(got.challenges[len(got.challenges)-1], "error=") {
				t.Errorf("the second challenge carries an error too: %q", got.challenges)
			}
		})
	}
}

// RFC 9449 section 11.1: "reject DPoP proof JWTs with unnecessarily large
// jti values". A 1 KiB jti is refused; so is a proof over
// demoapi.MaxProofBytes, before it is parsed.
func TestDPoPHugeJTIIsRefused(t *testing.T) {
	a := newAPI(t, true)
	c := newDPoPClient(t)
	token := a.tokenFor(c)
	for _, size := range []int{demoapi.MaxJTILength + 1, 1 << 10} {
		claims := c.claims(a, helloURL, token)
		claims["jti"] = strings.Repeat("j", size)
		expectDPoPRefusal(t, a.do(request("/api/hello", "DPoP "+token, c.proof(t, claims))), "invalid_dpop_proof", "jti")
	}
	claims := c.claims(a, helloURL, token)
	claims["jti"] = strings.Repeat("j", 12<<10)
	expectDPoPRefusal(t, a.do(request("/api/hello", "DPoP "+token, c.proof(t, claims))), "invalid_dpop_proof", "longer than")

	// Control: a jti of the longest allowed length is fine.
	claims = c.claims(a, helloURL, token)
	claims["jti"] = strings.Repeat("j", demoapi.MaxJTILength)
	if got := a.do(request("/api/hello", "DPoP "+token, c.proof(t, claims))); got.status != http.StatusOK {
		t.Errorf("a jti of %d characters: %d, want 200\n%s", demoapi.MaxJTILength, got.status, got.raw)
	}
}

// The flood measured in round three: 1,500 proofs with 12 KiB jtis grew the
// API by 37-39 MiB. Now they are refused, and the heap stays flat.
func TestDPoPFloodOfHugeJTIsKeepsMemoryFlat(t *testing.T) {
	a := newAPI(t, true)
	c := newDPoPClient(t)
	token := a.tokenFor(c)
	proofs := make([]string, 1500)
	for i := range proofs {
		claims := c.claims(a, helloURL, token)
		claims["jti"] = fmt.Sprintf("%06d", i) + strings.Repeat("j", 12<<10)
		proofs[i] = c.proof(t, claims)
	}
	before := heapInUse()
	accepted := 0
	for _, p := range proofs {
		if got := a.do(request("/api/hello", "DPoP "+token, p)); got.status == http.StatusOK {
			accepted++
		}
	}
	if accepted > 0 {
		t.Errorf("%d proofs with a 12 KiB jti were accepted", accepted)
	}
	grew := heapInUse() - before
	runtime.KeepAlive(a.handler) // the API, and its replay cache, still live
	runtime.KeepAlive(proofs)    // not counted as freed
	t.Logf("heap grew by %.1f MiB", float64(grew)/(1<<20))
	if grew > 2<<20 {
		t.Errorf("1,500 proofs with 12 KiB jtis grew the heap by %.1f MiB, want under 2 MiB", float64(grew)/(1<<20))
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// One client cannot fill the replay cache for everyone: after
// demoapi.MaxProofsPerKey proofs within the proof window, its next proof is
// answered 429 with Retry-After, while another client's proof still works;
// once its proofs have expired, it is served again.
func TestDPoPOneKeyCannotFillTheReplayCache(t *testing.T) {
	if testing.Short() {
		t.Skip("signs and checks 5,000 proofs")
	}
	a := newAPI(t, true)
	flooder, other := newDPoPClient(t), newDPoPClient(t)
	flooderToken, otherToken := a.tokenFor(flooder), a.tokenFor(other)
	for i := range demoapi.MaxProofsPerKey {
		got := a.do(request("/api/hello", "DPoP "+flooderToken, flooder.proof(t, flooder.claims(a, helloURL, flooderToken))))
		if got.status != http.StatusOK {
			t.Fatalf("the flooder's proof %d (of %d allowed): %d\n%s", i+1, demoapi.MaxProofsPerKey, got.status, got.raw)
		}
	}
	req := request("/api/hello", "DPoP "+flooderToken, flooder.proof(t, flooder.claims(a, helloURL, flooderToken)))
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Errorf("the flooder's proof %d: %d, Retry-After %q; want 429 with Retry-After\n%s",
			demoapi.MaxProofsPerKey+1, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if got := a.do(request("/api/hello", "DPoP "+otherToken, other.proof(t, other.claims(a, helloURL, otherToken)))); got.status != http.StatusOK {
		t.Errorf("another client's proof while the flooder is at its quota: %d, want 200\n%s", got.status, got.raw)
	}

	// The flooder's proofs expire with the proof window: served again.
	a.clock.Advance(demoapi.ProofMaxAge + 20*time.Second)
	flooderToken = a.tokenFor(flooder)
	if got := a.do(request("/api/hello", "DPoP "+flooderToken, flooder.proof(t, flooder.claims(a, helloURL, flooderToken)))); got.status != http.StatusOK {
		t.Errorf("the flooder after its proofs expired: %d, want 200\n%s", got.status, got.raw)
	}
}

package demoapi

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DPoP at the resource server (RFC 9449 sections 4.3 and 7): a DPoP-bound
// access token (cnf.jkt) is accepted only as "Authorization: DPoP <token>"
// together with a DPoP header, a proof JWT that the caller signed just now,
// for this request, with the key the token is bound to. A stolen token
// alone is useless: the thief cannot sign the proof.

// DPoPAlgs are the proof algorithms accepted: asymmetric only (section
// 4.3: never "none", never a MAC, which would need a shared secret).
var DPoPAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.RS256, jose.PS256, jose.EdDSA}

// ProofMaxAge is how far iat may lie in the past (or, for clock skew, a
// few seconds in the future): a proof is used at once, never stored.
const (
	ProofMaxAge = 60 * time.Second
	proofSkew   = 5 * time.Second
)

// ProofError says why a proof was refused (error="invalid_dpop_proof").
type ProofError struct{ Description string }

func (e *ProofError) Error() string { return e.Description }

// checkProof checks the DPoP proof of r for accessToken, bound to jkt
// (section 4.3, steps 1 to 12, and 7.1): one DPoP header, a JWS with typ
// dpop+jwt, an asymmetric alg and a public jwk in its header, signed by
// that key; htm and htu naming this request; a recent iat; a jti not seen
// before; ath the hash of the token; and the key's thumbprint = cnf.jkt.
func (s *Server) checkProof(r *http.Request, accessToken, jkt string) error {
	headers := r.Header.Values("DPoP")
	if len(headers) != 1 {
		return &ProofError{"send exactly one DPoP header with a proof"}
	}
	jws, err := jose.ParseSigned(headers[0], DPoPAlgs)
	if err != nil {
		return &ProofError{"the DPoP proof is not a JWS with an asymmetric algorithm"}
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return &ProofError{"the DPoP proof's typ is not dpop+jwt"}
	}
	if h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() || !h.JSONWebKey.Valid() {
		return &ProofError{"the DPoP proof has no public jwk in its header"}
	}
	payload, err := jws.Verify(h.JSONWebKey)
	if err != nil {
		return &ProofError{"the DPoP proof's signature does not verify with its jwk"}
	}
	var claims struct {
		JTI string `json:"jti"`
		HTM string `json:"htm"`
		HTU string `json:"htu"`
		IAT *int64 `json:"iat"`
		ATH string `json:"ath"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return &ProofError{"the DPoP proof's claims are not a JSON object"}
	}
	if claims.HTM != r.Method {
		return &ProofError{fmt.Sprintf("the DPoP proof is for %s, not this %s request (htm)", quoteSafe(claims.HTM, 10), r.Method)}
	}
	if want := s.requestURL(r); !sameURL(claims.HTU, want) {
		return &ProofError{"the DPoP proof is for another URL (htu), not " + want}
	}
	now := s.now()
	if claims.IAT == nil {
		return &ProofError{"the DPoP proof has no iat"}
	}
	iat := time.Unix(*claims.IAT, 0)
	if now.Sub(iat) > ProofMaxAge || iat.Sub(now) > proofSkew {
		return &ProofError{fmt.Sprintf("the DPoP proof is too old or from the future (iat must be within %s of now)", ProofMaxAge)}
	}
	sum := sha256.Sum256([]byte(accessToken))
	if subtle.ConstantTimeCompare([]byte(claims.ATH), []byte(base64.RawURLEncoding.EncodeToString(sum[:]))) != 1 {
		return &ProofError{"the DPoP proof's ath is not the hash of this access token"}
	}
	thumb, err := h.JSONWebKey.Thumbprint(crypto.SHA256)
	if err != nil || subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(thumb)), []byte(jkt)) != 1 {
		return &TokenError{"the access token is bound to another key than the DPoP proof's (cnf.jkt)"}
	}
	// Last, so that a refused proof does not use up its jti.
	if claims.JTI == "" || !s.proofs.firstUse(claims.JTI, iat.Add(ProofMaxAge+proofSkew), now) {
		return &ProofError{"the DPoP proof was used before (jti replay)"}
	}
	return nil
}

// requestURL is this request's URL as the caller addressed it, without
// query: scheme, the Host header, the path (section 4.3 step 9).
func (s *Server) requestURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.Path
}

// sameURL compares htu with the request's URL: query and fragment ignored,
// scheme and host case-insensitive (section 4.3 step 9, RFC 3986 6.2.2).
func sameURL(htu, want string) bool {
	htu, _, _ = strings.Cut(htu, "#")
	htu, _, _ = strings.Cut(htu, "?")
	schemeHost := func(u string) (string, string) {
		rest := u
		if i := strings.Index(u, "://"); i >= 0 {
			if j := strings.Index(u[i+3:], "/"); j >= 0 {
				return strings.ToLower(u[:i+3+j]), u[i+3+j:]
			}
			return strings.ToLower(u), "/"
		}
		return "", rest
	}
	a1, p1 := schemeHost(htu)
	a2, p2 := schemeHost(want)
	return a1 != "" && a1 == a2 && p1 == p2
}

// seenProofs remembers the jti of every accepted proof until the proof
// would be too old anyway, so a replay within its window is refused. It is
// bounded: when full, a new proof is refused (the window is short, so a
// full cache means a flood, not normal use).
type seenProofs struct {
	mu      sync.Mutex
	expires map[string]time.Time
	max     int
}

// MaxSeenProofs bounds the replay cache.
const MaxSeenProofs = 100_000

func (c *seenProofs) firstUse(jti string, until, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expires == nil {
		c.expires = map[string]time.Time{}
	}
	if _, seen := c.expires[jti]; seen {
		return false
	}
	if len(c.expires) >= c.max {
		for k, exp := range c.expires {
			if now.After(exp) {
				delete(c.expires, k)
			}
		}
		if len(c.expires) >= c.max {
			return false
		}
	}
	c.expires[jti] = until
	return true
}

// dpopChallenge is the WWW-Authenticate of a refusal at a DPoP-bound request
// (section 7.1): scheme DPoP, the accepted algorithms, the error.
func dpopChallenge(code, description string) string {
	algs := make([]string, len(DPoPAlgs))
	for i, a := range DPoPAlgs {
		algs[i] = string(a)
	}
	return fmt.Sprintf(`DPoP algs=%q, error=%q, error_description=%q`, strings.Join(algs, " "), code, quoteSafe(description, 200))
}

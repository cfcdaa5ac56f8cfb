package demoapi

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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
// few seconds in the future): a proof is used at once, and the API keeps
// only a hash of it, until it is too old anyway (replay.go).
const (
	ProofMaxAge = 60 * time.Second
	proofSkew   = 5 * time.Second
)

// MaxProofBytes bounds the DPoP header: a proof with an RSA-4096 jwk is
// under 2 KiB; a longer one is refused before it is parsed.
const MaxProofBytes = 8 << 10

// ProofError says why a proof was refused (error="invalid_dpop_proof").
type ProofError struct{ Description string }

func (e *ProofError) Error() string { return e.Description }

// BusyError: the proof is fine, but the replay cache may not remember more
// of this key's proofs (429) or of anyone's (503) right now (replay.go).
type BusyError struct {
	Status      int
	Description string
}

func (e *BusyError) Error() string { return e.Description }

// checkProof checks the DPoP proof of r for accessToken, bound to jkt
// (section 4.3, steps 1 to 12, and 7.1): one DPoP header, a JWT in compact
// form with typ dpop+jwt, an asymmetric alg and a public jwk in its header,
// signed by that key; htm and htu naming this request at the API's public
// URL; a recent iat; ath the hash of the token; the key's thumbprint =
// cnf.jkt; and a jti not seen before (section 11.1).
func (s *Server) checkProof(r *http.Request, accessToken, jkt string) error {
	headers := r.Header.Values("DPoP")
	if len(headers) != 1 {
		return &ProofError{"send exactly one DPoP header with a proof"}
	}
	if len(headers[0]) > MaxProofBytes {
		return &ProofError{fmt.Sprintf("the DPoP proof is longer than %d bytes", MaxProofBytes)}
	}
	// A DPoP proof is a JWT (section 4.2), and a JWT is always in the
	// JWS Compact Serialization (RFC 7519 section 1): a proof in the JWS
	// JSON Serialization is refused, as the header's token68 syntax
	// (section 4.1) expects.
	jws, err := jose.ParseSignedCompact(headers[0], DPoPAlgs)
	if err != nil {
		return &ProofError{"the DPoP proof is not a compact JWS with an asymmetric algorithm"}
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
	// Section 11.1: "reject DPoP proof JWTs with unnecessarily large jti
	// values".
	if claims.JTI == "" || len(claims.JTI) > MaxJTILength {
		return &ProofError{fmt.Sprintf("the DPoP proof's jti is missing or longer than %d characters", MaxJTILength)}
	}
	if claims.HTM != r.Method {
		return &ProofError{fmt.Sprintf("the DPoP proof is for %s, not this %s request (htm)", quoteSafe(claims.HTM, 10), r.Method)}
	}
	if want := s.publicURL + r.URL.EscapedPath(); !sameURL(claims.HTU, want) {
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
	// Last, so that a refused proof does not use up its jti. A proof is
	// remembered until its iat is too old to pass the check above.
	switch s.proofs.remember(keyID(thumb), claims.JTI, iat.Add(ProofMaxAge), now) {
	case replayed:
		return &ProofError{"the DPoP proof was used before (jti replay)"}
	case keyOverQuota:
		return &BusyError{http.StatusTooManyRequests, fmt.Sprintf(
			"more than %d DPoP proofs of this key in the last %s: slow down", MaxProofsPerKey, ProofMaxAge)}
	case cacheFull:
		return &BusyError{http.StatusServiceUnavailable, "the API cannot remember more DPoP proofs right now"}
	}
	return nil
}

// sameURL compares htu with the URL of the request. Section 4.3 step 9
// ignores query and fragment, and the section asks servers to normalize
// both URLs first (RFC 3986 sections 6.2.2 and 6.2.3): normalURL.
func sameURL(htu, want string) bool {
	a, okA := normalURL(htu)
	b, okB := normalURL(want)
	return okA && okB && a == b
}

// normalURL is an absolute http(s) URL without query and fragment, with
// scheme and host in lower case, without the scheme's default port, its
// path percent-encoded one way and "/" for an empty path. ok is false for
// anything else.
func normalURL(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	if port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	path := (&url.URL{Path: u.Path}).EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}

// dpopChallenge is a WWW-Authenticate challenge of the DPoP scheme (section
// 7.1): the accepted algorithms, and the error when there is one, with
// the scope needed (section 7.1: "A scope authentication parameter MAY be
// included as defined in [RFC6750], Section 3").
func dpopChallenge(code, description, scope string) string {
	algs := make([]string, len(DPoPAlgs))
	for i, a := range DPoPAlgs {
		algs[i] = string(a)
	}
	c := fmt.Sprintf(`DPoP algs=%q`, strings.Join(algs, " "))
	if code != "" {
		c += fmt.Sprintf(`, error=%q, error_description=%q`, code, quoteSafe(description, 200))
		if scope != "" {
			c += fmt.Sprintf(`, scope=%q`, scope)
		}
	}
	return c
}

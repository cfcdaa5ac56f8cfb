package testprovider

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DPoP (RFC 9449) at the provider: a token request with a valid DPoP proof
// gets DPoP-bound tokens (token_type DPoP, cnf.jkt in the access token);
// userinfo then wants the DPoP scheme and a proof with ath by that key.
// SetDPoPNonce makes the token endpoint demand a server nonce first
// (section 8); SetIgnoreDPoP makes it hand out bearer tokens anyway.

// SeenProof is one DPoP proof the provider accepted.
type SeenProof struct {
	Endpoint string
	Header   jose.Header
	Claims   map[string]any
	JKT      string
}

// SetDPoPNonce makes the token endpoint require the nonce in proofs: a
// proof without it gets 400 use_dpop_nonce and a DPoP-Nonce header.
func (p *Provider) SetDPoPNonce(nonce string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dpopNonce = nonce
}

// SetIgnoreDPoP makes the token endpoint ignore proofs and issue bearer
// tokens (a provider that does not support DPoP, or a downgrade).
func (p *Provider) SetIgnoreDPoP(ignore bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ignoreDPoP = ignore
}

// SetTokenType makes token responses say this token_type whatever the
// binding ("" = DPoP for a bound token, Bearer otherwise): "dpop" for a
// provider that spells it in lower case (the value "is case insensitive",
// RFC 6749 section 5.1, OpenID Connect Core 3.1.3.3), "bearer" for one that
// says the token is not bound.
func (p *Provider) SetTokenType(tokenType string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenType = tokenType
}

// DPoPProofs returns the proofs accepted, oldest first.
func (p *Provider) DPoPProofs() []SeenProof {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]SeenProof(nil), p.proofs...)
}

// NonceRefusals counts the token requests refused for want of a nonce.
func (p *Provider) NonceRefusals() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nonceRefusals
}

// tokenDPoP checks the proof of a token request. jkt is "" without a
// proof (or when DPoP is ignored); ok is false when an answer was written.
func (p *Provider) tokenDPoP(w http.ResponseWriter, r *http.Request) (jkt string, ok bool) {
	p.mu.Lock()
	nonce, ignore := p.dpopNonce, p.ignoreDPoP
	p.mu.Unlock()
	if r.Header.Get("DPoP") == "" || ignore {
		return "", true
	}
	proof, err := p.checkProof(r, p.Issuer()+"/token", "")
	if err != nil {
		tokenErrorDescribed(w, http.StatusBadRequest, "invalid_dpop_proof", err.Error())
		return "", false
	}
	if nonce != "" && proof.Claims["nonce"] != nonce {
		p.mu.Lock()
		p.nonceRefusals++
		p.mu.Unlock()
		w.Header().Set("DPoP-Nonce", nonce)
		tokenError(w, http.StatusBadRequest, "use_dpop_nonce")
		return "", false
	}
	p.recordProof(proof)
	return proof.JKT, true
}

// checkProof is section 4.3: one DPoP header, typ dpop+jwt, an asymmetric
// alg, a public jwk in the header that verifies the signature, htm and htu
// of this request, a recent iat, a new jti, and ath for accessToken.
func (p *Provider) checkProof(r *http.Request, htu, accessToken string) (SeenProof, error) {
	if len(r.Header.Values("DPoP")) != 1 {
		return SeenProof{}, errors.New("want exactly one DPoP header")
	}
	jws, err := jose.ParseSigned(r.Header.Get("DPoP"), []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256})
	if err != nil {
		return SeenProof{}, errors.New("DPoP proof is not a JWS with an asymmetric alg")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return SeenProof{}, errors.New("typ is not dpop+jwt")
	}
	if h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() {
		return SeenProof{}, errors.New("no public jwk")
	}
	payload, err := jws.Verify(h.JSONWebKey)
	if err != nil {
		return SeenProof{}, errors.New("signature does not verify with the jwk")
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return SeenProof{}, errors.New("claims are not JSON")
	}
	if claims["htm"] != r.Method || claims["htu"] != htu {
		return SeenProof{}, errors.New("htm or htu is not this request")
	}
	iat, _ := claims["iat"].(float64)
	if age := time.Since(time.Unix(int64(iat), 0)); age > time.Minute || age < -5*time.Second {
		return SeenProof{}, errors.New("iat is not recent")
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		if claims["ath"] != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return SeenProof{}, errors.New("ath is not the hash of the access token")
		}
	}
	jti, _ := claims["jti"].(string)
	p.mu.Lock()
	seen := p.seenJTIs["dpop:"+jti]
	p.seenJTIs["dpop:"+jti] = true
	p.mu.Unlock()
	if jti == "" || seen {
		return SeenProof{}, errors.New("jti missing or replayed")
	}
	thumb, _ := h.JSONWebKey.Thumbprint(crypto.SHA256)
	return SeenProof{Endpoint: htu, Header: h, Claims: claims, JKT: base64.RawURLEncoding.EncodeToString(thumb)}, nil
}

func (p *Provider) recordProof(proof SeenProof) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.proofs = append(p.proofs, proof)
}

// userInfoToken returns the access token of a userinfo request: Bearer for
// a bearer token, DPoP with a valid proof for a bound one (section 7).
func (p *Provider) userInfoToken(r *http.Request) (string, map[string]any, error) {
	auth := r.Header.Get("Authorization")
	scheme, raw, _ := strings.Cut(auth, " ")
	payload, err := p.verify(raw)
	if err != nil {
		return "", nil, errors.New("invalid token")
	}
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	cnf, _ := claims["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	switch {
	case jkt == "" && scheme == "Bearer":
		return raw, claims, nil
	case jkt == "" || scheme != "DPoP":
		return "", nil, errors.New("a DPoP-bound token needs the DPoP scheme, and the DPoP scheme a bound token")
	}
	proof, err := p.checkProof(r, p.Issuer()+"/userinfo", raw)
	if err != nil {
		return "", nil, err
	}
	if proof.JKT != jkt {
		return "", nil, errors.New("the proof is signed by another key than the token is bound to")
	}
	p.recordProof(proof)
	return raw, claims, nil
}

func tokenErrorDescribed(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

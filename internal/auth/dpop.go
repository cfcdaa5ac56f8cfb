package auth

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DPoP, Demonstrating Proof of Possession (RFC 9449): the app holds a key
// pair, and with every token request it sends a proof, a small JWT signed
// with that key naming the request (method and URL). The provider then
// binds the access token it issues to the key: the token carries the key's
// thumbprint (cnf.jkt) and token_type is DPoP. Whoever steals such an
// access token (from a log, a proxy, the session store) cannot use it: each
// use needs a fresh proof for that exact request, with the hash of the
// token (ath), signed by a key the thief does not have. The refresh token
// of a confidential client like this one is not bound to the key: it is
// tied to the client already, which must authenticate to use it (RFC 9449
// section 5).
//
// One key per app instance (Settings.DPoPKey, OIDC_DPOP): the private key
// never leaves the process and is never written to the session store, and
// every session's access tokens are bound to it. A key per session would keep
// sessions apart from each other, but then each private key would have to
// be stored with the session (in Redis, with several replicas), which is
// exactly the kind of copy DPoP exists to make worthless. Replicas that
// share sessions share the key file (OIDC_DPOP_KEY_FILE).

// DPoPProof makes a DPoP proof (RFC 9449 section 4.2) for one request:
//
//	header  typ dpop+jwt, alg, and jwk: the public key itself
//	jti     unique: the server may refuse one it has seen (section 11.1)
//	htm     the HTTP method
//	htu     the URL, without query and fragment
//	iat     now: the server accepts only recent proofs
//	ath     with an access token: its SHA-256 hash (section 4.2)
//	nonce   when the server gave one (DPoP-Nonce, section 8)
func (k *SigningKey) DPoPProof(method, target, accessToken, nonce string, now time.Time) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	u.RawQuery, u.Fragment = "", ""
	claims := map[string]any{
		"jti": randomValue(),
		"htm": method,
		"htu": u.String(),
		"iat": now.Unix(),
	}
	if accessToken != "" {
		claims["ath"] = AccessTokenHash(accessToken)
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	return k.sign(claims, "dpop+jwt", map[jose.HeaderKey]any{"jwk": k.public})
}

// Thumbprint is the key's JWK SHA-256 thumbprint (RFC 7638): what a bound
// token's cnf.jkt must be (RFC 9449 section 6.1).
func (k *SigningKey) Thumbprint() string {
	t, _ := k.public.Thumbprint(crypto.SHA256)
	return b64(t)
}

// AccessTokenHash is ath: base64url(SHA-256(access token)).
func AccessTokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return b64(sum[:])
}

// ErrNotBound: the provider answered a request that carried a DPoP proof
// with a token that is not DPoP-bound (token_type is not DPoP). The app
// refuses it rather than silently holding a bearer token (checkBound).
var ErrNotBound = errors.New("DPoP proof sent, but the token is not DPoP-bound")

// DPoPTransport is an http.RoundTripper that adds a DPoP proof to:
//
//   - every POST to tokenURL() (token requests: code exchange, refresh;
//     section 5), and checks that the answer's token_type is DPoP; not the
//     service client's client credentials requests (its tokens stay
//     bearer tokens);
//   - every request carrying "Authorization: DPoP <token>" (userinfo, the
//     demo API; section 7), with ath, the hash of that token.
//
// When the server asks for a nonce (section 8: 400 error use_dpop_nonce at
// the token endpoint, 401 with error="use_dpop_nonce" at a resource, and a
// DPoP-Nonce header) it retries once with a new proof carrying the nonce,
// and keeps the newest nonce of each server for the next proofs.
type DPoPTransport struct {
	Base     http.RoundTripper
	Key      *SigningKey
	TokenURL func() string // "" = none known (yet)

	mu     sync.Mutex
	nonces map[string]string // origin -> latest DPoP-Nonce
}

func (t *DPoPTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	accessToken, isResource := dpopToken(req)
	isToken := req.Method == http.MethodPost && t.TokenURL != nil && t.TokenURL() != "" &&
		withoutQuery(req.URL) == t.TokenURL() && !isClientCredentials(req)
	if !isToken && !isResource {
		return t.Base.RoundTrip(req)
	}
	if isResource {
		// x/oauth2 writes the scheme as the token response spelt
		// token_type ("dpop <token>"); send it as section 7.1 writes it.
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "DPoP "+accessToken)
	} else {
		accessToken = ""
	}
	resp, err := t.send(req, accessToken)
	if err != nil {
		return nil, err
	}
	if needsNonce(resp, isToken) && resp.Header.Get("DPoP-Nonce") != "" && (req.Body == nil || req.GetBody != nil) {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
		if resp, err = t.send(req, accessToken); err != nil {
			return nil, err
		}
	}
	if isToken && resp.StatusCode == http.StatusOK {
		return checkBound(resp)
	}
	return resp, nil
}

// send signs a proof for req (with the server's latest nonce) and sends it.
func (t *DPoPTransport) send(req *http.Request, accessToken string) (*http.Response, error) {
	origin := req.URL.Scheme + "://" + req.URL.Host
	t.mu.Lock()
	nonce := t.nonces[origin]
	t.mu.Unlock()
	proof, err := t.Key.DPoPProof(req.Method, req.URL.String(), accessToken, nonce, time.Now())
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Header.Set("DPoP", proof)
	resp, err := t.Base.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	if n := resp.Header.Get("DPoP-Nonce"); n != "" {
		t.mu.Lock()
		if t.nonces == nil {
			t.nonces = map[string]string{}
		}
		t.nonces[origin] = n
		t.mu.Unlock()
	}
	return resp, nil
}

// needsNonce: the server refused the proof for want of a nonce (section 8).
func needsNonce(resp *http.Response, isToken bool) bool {
	if !isToken {
		return resp.StatusCode == http.StatusUnauthorized &&
			strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="use_dpop_nonce"`)
	}
	if resp.StatusCode != http.StatusBadRequest {
		return false
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var e struct {
		Error string `json:"error"`
	}
	return json.Unmarshal(body, &e) == nil && e.Error == "use_dpop_nonce"
}

// dpopToken returns the access token of a request that uses one with the
// DPoP scheme. Auth schemes are case-insensitive (RFC 9110 section 11.1),
// and so is token_type, from which x/oauth2 writes the scheme (RFC 6749
// section 5.1, OpenID Connect Core 3.1.3.3): "dpop" is DPoP too, and gets
// its proof.
func dpopToken(req *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(req.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "DPoP") || token == "" {
		return "", false
	}
	return token, true
}

// checkBound refuses a token response whose token_type is not DPoP, in
// any case ("DPoP", "dpop"). RFC 9449 section 5: "A token_type of DPoP
// MUST be included in the access token response to signal to the client
// that the access token was bound to its DPoP key", while "an
// authorization server MAY elect to issue access tokens that are not DPoP
// bound, which is signaled to the client with a value of Bearer". The
// server may; this client does not take it: the app asked for DPoP so
// that a stolen token is useless, and a bearer token is usable by whoever
// steals it (from a log, a proxy, the session store). A "Bearer" answer to
// a request with a proof is a downgrade, and the login fails (ErrNotBound).
func checkBound(resp *http.Response) (*http.Response, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var tr struct {
		TokenType string `json:"token_type"`
	}
	if json.Unmarshal(body, &tr) != nil || !strings.EqualFold(tr.TokenType, "DPoP") {
		return nil, ErrNotBound
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func withoutQuery(u *url.URL) string { return u.Scheme + "://" + u.Host + u.Path }

// isClientCredentials: a token request of the service client (client
// credentials grant, clientcredentials.go). Its tokens stay bearer tokens:
// DPoP binds the access tokens of the user's login.
func isClientCredentials(req *http.Request) bool {
	if req.GetBody == nil {
		return false
	}
	body, err := req.GetBody()
	if err != nil {
		return false
	}
	defer body.Close()
	raw, _ := io.ReadAll(io.LimitReader(body, 64<<10))
	form, _ := url.ParseQuery(string(raw))
	return form.Get("grant_type") == "client_credentials"
}

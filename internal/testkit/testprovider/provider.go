// Package testprovider is an in-process OpenID Provider for tests and
// benchmarks. It implements just enough of the Authorization Code flow with
// PKCE (discovery, authorize, token, userinfo, JWKS, end session) to drive
// the app end to end over loopback, and it can be told to misbehave: sign
// with the wrong key or "none", tamper with claims, rotate keys, go down.
//
// It is NOT a stand-in for Keycloak in the end-to-end tests (e2e/), which
// run the real thing. It exists for what Keycloak would never do.
package testprovider

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// User is who the provider logs in at /authorize (there is no login form).
type User struct {
	Subject           string
	Name              string
	PreferredUsername string
	Email             string
	RealmRoles        []string
	ClientRoles       map[string][]string
}

// Provider is a running test OpenID Provider.
type Provider struct {
	Server       *httptest.Server
	ClientID     string
	ClientSecret string

	mu            sync.Mutex
	key           *rsa.PrivateKey
	keyID         string
	user          User
	codes         map[string]*grant // authorization code -> grant (single use)
	refresh       map[string]*grant // refresh token -> grant
	accessTTL     time.Duration
	idTokenHook   func(claims map[string]any)
	signer        func(claims map[string]any) string // nil: sign with the current key
	userInfoSub   string
	sessionSeq    int
	delay         time.Duration   // SetDelay: wait this long before answering
	idTokens      []string        // every ID token issued, in order (IDTokens)
	hinted        map[string]User // users picked with login_hint, by subject
	revokeFailure int             // SetRevocationFailure: answer revocations with this status
	revoked       []string        // refresh tokens revoked, in order (Revoked)
	// refreshWithoutIDToken: refresh responses carry no ID token.
	refreshWithoutIDToken bool
	// Pushed authorization requests (par.go).
	pushed      map[string]*pushedRequest // request_uri -> request (single use)
	pushedForms []url.Values              // accepted pushes, in order
	requirePAR  bool
	// SetPKCEOptional (pkce.go).
	pkceOptional bool
	// RegisterRedirectURIs (redirect.go); empty = any.
	redirectURIs []string
	// private_key_jwt (clientauth.go).
	clientJWKSURL   string
	seenJTIs        map[string]bool
	assertions      []SeenAssertion
	clientAuthError string
	// DPoP (dpop.go).
	dpopNonce     string
	ignoreDPoP    bool
	proofs        []SeenProof
	nonceRefusals int
	tokenType     string // SetTokenType: "" = DPoP or Bearer as bound
	// Scopes granted (scope.go).
	clientScopes      ClientScopes
	omitResponseScope bool
	// Keys for algorithms beside RS256 (algs.go).
	algKeys    []algKey
	idTokenAlg jose.SignatureAlgorithm // SetIDTokenAlg; "" = RS256

	// Requests seen, for assertions.
	AuthRequests       []AuthRequest
	TokenRequests      atomic.Int64
	UserInfoCalls      atomic.Int64
	DiscoveryCalls     atomic.Int64
	KeysCalls          atomic.Int64
	RevocationRequests atomic.Int64
	PARRequests        atomic.Int64
	EndSessionCalls    []EndSessionRequest

	down atomic.Bool
}

// AuthRequest is one request the browser made to the authorization endpoint.
type AuthRequest struct {
	ClientID, RedirectURI, ResponseType, Scope       string
	State, Nonce, CodeChallenge, CodeChallengeMethod string
	// RequestURI is the request_uri of a pushed request (RFC 9126); the
	// other fields are then those of the pushed request.
	RequestURI string
}

// EndSessionRequest is one RP-initiated logout request.
type EndSessionRequest struct {
	IDTokenHint, PostLogoutRedirectURI, State, ClientID string
}

// grant is what a code (and later its refresh token) stands for.
type grant struct {
	clientID, redirectURI    string
	nonce, challenge, method string
	scope                    string
	sessionID                string
	user                     User
	revoked                  bool
	jkt                      string // DPoP: the key the tokens are bound to
}

// New starts a provider on a loopback port. Call Close when done.
func New() *Provider {
	p := &Provider{
		ClientID:     "demo-app",
		ClientSecret: "test-secret",
		codes:        map[string]*grant{},
		refresh:      map[string]*grant{},
		hinted:       map[string]User{},
		pushed:       map[string]*pushedRequest{},
		seenJTIs:     map[string]bool{},
		accessTTL:    5 * time.Minute,
		clientScopes: DemoClientScopes,
		user: User{
			Subject:           "a1b2c3d4-0000-4000-8000-000000000001",
			Name:              "Alice Liddell",
			PreferredUsername: "alice",
			Email:             "alice@example.com",
			RealmRoles:        []string{"admin", "user"},
			ClientRoles:       map[string][]string{"demo-app": {"editor", "viewer"}},
		},
	}
	p.key, p.keyID = newKey()
	p.Server = httptest.NewServer(p.routes())
	return p
}

// Close stops the provider.
func (p *Provider) Close() { p.Server.Close() }

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.Server.URL }

func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.handleDiscovery)
	mux.HandleFunc("GET /authorize", p.handleAuthorize)
	mux.HandleFunc("POST /token", p.handleToken)
	mux.HandleFunc("GET /userinfo", p.handleUserInfo)
	mux.HandleFunc("GET /keys", p.handleKeys)
	mux.HandleFunc("GET /logout", p.handleEndSession)
	mux.HandleFunc("POST /revoke", p.handleRevoke)
	mux.HandleFunc("POST /par", p.handlePAR)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		delay := p.delay
		p.mu.Unlock()
		if delay > 0 {
			// Stop waiting when the client gives up, so Close does not
			// block on a request nobody waits for any more. The server
			// notices a closed connection only once the body is read.
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if p.down.Load() {
			http.Error(w, "provider down", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// SetRevocationFailure makes the revocation endpoint answer with status (0:
// work again).
func (p *Provider) SetRevocationFailure(status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revokeFailure = status
}

// Revoked returns the refresh tokens revoked so far, in order.
func (p *Provider) Revoked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.revoked...)
}

// SetDown makes every endpoint answer 503 (true) or work again (false).
func (p *Provider) SetDown(down bool) { p.down.Store(down) }

// SetDelay makes every endpoint wait d before answering (0 = answer at
// once), as an overloaded provider would: tests use it to check that the
// app's outbound timeout fires.
func (p *Provider) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// KeyID is the kid of the current signing key.
func (p *Provider) KeyID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keyID
}

// IDTokens returns every ID token the token endpoint has issued, oldest
// first: tests compare them with what the app sends back (id_token_hint).
func (p *Provider) IDTokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.idTokens...)
}

// SetUser changes who logs in next.
func (p *Provider) SetUser(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// SetRealmRoles changes the realm roles of the user with this subject, as an
// administrator would: tokens issued from now on (refreshes of existing
// logins included) carry the new roles.
func (p *Provider) SetRealmRoles(subject string, roles []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.user.Subject == subject {
		p.user.RealmRoles = roles
	}
	for _, g := range p.refresh {
		if g.user.Subject == subject {
			g.user.RealmRoles = roles
		}
	}
}

// SetRefreshWithoutIDToken makes refresh responses carry no ID token (true),
// or a new one as Keycloak does (false).
func (p *Provider) SetRefreshWithoutIDToken(without bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refreshWithoutIDToken = without
}

// SetAccessTokenTTL changes the lifetime of access tokens issued next.
func (p *Provider) SetAccessTokenTTL(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.accessTTL = d
}

// TamperIDToken lets a test change the claims of ID tokens issued next.
func (p *Provider) TamperIDToken(hook func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idTokenHook = hook
}

// SignIDTokensWith replaces how ID tokens are signed (e.g. a foreign key,
// or alg "none"); nil restores normal signing.
func (p *Provider) SignIDTokensWith(sign func(claims map[string]any) string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signer = sign
}

// SetUserInfoSubject makes userinfo answer with another sub ("" = normal).
func (p *Provider) SetUserInfoSubject(sub string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.userInfoSub = sub
}

// RotateKeys replaces the signing key with a new one (new kid), as a
// provider that restarts with new keys would. The old key is no longer
// published.
func (p *Provider) RotateKeys() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.key, p.keyID = newKey()
}

// EndAllSessions revokes every refresh token, as when the user's session at
// the provider ends: the next refresh gets invalid_grant.
func (p *Provider) EndAllSessions() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, g := range p.refresh {
		g.revoked = true
	}
}

// LastAuthRequest returns the most recent authorization request.
func (p *Provider) LastAuthRequest() AuthRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.AuthRequests) == 0 {
		return AuthRequest{}
	}
	return p.AuthRequests[len(p.AuthRequests)-1]
}

func newKey() (*rsa.PrivateKey, string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return key, randomString(8)
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

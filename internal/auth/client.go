// Package auth is the app's OpenID Connect client: it discovers the provider,
// builds authorization requests, completes logins (code exchange and ID token
// checks), refreshes tokens and verifies logout tokens. It knows nothing of
// HTTP handlers or sessions.
package auth

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// Settings are the client's registration at the provider.
type Settings struct {
	Issuer        string // must equal the iss claim of every token
	DiscoveryURL  string // where this app fetches discovery (often = Issuer)
	ClientID      string
	ClientSecret  string
	Scopes        []string
	RedirectURL   string // BASE_URL + "/callback"
	PostLogoutURL string // BASE_URL + "/"
	// PAR: push every authorization request (RFC 9126, OIDC_PAR). The
	// app pushes anyway when the provider requires it.
	PAR bool
	// ClientKey: authenticate with private_key_jwt (RFC 7523, OpenID
	// Connect Core 9) signed by this key instead of the client secret
	// (OIDC_CLIENT_AUTH=private_key_jwt); nil = client_secret_basic.
	ClientKey *SigningKey
	// DPoPKey: send DPoP proofs signed by this key and get DPoP-bound
	// tokens (RFC 9449, OIDC_DPOP, dpop.go); nil = bearer tokens.
	DPoPKey *SigningKey
	// Now is nil for time.Now; tests pass a fake clock to decide when the
	// provider's keys may be fetched again (KeySet).
	Now func() time.Time
}

// Client talks to one OpenID Provider. It is safe for concurrent use.
type Client struct {
	settings Settings
	http     *http.Client // every outbound call goes through it (it has a timeout)
	logger   *slog.Logger

	// provider is nil until discovery succeeds; read it with current().
	provider atomic.Pointer[discovered]
}

// discovered is what the app learnt from the provider's discovery document.
type discovered struct {
	provider      *oidc.Provider
	verifier      *oidc.IDTokenVerifier
	oauth2        oauth2.Config
	endSessionURL string // "" = the provider has no RP-initiated logout
	revocationURL string // "" = the provider cannot revoke tokens
	// issParameterSupported: the callback always carries iss (RFC 9207).
	issParameterSupported bool
	// Pushed authorization requests (RFC 9126 section 5): where to push,
	// and whether the provider refuses any other authorization request.
	parURL     string
	requirePAR bool
}

// New returns a client that is not ready yet: call Discover or
// DiscoverInBackground. httpClient must have a timeout.
func New(settings Settings, httpClient *http.Client, logger *slog.Logger) *Client {
	c := &Client{settings: settings, http: httpClient, logger: logger}
	if settings.ClientKey != nil {
		// private_key_jwt: a fresh client assertion on every request
		// to the provider that authenticates the client (clientauth.go).
		c.http = wrapTransport(httpClient, func(base http.RoundTripper) http.RoundTripper {
			return &clientAssertions{base: base, client: c}
		})
	}
	if settings.DPoPKey != nil {
		// DPoP proofs on token requests and on every use of a bound
		// token (userinfo). Outside the assertions: a retry with a
		// DPoP nonce then gets a fresh assertion too.
		c.http = wrapTransport(c.http, func(base http.RoundTripper) http.RoundTripper {
			return &DPoPTransport{Base: base, Key: settings.DPoPKey, TokenURL: c.tokenURL}
		})
	}
	return c
}

// wrapTransport returns a copy of h whose transport is wrap(h's transport).
func wrapTransport(h *http.Client, wrap func(http.RoundTripper) http.RoundTripper) *http.Client {
	copied := *h
	base := h.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	copied.Transport = wrap(base)
	return &copied
}

// ClientJWKS is the public key of private_key_jwt as a JWK Set, for the
// provider to fetch (/.well-known/jwks.json); ok is false without one.
func (c *Client) ClientJWKS() (jwks jose.JSONWebKeySet, ok bool) {
	if c.settings.ClientKey == nil {
		return jose.JSONWebKeySet{}, false
	}
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{c.settings.ClientKey.PublicJWK()}}, true
}

// Issuer is the issuer every token must name (OIDC_ISSUER).
func (c *Client) Issuer() string { return c.settings.Issuer }

// ClientID is this app's client id at the provider.
func (c *Client) ClientID() string { return c.settings.ClientID }

// Ready reports whether discovery has succeeded.
func (c *Client) Ready() bool { return c.provider.Load() != nil }

func (c *Client) current() (*discovered, error) {
	d := c.provider.Load()
	if d == nil {
		return nil, ErrNotReady
	}
	return d, nil
}

// withHTTPClient makes go-oidc and x/oauth2 use our client (and its timeout)
// for the calls they make on behalf of ctx.
func (c *Client) withHTTPClient(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, c.http)
}

// tokenURL is the token endpoint, "" before discovery.
func (c *Client) tokenURL() string {
	d, err := c.current()
	if err != nil {
		return ""
	}
	return d.provider.Endpoint().TokenURL
}

// Hardening says which of the FAPI 2.0 options this client uses: for the
// security ladder page (/ladder). PAR is true when the provider requires
// it too.
type Hardening struct {
	PAR, PrivateKeyJWT, DPoP bool
}

// Hardening reports the options in use.
func (c *Client) Hardening() Hardening {
	h := Hardening{PAR: c.settings.PAR, PrivateKeyJWT: c.settings.ClientKey != nil, DPoP: c.settings.DPoPKey != nil}
	if d, err := c.current(); err == nil && d.requirePAR {
		h.PAR = true
	}
	return h
}

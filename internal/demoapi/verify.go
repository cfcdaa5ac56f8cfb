// Package demoapi is the demo API: an OAuth 2.0 resource server (RFC 6749
// section 1.1). It accepts requests that carry an access token in the
// Authorization header (RFC 6750, "Bearer Token Usage") and checks every
// token itself, against the realm's published keys: it never asks the
// provider whether a token is good, and it never sees a password, a session
// or a cookie. cmd/demo-api wires it into a program.
package demoapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// Settings say which tokens the API accepts.
type Settings struct {
	Issuer       string // must equal the iss of every access token
	DiscoveryURL string // where the API fetches discovery (often = Issuer)
	Audience     string // must be in the aud of every access token, e.g. "demo-api"
	AdminRole    string // the realm role GET /api/admin requires, e.g. "admin"
	// PublicURL is the API's own URL as its callers address it
	// (API_PUBLIC_URL), e.g. "http://localhost:4000": the htu of every DPoP
	// proof must be this plus the request's path (dpop.go).
	PublicURL string
	// Now is nil for time.Now; tests pass a fake clock: it decides when the
	// provider's keys may be fetched again (auth.KeySet) and how old a DPoP
	// proof is.
	Now func() time.Time
}

// Caller is who a verified access token speaks for: a user (the app calls on
// their behalf) or a client itself (client credentials: a service account).
type Caller struct {
	Subject           string
	PreferredUsername string
	Scope             string // space separated, as granted
	AuthorizedParty   string // azp: the client the token was issued to
	Audience          []string
	RealmRoles        []string
	Expiry            time.Time
	// JKT is cnf.jkt of a DPoP-bound token (RFC 9449 section 6.1): the
	// thumbprint of the key every use must prove; "" for a bearer token.
	JKT string
}

// HasRealmRole reports whether realm_access.roles holds role.
func (c Caller) HasRealmRole(role string) bool {
	for _, r := range c.RealmRoles {
		if r == role {
			return true
		}
	}
	return false
}

// TokenError says why a token was refused. Description is sent back to the
// caller (error_description, RFC 6750 section 3) and logged, so it names the
// failed check but never repeats the token.
type TokenError struct{ Description string }

func (e *TokenError) Error() string { return e.Description }

// ErrNotReady means the API has not reached the provider yet (discovery, or
// the keys it needs for a token): it cannot tell good tokens from bad ones,
// so it answers 503 rather than 401.
var ErrNotReady = errors.New("the identity provider has not been reached yet")

// Verifier checks access tokens. It is safe for concurrent use.
type Verifier struct {
	settings Settings
	http     *http.Client // discovery and JWKS fetches; it has a timeout
	logger   *slog.Logger
	verifier atomic.Pointer[oidc.IDTokenVerifier] // nil until discovery succeeds
}

// NewVerifier returns a verifier that is not ready yet: call Discover or
// DiscoverInBackground.
func NewVerifier(settings Settings, httpClient *http.Client, logger *slog.Logger) *Verifier {
	return &Verifier{settings: settings, http: httpClient, logger: logger}
}

// Ready reports whether discovery has succeeded.
func (v *Verifier) Ready() bool { return v.verifier.Load() != nil }

// Discover fetches the provider's discovery document once, which names the
// JWKS (the realm's public keys) the signatures are checked against.
func (v *Verifier) Discover(ctx context.Context) error {
	// The same discovery as the app's, including the docker compose case
	// where the API reaches Keycloak at another address than the issuer.
	provider, err := auth.NewProvider(ctx, v.http, v.settings.Issuer, v.settings.DiscoveryURL)
	if err != nil {
		return err
	}
	// go-oidc's verifier is written for ID tokens, but its checks are the
	// ones an access token in JWT form needs too (RFC 9068 section 4):
	// the signature against the JWKS (fetched again when a token names an
	// unknown key id, within auth.KeySet's token bucket: a rotated key
	// works at once, and forged tokens cannot make the API flood Keycloak), iss,
	// exp, and that aud contains this API. Its "ClientID" is the audience
	// to expect: here the API's own name, not the app's client id. RS256
	// only: Keycloak signs access tokens with it, and "none" or HMAC
	// tokens never pass.
	verifier, err := auth.NewVerifier(provider, v.settings.Issuer, v.http, oidc.Config{
		ClientID:             v.settings.Audience,
		SupportedSigningAlgs: []string{oidc.RS256},
	}, v.settings.Now)
	if err != nil {
		return err
	}
	v.verifier.Store(verifier)
	return nil
}

// DiscoverInBackground retries Discover with exponential backoff until it
// succeeds or ctx ends, so the API can start while Keycloak still boots.
func (v *Verifier) DiscoverInBackground(ctx context.Context, timeoutPerTry time.Duration) {
	auth.RetryDiscovery(ctx, v.logger, v.settings.Issuer, timeoutPerTry, v.Discover)
}

// Verify checks an access token and returns who it speaks for. A refused
// token gives a *TokenError; ErrNotReady means the API cannot check tokens
// right now.
func (v *Verifier) Verify(ctx context.Context, raw string) (Caller, error) {
	verifier := v.verifier.Load()
	if verifier == nil {
		return Caller{}, ErrNotReady
	}
	token, err := verifier.Verify(oidc.ClientContext(ctx, v.http), raw)
	if err != nil {
		return Caller{}, v.explain(err)
	}

	var claims struct {
		Type              string          `json:"typ"`
		Scope             json.RawMessage `json:"scope"`
		PreferredUsername string          `json:"preferred_username"`
		AuthorizedParty   string          `json:"azp"`
		RealmAccess       struct {
			Roles []string `json:"roles"`
		} `json:"realm_access"`
		Confirmation struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if err := token.Claims(&claims); err != nil {
		return Caller{}, &TokenError{"the token's claims are not a JSON object"}
	}
	// Keycloak marks what a token is for in its typ claim: "Bearer" for
	// access tokens, "ID" for ID tokens, "Refresh", "Logout". An ID token is
	// meant for the app that logged the user in, not for APIs (OpenID
	// Connect Core 2): even if its audience matched, it is refused here. A
	// token without typ is not one of Keycloak's access tokens either.
	if claims.Type == "" {
		return Caller{}, &TokenError{"the token is not an access token (no typ claim)"}
	}
	// A DPoP-bound access token may say typ DPoP (RFC 9449).
	if !strings.EqualFold(claims.Type, "Bearer") && !(claims.Type == "DPoP" && claims.Confirmation.JKT != "") {
		return Caller{}, &TokenError{fmt.Sprintf("the token is not an access token (typ %s)", quoteSafe(claims.Type, 40))}
	}
	if token.Subject == "" {
		return Caller{}, &TokenError{"the token has no sub claim"}
	}
	// scope is one JSON string of space-separated scopes (RFC 9068 section
	// 2.2.3, RFC 8693 section 4.2), never an array: a token that says it
	// otherwise is not one this API understands.
	var scope string
	if len(claims.Scope) > 0 && json.Unmarshal(claims.Scope, &scope) != nil {
		return Caller{}, &TokenError{"the token's scope claim is not a string of space-separated scopes"}
	}
	return Caller{
		Subject:           token.Subject,
		PreferredUsername: claims.PreferredUsername,
		Scope:             scope,
		AuthorizedParty:   claims.AuthorizedParty,
		Audience:          token.Audience,
		RealmRoles:        claims.RealmAccess.Roles,
		Expiry:            token.Expiry,
		JKT:               claims.Confirmation.JKT,
	}, nil
}

// explain turns go-oidc's error into a description for the caller. The
// checks are go-oidc's; only the wording is ours.
func (v *Verifier) explain(err error) error {
	var expired *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &expired):
		return &TokenError{"the access token expired at " + expired.Expiry.UTC().Format(time.RFC3339)}
	case strings.Contains(msg, "fetching keys"):
		// The token names a key the API has not seen, and the JWKS could
		// not be fetched: we cannot tell, so this is not the caller's fault.
		v.logger.Warn("fetching the provider's keys failed", "error", msg)
		return ErrNotReady
	case strings.Contains(msg, "malformed jwt"):
		return &TokenError{"the token is not a JWT signed with RS256"}
	case strings.Contains(msg, "failed to verify signature"):
		return &TokenError{"the signature does not match any of the realm's keys"}
	case strings.Contains(msg, "issued by a different provider"):
		return &TokenError{"the token was issued by another issuer, not " + v.settings.Issuer}
	case strings.Contains(msg, "expected audience"):
		return &TokenError{"the token is not meant for this API: its aud does not contain " + v.settings.Audience}
	case strings.Contains(msg, "nbf"):
		return &TokenError{"the token is not valid yet (nbf)"}
	}
	return &TokenError{"the access token is not valid"}
}

// quoteSafe keeps what may appear inside a quoted-string of a
// WWW-Authenticate header (RFC 6750 section 3: printable ASCII without
// " and \), and at most limit characters of it.
func quoteSafe(s string, limit int) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e && r != '"' && r != '\\' {
			b.WriteRune(r)
		}
		if b.Len() >= limit {
			break
		}
	}
	return b.String()
}

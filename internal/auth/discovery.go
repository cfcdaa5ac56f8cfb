package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Discover fetches the provider's /.well-known/openid-configuration once.
// (OpenID Connect Discovery 1.0, section 4.)
func (c *Client) Discover(ctx context.Context) error {
	provider, err := NewProvider(ctx, c.http, c.settings.Issuer, c.settings.DiscoveryURL)
	if err != nil {
		return err
	}

	// What go-oidc does not read for us: logout (RP-Initiated Logout 1.0),
	// revocation (RFC 7009), the callback's iss parameter (RFC 9207) and
	// pushed authorization requests (RFC 9126 section 5).
	var metadata struct {
		EndSessionEndpoint    string `json:"end_session_endpoint"`
		RevocationEndpoint    string `json:"revocation_endpoint"`
		IssParameterSupported bool   `json:"authorization_response_iss_parameter_supported"`
		PAREndpoint           string `json:"pushed_authorization_request_endpoint"`
		RequirePAR            bool   `json:"require_pushed_authorization_requests"`
	}
	if err := provider.Claims(&metadata); err != nil {
		return fmt.Errorf("reading discovery document: %w", err)
	}

	// The verifier fetches the JWKS through our HTTP client and fetches it
	// again when a token names a key id it does not know, within a token
	// bucket (KeyRefetchBurst, KeyRefetchEvery): a provider that rotates
	// its keys keeps working at once, and forged tokens cannot make us
	// flood it (keyset.go). With all three FAPI options on, only the
	// algorithms FAPI 2.0 allows are accepted (fapi.go).
	verifier, err := NewVerifier(provider, c.settings.Issuer, c.http, oidc.Config{
		ClientID:             c.settings.ClientID,
		SupportedSigningAlgs: c.settings.signingAlgs(),
	}, c.settings.Now)
	if err != nil {
		return err
	}

	// How x/oauth2 authenticates the client at the token endpoint: the
	// secret in HTTP Basic, or private_key_jwt (clientauth.go).
	endpoint := provider.Endpoint()
	var secret string
	endpoint.AuthStyle, secret = c.tokenAuthStyle()

	c.provider.Store(&discovered{
		provider: provider,
		verifier: verifier,
		oauth2: oauth2.Config{
			ClientID:     c.settings.ClientID,
			ClientSecret: secret,
			Endpoint:     endpoint,
			RedirectURL:  c.settings.RedirectURL,
			Scopes:       c.settings.Scopes,
		},
		endSessionURL:         metadata.EndSessionEndpoint,
		revocationURL:         backChannelURL(metadata.RevocationEndpoint, c.settings.Issuer, c.settings.DiscoveryURL),
		issParameterSupported: metadata.IssParameterSupported,
		parURL:                backChannelURL(metadata.PAREndpoint, c.settings.Issuer, c.settings.DiscoveryURL),
		requirePAR:            metadata.RequirePAR,
	})
	return nil
}

// DiscoverInBackground retries Discover with exponential backoff until it
// succeeds or ctx ends, so the app can start while the provider is still
// booting (docker compose starts both at once).
func (c *Client) DiscoverInBackground(ctx context.Context, timeoutPerTry time.Duration) {
	RetryDiscovery(ctx, c.logger, c.settings.Issuer, timeoutPerTry, c.Discover)
}

// NewProvider runs go-oidc's discovery at discoveryURL through httpClient
// (whose timeout then also bounds the JWKS fetches of the provider's
// verifiers), for tokens whose iss is issuer. The demo API uses it too.
func NewProvider(ctx context.Context, httpClient *http.Client, issuer, discoveryURL string) (*oidc.Provider, error) {
	ctx = oidc.ClientContext(ctx, httpClient)
	if discoveryURL != issuer {
		// In docker compose the app reaches Keycloak at http://keycloak:8080
		// while browsers (and the iss claim) use http://localhost:8080.
		// This tells go-oidc to expect the configured issuer instead of the
		// discovery URL; tokens are still checked against that issuer.
		ctx = oidc.InsecureIssuerURLContext(ctx, issuer)
	}
	provider, err := oidc.NewProvider(ctx, discoveryURL)
	if err != nil {
		return nil, fmt.Errorf("discovery at %s: %w", discoveryURL, err)
	}
	return provider, nil
}

// RetryDiscovery calls discover with exponential backoff (0.5 s doubling up
// to 30 s), each try bounded by timeoutPerTry, until it succeeds or ctx ends.
func RetryDiscovery(ctx context.Context, logger *slog.Logger, issuer string, timeoutPerTry time.Duration, discover func(context.Context) error) {
	wait := 500 * time.Millisecond
	const maxWait = 30 * time.Second
	for attempt := 1; ; attempt++ {
		tryCtx, cancel := context.WithTimeout(ctx, timeoutPerTry)
		err := discover(tryCtx)
		cancel()
		if err == nil {
			logger.Info("provider discovered", "issuer", issuer, "attempt", attempt)
			return
		}
		logger.Warn("provider not reachable yet, will retry",
			"attempt", attempt, "retry_in", wait.String(), "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, maxWait)
	}
}

// backChannelURL is where the app itself calls an endpoint the discovery
// document names. In docker compose the browser reaches Keycloak at
// localhost:8080 and the app at keycloak:8080; Keycloak names its token,
// JWKS and userinfo endpoints at the address discovery was fetched from,
// but others (revocation) at the issuer's, which the app's container cannot
// reach. Such a URL is moved to the discovery URL's origin. When the two
// are the same, nothing changes.
func backChannelURL(endpoint, issuer, discoveryURL string) string {
	e, errE := url.Parse(endpoint)
	i, errI := url.Parse(issuer)
	d, errD := url.Parse(discoveryURL)
	if errE != nil || errI != nil || errD != nil || endpoint == "" {
		return endpoint
	}
	if e.Scheme == i.Scheme && e.Host == i.Host && (d.Scheme != i.Scheme || d.Host != i.Host) {
		e.Scheme, e.Host = d.Scheme, d.Host
	}
	return e.String()
}

package auth

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Client authentication (RFC 6749 section 2.3, OpenID Connect Core 9), in
// one place, for every back-channel request the app makes as itself: the
// token endpoint (code exchange and refresh, through x/oauth2), pushed
// authorization requests (par.go) and revocation (logout.go). Two methods:
//
//	client_secret_basic  the default: client id and secret in HTTP Basic.
//	private_key_jwt      (Settings.ClientKey, OIDC_CLIENT_AUTH) no secret
//	                     at all: each request carries a fresh client
//	                     assertion, a short JWT signed with the app's own
//	                     key, which the provider checks with the public key
//	                     it fetches from the app (/.well-known/jwks.json).
//	                     Nothing the provider stores, and nothing on the
//	                     wire, lets anyone else sign the next one.

// ClientAssertionType is the client_assertion_type of a JWT client
// assertion (RFC 7523 section 2.2).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// newClientRequest builds a POST of form to endpoint, authenticated as the
// client: HTTP Basic with the secret, or client_id in the form (the
// assertion is added on the way out by clientAssertions below).
func (c *Client) newClientRequest(ctx context.Context, endpoint string, form url.Values) (*http.Request, error) {
	if c.settings.ClientKey != nil {
		form.Set("client_id", c.settings.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.settings.ClientKey == nil {
		// client_secret_basic: both form-encoded first (RFC 6749 2.3.1).
		req.SetBasicAuth(url.QueryEscape(c.settings.ClientID), url.QueryEscape(c.settings.ClientSecret))
	}
	return req, nil
}

// tokenAuthStyle tells x/oauth2 how to authenticate at the token endpoint:
// the secret in HTTP Basic (client_secret_basic, the default of OpenID
// Connect Core 9), or with a key, client_id in the form and no secret (the
// assertion is added by clientAssertions). Left unset, x/oauth2 guesses and
// retries a failed exchange the other way, which doubles every rejected or
// timed-out token request.
func (c *Client) tokenAuthStyle() (oauth2.AuthStyle, string) {
	if c.settings.ClientKey != nil {
		return oauth2.AuthStyleInParams, ""
	}
	return oauth2.AuthStyleInHeader, c.settings.ClientSecret
}

// clientAssertions is the http.RoundTripper that signs a fresh client
// assertion (RFC 7523 2.2: client_assertion_type and client_assertion) into
// every POST the login client makes to the provider's token, PAR or
// revocation endpoint. A fresh one each time, retries included: the
// provider refuses a jti it has seen.
type clientAssertions struct {
	base   http.RoundTripper
	client *Client
}

func (t *clientAssertions) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.client
	if req.Method != http.MethodPost || req.GetBody == nil || !c.isClientEndpoint(req.URL) {
		return t.base.RoundTrip(req)
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(body, 64<<10))
	body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(raw))
	// Only the login client's own requests: the service client
	// (clientcredentials.go) authenticates with its own secret.
	if err != nil || form.Get("client_id") != c.settings.ClientID {
		return t.base.RoundTrip(req)
	}
	assertion, err := c.settings.ClientKey.ClientAssertion(c.settings.ClientID, c.settings.Issuer, time.Now())
	if err != nil {
		return nil, err
	}
	signed := string(raw) + "&" + url.Values{
		"client_assertion_type": {ClientAssertionType},
		"client_assertion":      {assertion},
	}.Encode()
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(strings.NewReader(signed))
	out.ContentLength = int64(len(signed))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader([]byte(signed))), nil }
	return t.base.RoundTrip(out)
}

// isClientEndpoint: the endpoints where the provider authenticates the
// client.
func (c *Client) isClientEndpoint(u *url.URL) bool {
	d, err := c.current()
	if err != nil {
		return false
	}
	target := u.Scheme + "://" + u.Host + u.Path
	return target == d.provider.Endpoint().TokenURL || target == d.parURL || target == d.revocationURL
}

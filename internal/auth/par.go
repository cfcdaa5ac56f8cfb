package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Pushed Authorization Requests (RFC 9126): instead of putting the
// authorization request in the browser's URL, where the user, browser
// extensions and proxies can read and change it, the app POSTs it to the
// provider on the back channel, authenticated as the client, and sends the
// browser with only a reference to it (request_uri). The request is then
// confidential and integrity-protected (RFC 9126 section 1): the provider
// knows it came from this client exactly as sent, a changed redirect_uri,
// scope or code_challenge is impossible, and the nonce and challenge never
// appear in the browser's history. Only the request: the answer still
// comes back through the browser, with the code, the state and iss in the
// callback's URL.

// pushAuthorizationRequest pushes the authorization request of frontURL (a
// complete authorization URL, as StartLogin built it) to the provider's
// pushed_authorization_request_endpoint and returns the URL to send the
// browser to instead: the authorization endpoint with only client_id and
// request_uri (RFC 9126 section 4).
func (c *Client) pushAuthorizationRequest(ctx context.Context, d *discovered, frontURL string) (string, error) {
	if d.parURL == "" {
		return "", fmt.Errorf("%w: pushed authorization requests are on, but the provider has no pushed_authorization_request_endpoint", ErrProvider)
	}
	front, err := url.Parse(frontURL)
	if err != nil {
		return "", err
	}
	// Section 2.1: the same parameters as in the browser's URL, as a
	// form, with the client's authentication (here: in one place,
	// clientauth.go). client_id is in the form already.
	req, err := c.newClientRequest(ctx, d.parURL, front.Query())
	if err != nil {
		return "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: pushed authorization request failed: provider unreachable or timed out", ErrProvider)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))

	// Section 2.2: 201 Created with request_uri and expires_in; section
	// 2.3: an error is a 4xx with an OAuth error code.
	if resp.StatusCode != http.StatusCreated {
		var oauthErr struct {
			Error string `json:"error"`
		}
		json.Unmarshal(body, &oauthErr)
		return "", fmt.Errorf("%w: pushed authorization request answered %d %s", ErrProvider, resp.StatusCode, truncateCode(oauthErr.Error))
	}
	var pushed struct {
		RequestURI string `json:"request_uri"`
		ExpiresIn  int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &pushed); err != nil || pushed.RequestURI == "" {
		return "", fmt.Errorf("%w: pushed authorization response has no request_uri", ErrProvider)
	}

	// Section 4: the browser carries client_id and request_uri, nothing
	// else. The provider looks the request up by request_uri, and only
	// once: a request_uri is single use.
	auth, err := url.Parse(d.provider.Endpoint().AuthURL)
	if err != nil {
		return "", err
	}
	q := auth.Query()
	q.Set("client_id", c.settings.ClientID)
	q.Set("request_uri", pushed.RequestURI)
	auth.RawQuery = q.Encode()
	return auth.String(), nil
}

// truncateCode keeps an error code from the provider short enough to log.
func truncateCode(code string) string {
	if len(code) > 64 {
		return code[:64]
	}
	return code
}

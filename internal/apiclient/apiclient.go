// Package apiclient calls the demo API (cmd/demo-api, the resource server)
// with an access token, the way any OAuth client calls a protected resource
// (RFC 6750 section 2.1: "Authorization: Bearer <token>"), and records the
// exchange so the app can show it. It knows nothing of HTML or sessions.
package apiclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/display"
)

// maxBody caps how much of an answer is read and shown.
const maxBody = 64 << 10

// Client calls one API. It is safe for concurrent use.
type Client struct {
	base *url.URL
	http *http.Client // must have a timeout: the API may hang
}

// New returns a client for the API at base (API_URL).
func New(base *url.URL, httpClient *http.Client) *Client {
	return &Client{base: base, http: httpClient}
}

// BaseURL is the API's URL, for display.
func (c *Client) BaseURL() string { return c.base.String() }

// Exchange is one request to the API and its answer, ready for display. It
// never holds the whole token.
type Exchange struct {
	Method          string
	URL             string
	Authorization   string // described, not shown (display.Authorization)
	RequestBody     string // the JSON sent, if any
	Status          int
	StatusText      string // e.g. "403 Forbidden"
	WWWAuthenticate string // the challenge of a 401 or 403, if any
	// InsufficientScope is the scope a 403 insufficient_scope challenge
	// names as needed, "" if none.
	InsufficientScope string
	ContentType       string
	Body              string // pretty-printed when it is JSON
	// DPoPProof is the DPoP header sent (RFC 9449), without its
	// signature; "" for a bearer token.
	DPoPProof string
	Duration  time.Duration
}

// UnavailableError means the API did not answer: down, unreachable or too
// slow. The app shows a 502 page; Reason is safe to log.
type UnavailableError struct{ Reason string }

func (e *UnavailableError) Error() string { return e.Reason }

// Get sends GET base+path with the access token and returns what happened.
// Any HTTP answer, 401 and 403 included, is an Exchange, not an error: the
// app shows refusals too. Only a failure to get an answer is an error.
func (c *Client) Get(ctx context.Context, path, accessToken string) (Exchange, error) {
	return c.GetAs(ctx, path, "Bearer", accessToken)
}

// GetAs is Get with the token's type (token_type of the token response): a
// DPoP-bound token goes out as "Authorization: DPoP <token>" (RFC 9449
// section 7.1), and the client's transport adds the proof (auth.DPoPTransport).
func (c *Client) GetAs(ctx context.Context, path, tokenType, accessToken string) (Exchange, error) {
	return c.do(ctx, http.MethodGet, path, tokenType, accessToken, nil)
}

// PostJSONAs sends POST base+path with the access token and a JSON body,
// like GetAs.
func (c *Client) PostJSONAs(ctx context.Context, path, tokenType, accessToken string, body []byte) (Exchange, error) {
	return c.do(ctx, http.MethodPost, path, tokenType, accessToken, body)
}

// do sends one request and records it; body, when not nil, is JSON.
func (c *Client) do(ctx context.Context, method, path, tokenType, accessToken string, body []byte) (Exchange, error) {
	scheme := "Bearer"
	if strings.EqualFold(tokenType, "DPoP") {
		scheme = "DPoP"
	}
	target := c.base.JoinPath(path).String()
	ex := Exchange{Method: method, URL: target, Authorization: display.Authorization(scheme + " " + accessToken), RequestBody: string(body)}
	var reqBody io.Reader
	if body != nil {
		reqBody = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reqBody)
	if err != nil {
		return ex, fmt.Errorf("building the API request: %w", err)
	}
	req.Header.Set("Authorization", scheme+" "+accessToken)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		// The error text holds the URL, never the token (it is a header).
		return ex, &UnavailableError{Reason: fmt.Sprintf("%s %s: no answer: %v", method, target, err)}
	}
	defer resp.Body.Close()
	if resp.Request != nil {
		// The proof as it went out (the transport added it): shown with
		// its signature left out.
		ex.DPoPProof = display.WithoutSignature(resp.Request.Header.Get("DPoP"))
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return ex, &UnavailableError{Reason: fmt.Sprintf("%s %s: reading the answer: %v", method, target, err)}
	}
	ex.Duration = time.Since(start)
	ex.Status = resp.StatusCode
	ex.StatusText = resp.Status
	ex.WWWAuthenticate = resp.Header.Get("WWW-Authenticate")
	ex.InsufficientScope = insufficientScope(resp.Header.Values("WWW-Authenticate"))
	ex.ContentType = resp.Header.Get("Content-Type")
	ex.Body = display.PrettyJSON(answer)
	return ex, nil
}

// scopeParam is the scope attribute of a challenge (RFC 6750 section 3), a
// quoted-string without escapes (scope values have no " or \).
var scopeParam = regexp.MustCompile(`(?:^|[\s,])scope="([^"\\]*)"`)

// insufficientScope returns the scope named by a challenge with
// error="insufficient_scope" (RFC 6750 section 3.1: the resource server
// "MAY include the "scope" attribute with the scope necessary to access
// the protected resource"), "" if none names one. The API sends one
// challenge per header field.
func insufficientScope(challenges []string) string {
	for _, c := range challenges {
		if !strings.Contains(c, `error="insufficient_scope"`) {
			continue
		}
		if m := scopeParam.FindStringSubmatch(c); m != nil {
			return m[1]
		}
	}
	return ""
}

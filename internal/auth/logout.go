package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// This file is the logout, in the order it happens:
//
//	RevokeRefreshToken  the refresh token dies at once (RFC 7009)
//	EndSessionURL       the browser ends the provider's session (RP-Initiated Logout)
//
// When a session ends elsewhere, the provider tells us: backchannel.go.

// RevokeRefreshToken asks the provider to revoke the refresh token (RFC 7009
// section 2.1): a client-authenticated POST with token_type_hint
// refresh_token. After it the token is dead even if the browser never
// reaches the end_session_endpoint. A provider without a
// revocation_endpoint is not an error: there is nothing to call.
func (c *Client) RevokeRefreshToken(ctx context.Context, refreshToken string) error {
	d, err := c.current()
	if err != nil {
		return err
	}
	if d.revocationURL == "" || refreshToken == "" {
		return nil
	}
	// Client-authenticated, as for the token endpoint (clientauth.go).
	form := url.Values{"token": {refreshToken}, "token_type_hint": {"refresh_token"}}
	req, err := c.newClientRequest(ctx, d.revocationURL, form)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: revocation request failed: provider unreachable or timed out", ErrProvider)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	// RFC 7009 2.2: 200 whether or not the token was still valid.
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: revocation answered %d", ErrProvider, resp.StatusCode)
	}
	return nil
}

// EndSessionURL builds the RP-Initiated Logout request (OpenID Connect
// RP-Initiated Logout 1.0, section 2). Without it only the app's session
// ends, and the next "Log in" signs the user straight back in at the
// provider. ok is false when the provider has no end_session_endpoint.
func (c *Client) EndSessionURL(idTokenHint, state string) (string, bool) {
	d, err := c.current()
	if err != nil || d.endSessionURL == "" {
		return "", false
	}
	u, err := url.Parse(d.endSessionURL)
	if err != nil {
		return "", false
	}
	q := u.Query()
	q.Set("client_id", c.settings.ClientID)
	q.Set("post_logout_redirect_uri", c.settings.PostLogoutURL)
	q.Set("state", state)
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
	}
	u.RawQuery = q.Encode()
	return u.String(), true
}

// NewLogoutState returns a random value for the state of a logout request.
func NewLogoutState() string { return randomValue() }

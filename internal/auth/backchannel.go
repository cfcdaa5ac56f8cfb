package auth

import (
	"context"
	"encoding/json"

	"github.com/coreos/go-oidc/v3/oidc"
)

// VerifyLogoutToken checks a Back-Channel Logout token (OpenID Connect
// Back-Channel Logout 1.0, section 2.6): signature, iss, aud, exp, the
// logout event, no nonce, and a sub or sid. Replay (jti) is the caller's job.
// Errors wrap ErrRejected, or ErrNotReady before discovery.
func (c *Client) VerifyLogoutToken(ctx context.Context, raw string) (*oidc.LogoutToken, error) {
	d, err := c.current()
	if err != nil {
		return nil, err
	}
	token, err := d.verifier.VerifyLogout(c.withHTTPClient(ctx), raw)
	if err != nil {
		return nil, rejected("logout token: %v", err)
	}
	// go-oidc leaves two REQUIRED claims of section 2.4 unchecked: iat,
	// and events as a JSON object whose logout member is a JSON object.
	if token.IssuedAt.IsZero() {
		return nil, rejected("logout token has no iat claim")
	}
	var claims struct {
		Events map[string]json.RawMessage `json:"events"`
	}
	if err := token.Claims(&claims); err != nil {
		return nil, rejected("logout token's events claim is not a JSON object")
	}
	var event map[string]json.RawMessage
	if json.Unmarshal(claims.Events[logoutEvent], &event) != nil || event == nil {
		return nil, rejected("logout token's %s event is not a JSON object", logoutEvent)
	}
	return token, nil
}

// logoutEvent names the event of a logout token (section 2.4).
const logoutEvent = "http://schemas.openid.net/event/backchannel-logout"

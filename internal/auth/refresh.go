package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"
)

// Tokens are what the token endpoint returned. They are kept server-side in
// the session store and never sent to the browser in a cookie.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	IDToken      string // raw; needed as id_token_hint at logout
	AccessExpiry time.Time
	IDExpiry     time.Time
	// Scope is the scope granted, space separated, as the token response
	// said (scope.go): what the access token may do at the API.
	Scope string
}

// Fresh returns the login with a valid access token, refreshing the tokens
// with the refresh token (RFC 6749 section 6) when the access token has
// expired. refreshed is false when nothing needed to change (no network call).
func (c *Client) Fresh(ctx context.Context, l Login) (fresh Login, refreshed bool, err error) {
	return c.refresh(ctx, l, false)
}

// ForceRefresh refreshes the tokens now, whether or not the access token has
// expired (the token viewer's "Refresh now"). Errors are those of Fresh, and
// ErrNoRefreshToken.
func (c *Client) ForceRefresh(ctx context.Context, l Login) (Login, error) {
	if l.Tokens.RefreshToken == "" {
		return l, ErrNoRefreshToken
	}
	fresh, _, err := c.refresh(ctx, l, true)
	return fresh, err
}

func (c *Client) refresh(ctx context.Context, l Login, force bool) (fresh Login, refreshed bool, err error) {
	d, err := c.current()
	if err != nil {
		return l, false, err
	}
	t := l.Tokens
	old := &oauth2.Token{
		AccessToken:  t.AccessToken,
		RefreshToken: t.RefreshToken,
		TokenType:    t.TokenType,
		Expiry:       t.AccessExpiry,
	}
	if force {
		// Without an access token x/oauth2 never considers the token
		// valid, so the token source below always calls the endpoint.
		old.AccessToken = ""
	} else if old.Valid() {
		// Still valid (x/oauth2 treats a token as expired 10 s early):
		// nothing to do, on almost every page view.
		return l, false, nil
	}
	// The token source calls the token endpoint with the refresh token.
	next, err := d.oauth2.TokenSource(c.withHTTPClient(ctx), old).Token()
	if err != nil {
		var retrieve *oauth2.RetrieveError
		if errors.As(err, &retrieve) && retrieve.ErrorCode == "invalid_grant" {
			return l, false, ErrSessionEnded
		}
		return l, false, providerError("token refresh", err)
	}
	if next.AccessToken == t.AccessToken {
		return l, false, nil
	}

	fresh = l
	fresh.Tokens = Tokens{
		AccessToken:  next.AccessToken,
		RefreshToken: next.RefreshToken, // x/oauth2 keeps the old one if none came back
		TokenType:    next.Type(),
		IDToken:      t.IDToken,
		AccessExpiry: next.Expiry,
		IDExpiry:     t.IDExpiry,
		// A refresh can grant less than before (a consent withdrawn):
		// the response's scope says so (scope.go).
		Scope: grantedScope(next, t.Scope),
	}
	// The user's claims and roles are read again, from the client's own
	// sources (claims.go): the new ID token when the refresh response
	// carries one (Core 12.2), else the userinfo response for the new
	// access token. Either must be about the same user; if not, the
	// session cannot go on as this user.
	if rawIDToken, _ := next.Extra("id_token").(string); rawIDToken != "" {
		idToken, claims, checked, err := c.verifyIDToken(c.withHTTPClient(ctx), d, rawIDToken)
		if err != nil {
			return l, false, fmt.Errorf("%w: refreshed id token rejected: %v", ErrSessionEnded, err)
		}
		if idToken.Subject != l.Claims.Subject {
			return l, false, fmt.Errorf("%w: refreshed id token is about another user", ErrSessionEnded)
		}
		fresh.Claims = claims
		fresh.Tokens.IDToken, fresh.Tokens.IDExpiry = rawIDToken, idToken.Expiry
		fresh.Checked = checked
	} else if d.provider.UserInfoEndpoint() != "" {
		info, err := c.fetchUserInfo(c.withHTTPClient(ctx), d, next, l.Claims.Subject)
		if errors.Is(err, ErrRejected) {
			return l, false, fmt.Errorf("%w: userinfo after refresh is about another user", ErrSessionEnded)
		}
		if err != nil {
			return l, false, err
		}
		if fresh.Claims, err = claimsFromJSON(l.Claims.Subject, c.settings.ClientID, info); err != nil {
			return l, false, fmt.Errorf("%w: reading userinfo after refresh: %v", ErrSessionEnded, err)
		}
		fresh.UserInfo = info
	}
	if fresh.Claims.SessionID == "" {
		fresh.Claims.SessionID = l.Claims.SessionID // the same provider session
	}
	return fresh, true, nil
}

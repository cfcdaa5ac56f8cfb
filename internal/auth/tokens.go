package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
}

// ErrSessionEnded means the provider refused the refresh token: the user's
// session there has ended (logout elsewhere, admin action, expiry).
var ErrSessionEnded = errors.New("the session at the identity provider has ended")

// ErrNoRefreshToken means there is no refresh token to refresh with.
var ErrNoRefreshToken = errors.New("no refresh token: the provider did not issue one")

// Fresh returns tokens whose access token is valid, refreshing them with the
// refresh token (RFC 6749 section 6) when the access token has expired.
// refreshed is false when nothing needed to change (no network call).
func (c *Client) Fresh(ctx context.Context, t Tokens) (fresh Tokens, refreshed bool, err error) {
	return c.refresh(ctx, t, false)
}

// ForceRefresh refreshes the tokens now, whether or not the access token has
// expired (the token viewer's "Refresh now"). Errors are those of Fresh, and
// ErrNoRefreshToken.
func (c *Client) ForceRefresh(ctx context.Context, t Tokens) (Tokens, error) {
	if t.RefreshToken == "" {
		return t, ErrNoRefreshToken
	}
	fresh, _, err := c.refresh(ctx, t, true)
	return fresh, err
}

func (c *Client) refresh(ctx context.Context, t Tokens, force bool) (fresh Tokens, refreshed bool, err error) {
	d, err := c.current()
	if err != nil {
		return t, false, err
	}
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
	}
	// TokenSource returns old as it is while it is valid (x/oauth2 treats a
	// token as expired 10 s early) and calls the token endpoint otherwise.
	next, err := d.oauth2.TokenSource(c.withHTTPClient(ctx), old).Token()
	if err != nil {
		var retrieve *oauth2.RetrieveError
		if errors.As(err, &retrieve) && retrieve.ErrorCode == "invalid_grant" {
			return t, false, ErrSessionEnded
		}
		return t, false, providerError("token refresh", err)
	}
	if next.AccessToken == t.AccessToken {
		return t, false, nil
	}

	fresh = Tokens{
		AccessToken:  next.AccessToken,
		RefreshToken: next.RefreshToken, // x/oauth2 keeps the old one if none came back
		TokenType:    next.Type(),
		IDToken:      t.IDToken,
		AccessExpiry: next.Expiry,
		IDExpiry:     t.IDExpiry,
	}
	// A refresh response may carry a new ID token (Core 12.2). If it does,
	// it gets the same checks, and must be about the same user.
	if rawIDToken, ok := next.Extra("id_token").(string); ok && rawIDToken != "" {
		idToken, err := c.verifyIDToken(ctx, d, rawIDToken, nil)
		if err != nil {
			return t, false, &LoginError{Status: http.StatusBadGateway, Reason: fmt.Sprintf("refreshed id token rejected: %v", err)}
		}
		if previous, err := DecodeJWT(t.IDToken); err == nil && previous.Subject() != idToken.Subject {
			return t, false, &LoginError{Status: http.StatusBadGateway, Reason: "refreshed id token is about another user"}
		}
		fresh.IDToken, fresh.IDExpiry = rawIDToken, idToken.Expiry
	}
	return fresh, true, nil
}

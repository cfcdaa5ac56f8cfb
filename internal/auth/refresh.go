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
	}
	// TokenSource returns old as it is while it is valid (x/oauth2 treats a
	// token as expired 10 s early) and calls the token endpoint otherwise.
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
	}
	// A refresh response may carry a new ID token (Core 12.2). If it does,
	// it gets the same checks and must be about the same user; if it is
	// not, the session cannot go on as this user.
	if rawIDToken, _ := next.Extra("id_token").(string); rawIDToken != "" {
		idToken, err := c.verifyIDToken(c.withHTTPClient(ctx), d, rawIDToken)
		if err != nil {
			return l, false, fmt.Errorf("%w: refreshed id token rejected: %v", ErrSessionEnded, err)
		}
		if idToken.Subject != l.Claims.Subject {
			return l, false, fmt.Errorf("%w: refreshed id token is about another user", ErrSessionEnded)
		}
		claims, err := readClaims(idToken, next.AccessToken)
		if err != nil {
			return l, false, fmt.Errorf("%w: reading refreshed id token claims: %v", ErrSessionEnded, err)
		}
		if claims.SessionID == "" {
			claims.SessionID = l.Claims.SessionID // the same provider session
		}
		fresh.Claims = claims
		fresh.Tokens.IDToken, fresh.Tokens.IDExpiry = rawIDToken, idToken.Expiry
	} else {
		// Roles follow the new access token even without a new ID token
		// (an opaque one has nothing newer to say: the old roles stay).
		fresh.Claims.RealmRoles, fresh.Claims.ClientRoles = rolesFrom(next.AccessToken, l.Claims.RealmRoles)
	}
	return fresh, true, nil
}

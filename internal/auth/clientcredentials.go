package auth

import (
	"context"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ServiceClient is a second, separate registration of this app at the
// provider, for calls the app makes as itself rather than for a user: the
// client credentials grant (RFC 6749 section 4.4). It is a separate client so
// that the login client cannot get tokens without a user, and the service
// account's roles are its own (the demo realm gives it no admin role).
type ServiceClient struct {
	ID     string // OIDC_SERVICE_CLIENT_ID
	Secret string // OIDC_SERVICE_CLIENT_SECRET
}

// Enabled reports whether a service client is configured.
func (s ServiceClient) Enabled() bool { return s.ID != "" && s.Secret != "" }

// ServiceToken is the token endpoint's answer to a client credentials grant.
// There is no user, so there is no ID token, and no refresh token either: the
// client can simply ask again (RFC 6749 4.4.3: a refresh token SHOULD NOT be
// included).
type ServiceToken struct {
	AccessToken     string
	TokenType       string
	Expiry          time.Time
	Scope           string // as granted, "" if the provider did not say
	HasRefreshToken bool
	HasIDToken      bool
}

// ClientCredentials gets an access token for svc itself: a POST to the token
// endpoint with grant_type=client_credentials and the client's id and secret
// (HTTP Basic), no browser, no user. Errors wrap ErrRejected or ErrProvider (safe to log).
func (c *Client) ClientCredentials(ctx context.Context, svc ServiceClient) (ServiceToken, error) {
	d, err := c.current()
	if err != nil {
		return ServiceToken{}, err
	}
	cfg := clientcredentials.Config{
		ClientID:     svc.ID,
		ClientSecret: svc.Secret,
		TokenURL:     d.provider.Endpoint().TokenURL,
		AuthStyle:    oauth2.AuthStyleInHeader, // client_secret_basic, as for the login client
	}
	token, err := cfg.Token(c.withHTTPClient(ctx))
	if err != nil {
		return ServiceToken{}, providerError("client credentials grant", err)
	}
	scope, _ := token.Extra("scope").(string)
	idToken, _ := token.Extra("id_token").(string)
	return ServiceToken{
		AccessToken:     token.AccessToken,
		TokenType:       token.Type(),
		Expiry:          token.Expiry,
		Scope:           scope,
		HasRefreshToken: token.RefreshToken != "",
		HasIDToken:      idToken != "",
	}, nil
}

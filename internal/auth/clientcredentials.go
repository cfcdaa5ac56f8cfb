package auth

import (
	"context"
	"sync"
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

// ServiceTokens gets client credentials tokens for one service client, and
// reuses each until it expires: one token request per token lifetime, not
// one per API call (RFC 6749 4.4.3: there is no refresh token; the client
// simply asks again).
type ServiceTokens struct {
	client *Client
	svc    ServiceClient
	mu     sync.Mutex
	token  *oauth2.Token // the last token; nil before the first
}

// ServiceTokens returns the token source of svc.
func (c *Client) ServiceTokens(svc ServiceClient) *ServiceTokens {
	return &ServiceTokens{client: c, svc: svc}
}

// Token returns a valid access token for the service client: the cached one,
// or a new one from the token endpoint (grant_type=client_credentials, the
// client's id and secret in HTTP Basic, no browser, no user). Errors wrap
// ErrRejected, ErrProvider or ErrNotReady.
func (s *ServiceTokens) Token(ctx context.Context) (ServiceToken, error) {
	d, err := s.client.current()
	if err != nil {
		return ServiceToken{}, err
	}
	// Held while fetching: concurrent callers wait for one request.
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.token.Valid() { // x/oauth2: false for nil, and 10 s before expiry
		cfg := clientcredentials.Config{
			ClientID:     s.svc.ID,
			ClientSecret: s.svc.Secret,
			TokenURL:     d.provider.Endpoint().TokenURL,
			AuthStyle:    oauth2.AuthStyleInHeader, // client_secret_basic, as for the login client
		}
		token, err := cfg.Token(s.client.withHTTPClient(ctx))
		if err != nil {
			return ServiceToken{}, providerError("client credentials grant", err)
		}
		s.token = token
	}
	scope, _ := s.token.Extra("scope").(string)
	idToken, _ := s.token.Extra("id_token").(string)
	return ServiceToken{
		AccessToken:     s.token.AccessToken,
		TokenType:       s.token.Type(),
		Expiry:          s.token.Expiry,
		Scope:           scope,
		HasRefreshToken: s.token.RefreshToken != "",
		HasIDToken:      idToken != "",
	}, nil
}

package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// This file is the login, in the order it happens:
//
//	StartLogin     the authorization request (the browser goes to the provider;
//	               pushed first on the back channel with PAR: par.go)
//	CheckIssuer    the callback came from our provider (RFC 9207)
//	CompleteLogin  code exchange, ID token checks, userinfo
//
// Each check says which section of which specification asks for it.

// AuthRequest is one login attempt: where to send the browser, and the values
// the app must keep (server-side) until the browser comes back.
type AuthRequest struct {
	URL string
	// State binds the callback to this browser session (RFC 6749 section
	// 10.12, login CSRF): the callback is accepted only with a state we issued.
	State string
	// Nonce binds the ID token to this login (OpenID Connect Core 3.1.2.1
	// and 3.1.3.7 step 11): the ID token must carry it back.
	Nonce string
	// Verifier is the PKCE code_verifier (RFC 7636): only its S256 hash goes
	// to the browser; the token endpoint redeems the code only with the
	// verifier itself, so a code works only for the login that asked for it.
	Verifier string
}

// StartLogin builds a fresh authorization request (RFC 6749 section 4.1.1,
// OpenID Connect Core 3.1.2.1): response_type=code, client_id, redirect_uri,
// scope, and three fresh random values: state, nonce and the PKCE challenge
// (RFC 7636 4.2, method S256). ctx carries the pushed authorization
// request, when there is one. Errors wrap ErrNotReady or ErrProvider.
//
// extraScopes are asked for beside the configured scopes: incremental
// consent (scope.go). The caller passes values from its own allow-list,
// and the same ones again to CompleteLogin.
func (c *Client) StartLogin(ctx context.Context, extraScopes ...string) (AuthRequest, error) {
	d, err := c.current()
	if err != nil {
		return AuthRequest{}, err
	}
	req := AuthRequest{
		State:    randomValue(),
		Nonce:    randomValue(),
		Verifier: oauth2.GenerateVerifier(),
	}
	req.URL = d.oauth2.AuthCodeURL(req.State,
		oidc.Nonce(req.Nonce),
		oauth2.S256ChallengeOption(req.Verifier),
		oauth2.SetAuthURLParam("scope", c.requestedScope(extraScopes)))

	// Pushed (RFC 9126, par.go) when OIDC_PAR is on or the provider
	// requires it (require_pushed_authorization_requests): the request
	// goes to the provider on the back channel, and the browser only
	// carries a reference to it.
	if c.settings.PAR || d.requirePAR {
		if req.URL, err = c.pushAuthorizationRequest(c.withHTTPClient(ctx), d, req.URL); err != nil {
			return AuthRequest{}, err
		}
	}
	return req, nil
}

// CheckIssuer checks the iss parameter of the callback (RFC 9207 section
// 2.4), before the code is used: it says which provider sent the browser
// back, so a code from another provider (mix-up attack) is refused. When the
// provider advertises authorization_response_iss_parameter_supported, iss
// must be there; when it is there, it must be our issuer.
func (c *Client) CheckIssuer(iss string) error {
	d, err := c.current()
	if err != nil {
		return err
	}
	if iss == "" && d.issParameterSupported {
		return rejected("callback without iss, though the provider always sends it (RFC 9207)")
	}
	if iss != "" && iss != c.settings.Issuer {
		return rejected("callback iss is not our issuer (RFC 9207 mix-up defence)")
	}
	return nil
}

// Login is the outcome of a completed login: the verified identity, the
// tokens and the userinfo response.
type Login struct {
	Claims   Claims
	Tokens   Tokens
	UserInfo []byte // the userinfo response as JSON, fetched once at login
	// Checked names the checks the current ID token passed, in order
	// (checks.go): what the flow inspector may report, and nothing else.
	Checked []string
}

// CompleteLogin trades the authorization code for tokens and checks them.
// verifier and nonce are the values StartLogin made for this login's state,
// extraScopes the ones it was given. Errors wrap ErrRejected, ErrProvider
// or ErrNotReady.
func (c *Client) CompleteLogin(ctx context.Context, code, verifier, nonce string, extraScopes ...string) (Login, error) {
	d, err := c.current()
	if err != nil {
		return Login{}, err
	}
	ctx = c.withHTTPClient(ctx)

	// 1. Exchange the code (RFC 6749 4.1.3) on the back channel. The client
	// authenticates (with its secret in HTTP Basic, RFC 6749 2.3.1, or
	// with private_key_jwt: clientauth.go) and sends the PKCE
	// code_verifier (RFC 7636 4.5): the provider redeems the code only if
	// the verifier's hash is the challenge this login sent, so a code
	// injected from another login fails here (RFC 9700 section 4.5).
	token, err := d.oauth2.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Login{}, providerError("token exchange", err)
	}

	// 2. An OpenID Connect token response carries an ID token
	// (OpenID Connect Core 3.1.3.3).
	rawIDToken, err := idTokenOf(token)
	if err != nil {
		return Login{}, err
	}

	// 3 to 5. Check the ID token: its validation (Core 3.1.3.7), the
	// nonce and at_hash (checkIDToken, below).
	idToken, claims, checked, err := c.checkIDToken(ctx, d, rawIDToken, nonce, token.AccessToken)
	if err != nil {
		return Login{}, err
	}

	// 6. Userinfo, once, with the new access token (Core 5.3); its sub
	// must be the ID token's (Core 5.3.2).
	userInfo, err := c.fetchUserInfo(ctx, d, token, claims.Subject)
	if err != nil {
		return Login{}, err
	}

	return Login{
		Claims:   claims,
		Tokens:   tokensFrom(token, rawIDToken, idToken.Expiry, c.requestedScope(extraScopes)),
		UserInfo: userInfo,
		Checked:  checked,
	}, nil
}

// idTokenOf returns the ID token of a token response (Core 3.1.3.3).
func idTokenOf(token *oauth2.Token) (string, error) {
	rawIDToken, _ := token.Extra("id_token").(string)
	if rawIDToken == "" {
		return "", rejected("token response has no id_token (is the openid scope requested?)")
	}
	return rawIDToken, nil
}

// checkIDToken is steps 3 to 5 of a login: it checks the ID token of a
// token response, with nonce the value this login sent and accessToken the
// one of the same response, and names the checks it passed.
func (c *Client) checkIDToken(ctx context.Context, d *discovered, rawIDToken, nonce, accessToken string) (*oidc.IDToken, Claims, []string, error) {
	// 3. Validate the ID token (Core 3.1.3.7): signature, iss, aud, exp,
	// sub, iat, azp.
	idToken, claims, checked, err := c.verifyIDToken(ctx, d, rawIDToken)
	if err != nil {
		return nil, Claims{}, nil, rejected("id token rejected: %v", err)
	}

	// 4. The nonce must be the one this login sent (Core 3.1.3.7 step 11).
	// The ID token came straight from the token endpoint (step 6) and its
	// signature was checked, so nobody changed it on the way; what this
	// stops is a code from another login (injected into this browser's
	// callback): its ID token carries that login's nonce (RFC 9700
	// section 4.5.3.2).
	if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(nonce)) != 1 {
		return nil, Claims{}, nil, rejected("id token nonce does not match this login")
	}
	checked = append(checked, CheckNonce)

	// 5. at_hash is OPTIONAL in the code flow, and the client MAY check it
	// (Core 3.1.3.6 and 3.1.3.8): when present, the access token of the
	// same response must hash to it.
	if idToken.AccessTokenHash != "" {
		if err := idToken.VerifyAccessToken(accessToken); err != nil {
			return nil, Claims{}, nil, rejected("access token does not match at_hash")
		}
		checked = append(checked, CheckAtHash)
	}
	return idToken, claims, checked, nil
}

// CheckIDToken checks an ID token exactly as a login does (checkIDToken)
// and names the checks it passed, or says which one refused it (an error
// wrapping ErrRejected). The attack lab (/lab) and the login in slow
// motion (/slow) use it to show which check refuses a changed token.
func (c *Client) CheckIDToken(ctx context.Context, rawIDToken, nonce, accessToken string) ([]string, error) {
	d, err := c.current()
	if err != nil {
		return nil, err
	}
	_, _, checked, err := c.checkIDToken(c.withHTTPClient(ctx), d, rawIDToken, nonce, accessToken)
	return checked, err
}

// verifyIDToken validates an ID token (OpenID Connect Core 3.1.3.7), reads
// the user's claims from it and names the checks it passed. go-oidc checks
// the signature against the provider's JWKS with only the algorithms the
// provider advertises (never "none": steps 6 and 7), iss (step 2), aud
// (step 3) and exp (step 9); the rest are ours.
func (c *Client) verifyIDToken(ctx context.Context, d *discovered, raw string) (*oidc.IDToken, Claims, []string, error) {
	idToken, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, Claims{}, nil, err
	}
	checked := []string{CheckSignature, CheckIssuer, CheckAudience, CheckExpiry}
	// Core 2: sub and iat are REQUIRED claims.
	if idToken.Subject == "" {
		return nil, Claims{}, nil, errors.New("sub claim missing")
	}
	checked = append(checked, CheckSubject)
	if idToken.IssuedAt.IsZero() {
		return nil, Claims{}, nil, errors.New("iat claim missing")
	}
	checked = append(checked, CheckIssuedAt)
	var read struct {
		identityClaims
		AuthorizedParty string `json:"azp"`
	}
	if err := idToken.Claims(&read); err != nil {
		return nil, Claims{}, nil, err
	}
	// Core 3.1.3.7 step 3 refuses audiences the client does not trust;
	// with several, this app requires azp to name it, and an azp always
	// must (stricter than errata set 2's steps 4 and 5: checks.go).
	if len(idToken.Audience) > 1 && read.AuthorizedParty == "" {
		return nil, Claims{}, nil, errors.New("several audiences but no azp claim")
	}
	if read.AuthorizedParty != "" && read.AuthorizedParty != c.settings.ClientID {
		return nil, Claims{}, nil, fmt.Errorf("azp is %q, not this client", read.AuthorizedParty)
	}
	if read.AuthorizedParty != "" || len(idToken.Audience) > 1 {
		checked = append(checked, CheckAZP)
	}
	return idToken, claimsFrom(idToken.Subject, c.settings.ClientID, read.identityClaims), checked, nil
}

// fetchUserInfo calls the userinfo endpoint with the access token. Its sub
// must be the ID token's sub (Core 5.3.2): the response may otherwise be
// about someone else (token substitution, Core 16.11), and is not used.
func (c *Client) fetchUserInfo(ctx context.Context, d *discovered, token *oauth2.Token, wantSubject string) ([]byte, error) {
	if d.provider.UserInfoEndpoint() == "" {
		return nil, nil // the provider has none (it is optional)
	}
	info, err := d.provider.UserInfo(ctx, oauth2.StaticTokenSource(token))
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo request failed: %v", ErrProvider, err)
	}
	if info.Subject != wantSubject {
		return nil, rejected("userinfo sub does not match the id token's sub")
	}
	var raw json.RawMessage // kept as it came: /profile shows it
	if err := info.Claims(&raw); err != nil {
		return nil, rejected("userinfo response is not JSON")
	}
	return raw, nil
}

// tokensFrom keeps what the token endpoint returned, and the scope it
// granted for the scope requested (scope.go).
func tokensFrom(token *oauth2.Token, rawIDToken string, idExpiry time.Time, requested string) Tokens {
	return Tokens{
		AccessToken:  token.AccessToken,
		RefreshToken: token.RefreshToken,
		TokenType:    token.Type(),
		IDToken:      rawIDToken,
		AccessExpiry: token.Expiry,
		IDExpiry:     idExpiry,
		Scope:        grantedScope(token, requested),
	}
}

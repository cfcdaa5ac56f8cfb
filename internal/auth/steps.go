package auth

import (
	"context"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// This file is for the login in slow motion (/slow, handlers/slow.go)
// only: a teaching page that stops before every hop of a login and lets
// the learner change some values, to see the provider or this app refuse
// them. The ordinary login (login.go) never calls these functions. Each
// one is a step of login.go taken alone, with the same parts (the same
// oauth2 configuration, the same HTTP client and so the same client
// authentication, DPoP included), so that what the page shows is what a
// login really sends; only the values the learner may change are given
// explicitly. The checks stay in login.go (CheckIssuer, CheckIDToken).

// AuthParams are the values of one authorization request that the slow
// page shows, and the ones it lets the learner change.
type AuthParams struct {
	RedirectURI   string
	Scope         string // space-separated
	State         string
	Nonce         string
	CodeChallenge string // S256 of Verifier, unless the learner changed it
	// Verifier is the PKCE code_verifier: it never goes in the
	// authorization request, only in the token request.
	Verifier string
}

// NewAuthParams makes a fresh state, nonce and PKCE verifier, as
// StartLogin does, for an authorization request that comes back to
// redirectURI with the scopes the app asks for.
func (c *Client) NewAuthParams(redirectURI string) AuthParams {
	p := AuthParams{
		RedirectURI: redirectURI,
		Scope:       strings.Join(c.settings.Scopes, " "),
		State:       randomValue(),
		Nonce:       randomValue(),
		Verifier:    oauth2.GenerateVerifier(),
	}
	p.CodeChallenge = oauth2.S256ChallengeFromVerifier(p.Verifier)
	return p
}

// AuthorizationURL is the authorization request of StartLogin (RFC 6749
// section 4.1.1, OpenID Connect Core 3.1.2.1) with the values of p in
// place of the app's, and code_challenge_method S256, as the browser would
// carry it. The provider, not this function, judges the values: a
// redirect_uri it does not know for this client is refused on its own
// error page (RFC 6749 section 4.1.2.1).
func (c *Client) AuthorizationURL(p AuthParams) (string, error) {
	d, err := c.current()
	if err != nil {
		return "", err
	}
	return d.oauth2.AuthCodeURL(p.State,
		oauth2.SetAuthURLParam("redirect_uri", p.RedirectURI),
		oauth2.SetAuthURLParam("scope", p.Scope),
		oidc.Nonce(p.Nonce),
		oauth2.SetAuthURLParam("code_challenge", p.CodeChallenge),
		oauth2.SetAuthURLParam("code_challenge_method", "S256")), nil
}

// Push is what StartLogin does with an authorization request when the app
// pushes its requests (RFC 9126: OIDC_PAR, or the provider requires it):
// it pushes authURL's request on the back channel and returns the URL that
// carries only its reference. Otherwise it returns authURL as it is.
func (c *Client) Push(ctx context.Context, authURL string) (string, error) {
	d, err := c.current()
	if err != nil {
		return "", err
	}
	if !c.settings.PAR && !d.requirePAR {
		return authURL, nil
	}
	return c.pushAuthorizationRequest(c.withHTTPClient(ctx), d, authURL)
}

// TokenResponse is what the token endpoint answered, as far as the next
// steps need it.
type TokenResponse struct {
	AccessToken string
	TokenType   string // Bearer, or DPoP for a DPoP-bound token
	IDToken     string
}

// ExchangeCode is steps 1 and 2 of CompleteLogin with the redirect_uri
// given, not the app's /callback: the code exchange (RFC 6749 4.1.3, PKCE
// code_verifier: RFC 7636 4.5), authenticated exactly as a login's, and
// the ID token's presence (OpenID Connect Core 3.1.3.3). redirect_uri must
// be the one of the authorization request (RFC 6749 4.1.3), so the slow
// page, whose callback is its own, sends its own. Errors wrap ErrRejected
// (the provider refused: an invalid, reused or injected code, a wrong
// verifier), ErrProvider or ErrNotReady.
func (c *Client) ExchangeCode(ctx context.Context, code, verifier, redirectURI string) (TokenResponse, error) {
	d, err := c.current()
	if err != nil {
		return TokenResponse{}, err
	}
	token, err := d.oauth2.Exchange(c.withHTTPClient(ctx), code,
		oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("redirect_uri", redirectURI))
	if err != nil {
		return TokenResponse{}, providerError("token exchange", err)
	}
	rawIDToken, err := idTokenOf(token)
	if err != nil {
		return TokenResponse{}, err
	}
	return TokenResponse{AccessToken: token.AccessToken, TokenType: token.Type(), IDToken: rawIDToken}, nil
}

// FetchUserInfo is step 6 of CompleteLogin (fetchUserInfo): the userinfo
// request with the access token of a token response, whose sub must be
// idTokenSubject (OpenID Connect Core 5.3.2). It returns the response as
// it came, nil when the provider has no userinfo endpoint.
func (c *Client) FetchUserInfo(ctx context.Context, t TokenResponse, idTokenSubject string) ([]byte, error) {
	d, err := c.current()
	if err != nil {
		return nil, err
	}
	token := &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType}
	return c.fetchUserInfo(c.withHTTPClient(ctx), d, token, idTokenSubject)
}

// Endpoints are the provider's endpoints a login uses, from discovery.
type Endpoints struct {
	Authorization, Token, UserInfo string
	PushedAuthorization            string // "" unless the app pushes its requests (RFC 9126)
}

// Endpoints returns them; an error wraps ErrNotReady.
func (c *Client) Endpoints() (Endpoints, error) {
	d, err := c.current()
	if err != nil {
		return Endpoints{}, err
	}
	e := Endpoints{Authorization: d.provider.Endpoint().AuthURL, Token: d.provider.Endpoint().TokenURL,
		UserInfo: d.provider.UserInfoEndpoint()}
	if c.settings.PAR || d.requirePAR {
		e.PushedAuthorization = d.parURL
	}
	return e, nil
}

// RedirectURL is the app's redirect_uri (BASE_URL + "/callback").
func (c *Client) RedirectURL() string { return c.settings.RedirectURL }

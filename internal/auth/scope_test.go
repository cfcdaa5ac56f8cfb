package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// scopeLogin logs in through the provider's authorization endpoint with
// the extra scopes given, as the app does.
func scopeLogin(t *testing.T, p *testprovider.Provider, c *auth.Client, extra ...string) auth.Login {
	t.Helper()
	ctx := context.Background()
	req, err := c.StartLogin(ctx, extra...)
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		t.Fatalf("the provider did not send a code back: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	login, err := c.CompleteLogin(ctx, back.Query().Get("code"), req.Verifier, req.Nonce, extra...)
	if err != nil {
		t.Fatal(err)
	}
	return login
}

// accessTokenScope is what the access token itself says: for the test's
// eyes only (the app never reads it).
func accessTokenScope(t *testing.T, token string) string {
	t.Helper()
	jwt, err := display.DecodeJWT(token)
	if err != nil {
		t.Fatal(err)
	}
	return jwt.Claim("scope")
}

func TestLoginAsksForExtraScopesAndKeepsWhatWasGranted(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p) // OIDC scopes: openid profile
	if err := c.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}

	// An ordinary login asks for the configured scopes; the provider adds
	// the client's default scope demo-api.read and says so.
	login := scopeLogin(t, p, c)
	if got := p.LastAuthRequest().Scope; got != "openid profile" {
		t.Errorf("scope requested %q, want openid profile", got)
	}
	if got := login.Tokens.Scope; got != "openid profile email demo-api.read" {
		t.Errorf("granted scope %q, want the token response's", got)
	}
	if !login.Tokens.Granted("demo-api.read") || login.Tokens.Granted("demo-api.write") || login.Tokens.Granted("demo-api") {
		t.Errorf("Granted is wrong for %q", login.Tokens.Scope)
	}

	// Incremental consent: the same scopes plus the extra one, once.
	login = scopeLogin(t, p, c, "demo-api.write", "profile")
	if got := p.LastAuthRequest().Scope; got != "openid profile demo-api.write" {
		t.Errorf("scope requested %q, want openid profile demo-api.write", got)
	}
	if !login.Tokens.Granted("demo-api.write") {
		t.Errorf("granted scope %q lacks demo-api.write", login.Tokens.Scope)
	}

	// A refresh whose response names the scope: the app takes it, also
	// when it is less than before (the provider no longer grants write).
	p.SetClientScopes(testprovider.ClientScopes{Default: []string{"profile", "email", "demo-api.read"}})
	fresh, err := c.ForceRefresh(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Tokens.Granted("demo-api.write") || !fresh.Tokens.Granted("demo-api.read") {
		t.Errorf("after a refresh that dropped demo-api.write, granted %q", fresh.Tokens.Scope)
	}
}

// RFC 6749 section 5.1: without a scope parameter, the scope granted is
// the one requested, and a refresh keeps the scope granted before (section
// 6). The access token's own scope claim, which says more here, is never
// read (RFC 9068 section 6).
func TestGrantedScopeWithoutAScopeParameter(t *testing.T) {
	p := newProvider(t)
	p.SetOmitResponseScope(true)
	c := newClient(t, p)
	if err := c.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	login := scopeLogin(t, p, c, "demo-api.write")
	if got := login.Tokens.Scope; got != "openid profile demo-api.write" {
		t.Errorf("granted scope %q, want the scope requested", got)
	}
	if claim := accessTokenScope(t, login.Tokens.AccessToken); claim == login.Tokens.Scope {
		t.Fatalf("the test needs an access token whose scope claim (%q) differs from the scope requested", claim)
	}
	fresh, err := c.ForceRefresh(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Tokens.Scope != login.Tokens.Scope {
		t.Errorf("after a refresh without scope: %q, want %q (as granted before)", fresh.Tokens.Scope, login.Tokens.Scope)
	}
}

package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

func newClient(t *testing.T, p *testprovider.Provider) *auth.Client {
	t.Helper()
	return auth.New(auth.Settings{
		Issuer:        p.Issuer(),
		DiscoveryURL:  p.Issuer(),
		ClientID:      p.ClientID,
		ClientSecret:  p.ClientSecret,
		Scopes:        []string{"openid", "profile"},
		RedirectURL:   "http://app.example/callback",
		PostLogoutURL: "http://app.example/",
	}, &http.Client{Timeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
}

func newProvider(t *testing.T) *testprovider.Provider {
	p := testprovider.New()
	t.Cleanup(p.Close)
	return p
}

// Until discovery succeeds every operation says ErrNotReady (the handlers
// answer 503) instead of failing in some other way.
func TestNotReadyBeforeDiscovery(t *testing.T) {
	p := newProvider(t)
	p.SetDown(true)
	c := newClient(t, p)
	ctx := context.Background()

	if err := c.Discover(ctx); err == nil {
		t.Fatal("discovery succeeded against a provider that is down")
	}
	if c.Ready() {
		t.Fatal("Ready() before discovery succeeded")
	}
	if _, err := c.StartLogin(context.Background()); !errors.Is(err, auth.ErrNotReady) {
		t.Errorf("StartLogin: %v, want ErrNotReady", err)
	}
	if _, err := c.CompleteLogin(ctx, "code", "verifier", "nonce"); !errors.Is(err, auth.ErrNotReady) {
		t.Errorf("CompleteLogin: %v, want ErrNotReady", err)
	}
	if err := c.CheckIssuer("x"); !errors.Is(err, auth.ErrNotReady) {
		t.Errorf("CheckIssuer: %v, want ErrNotReady", err)
	}
	if err := c.RevokeRefreshToken(ctx, "r"); !errors.Is(err, auth.ErrNotReady) {
		t.Errorf("RevokeRefreshToken: %v, want ErrNotReady", err)
	}
	if _, _, err := c.Fresh(ctx, auth.Login{Tokens: auth.Tokens{AccessToken: "a"}}); !errors.Is(err, auth.ErrNotReady) {
		t.Errorf("Fresh: %v, want ErrNotReady", err)
	}
	if _, err := c.VerifyLogoutToken(ctx, "x.y.z"); !errors.Is(err, auth.ErrNotReady) {
		t.Errorf("VerifyLogoutToken: %v, want ErrNotReady", err)
	}
	if u, ok := c.EndSessionURL("hint", "state"); ok || u != "" {
		t.Errorf("EndSessionURL = %q, %v; want nothing", u, ok)
	}

	p.SetDown(false)
	if err := c.Discover(ctx); err != nil || !c.Ready() {
		t.Fatalf("discovery after the provider came up: %v, ready %v", err, c.Ready())
	}
}

func TestStartLogin(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	if err := c.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	req, err := c.StartLogin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(req.URL)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != p.Issuer()+"/authorize" {
		t.Fatalf("URL %q, want the provider's authorization endpoint", req.URL)
	}
	q := u.Query()
	for param, want := range map[string]string{
		"response_type":         "code",
		"client_id":             p.ClientID,
		"redirect_uri":          "http://app.example/callback",
		"scope":                 "openid profile",
		"state":                 req.State,
		"nonce":                 req.Nonce,
		"code_challenge":        oauth2.S256ChallengeFromVerifier(req.Verifier),
		"code_challenge_method": "S256",
	} {
		if got := q.Get(param); got != want {
			t.Errorf("%s = %q, want %q", param, got, want)
		}
	}
	if q.Has("code_verifier") || strings.Contains(req.URL, req.Verifier) {
		t.Error("the code_verifier travels in the authorization URL")
	}
	if q.Has("client_secret") || strings.Contains(req.URL, p.ClientSecret) {
		t.Error("the client secret travels in the authorization URL")
	}

	again, _ := c.StartLogin(context.Background())
	if again.State == req.State || again.Nonce == req.Nonce || again.Verifier == req.Verifier {
		t.Error("two logins share a state, nonce or verifier")
	}
}

func TestEndSessionURL(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	if err := c.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	state := auth.NewLogoutState()
	if len(state) < 43 || state == auth.NewLogoutState() {
		t.Errorf("NewLogoutState() = %q: want 256 random bits", state)
	}

	raw, ok := c.EndSessionURL("the-id-token", state)
	if !ok {
		t.Fatal("no end-session URL although the provider has an end_session_endpoint")
	}
	u, _ := url.Parse(raw)
	if u.Scheme+"://"+u.Host+u.Path != p.Issuer()+"/logout" {
		t.Errorf("URL %q, want the provider's end_session_endpoint", raw)
	}
	q := u.Query()
	for param, want := range map[string]string{
		"id_token_hint":            "the-id-token",
		"post_logout_redirect_uri": "http://app.example/",
		"state":                    state,
		"client_id":                p.ClientID,
	} {
		if got := q.Get(param); got != want {
			t.Errorf("%s = %q, want %q", param, got, want)
		}
	}

	// Without an ID token (it is optional) the hint is left out, not empty.
	raw, _ = c.EndSessionURL("", state)
	if u, _ := url.Parse(raw); u.Query().Has("id_token_hint") {
		t.Errorf("URL %q has an empty id_token_hint", raw)
	}
}

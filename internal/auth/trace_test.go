package auth_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/testprovider"
)

// login runs StartLogin and CompleteLogin against p, with the provider
// issuing the code at once (no browser).
func login(t *testing.T, p *testprovider.Provider, c *auth.Client) (auth.AuthRequest, string, auth.Login, auth.LoginTrace, error) {
	t.Helper()
	req, err := c.StartLogin()
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(req.URL)
	q := u.Query()
	code := p.IssueCode(testprovider.AuthRequest{
		ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"), ResponseType: q.Get("response_type"),
		Scope: q.Get("scope"), State: q.Get("state"), Nonce: q.Get("nonce"),
		CodeChallenge: q.Get("code_challenge"), CodeChallengeMethod: q.Get("code_challenge_method"),
	})
	l, trace, err := c.CompleteLogin(context.Background(), code, req.Verifier, req.Nonce)
	return req, code, l, trace, err
}

// CompleteLogin records steps 3 to 6 as they happened.
func TestCompleteLoginRecordsTheTrace(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	if err := c.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	req, code, l, trace, err := login(t, p, c)
	if err != nil {
		t.Fatal(err)
	}

	q := trace.TokenRequest
	if q.Endpoint != p.Issuer()+"/token" || q.GrantType != "authorization_code" || q.Code != code ||
		q.RedirectURI != "http://app.example/callback" || q.CodeVerifier != req.Verifier ||
		q.ClientID != p.ClientID || q.ClientAuth != "client_secret_basic" || q.SentAt.IsZero() {
		t.Errorf("token request recorded as %+v", q)
	}
	r := trace.TokenResponse
	if !strings.EqualFold(r.TokenType, "bearer") || r.ExpiresIn != "300" || r.Scope != "openid profile email" ||
		!r.AccessToken || !r.IDToken || !r.RefreshToken || r.ReceivedAt.IsZero() {
		t.Errorf("token response recorded as %+v", r)
	}
	i := trace.IDToken
	if i.Algorithm != "RS256" || i.KeyID != p.KeyID() || i.CheckedAt.IsZero() {
		t.Errorf("ID token header recorded as alg %q kid %q (want RS256, %q)", i.Algorithm, i.KeyID, p.KeyID())
	}
	var names []string
	for _, check := range i.Checks {
		names = append(names, check.Name)
		if check.Outcome != auth.CheckPassed {
			t.Errorf("check %s: %s, want passed", check.Name, check.Outcome)
		}
		if check.Value == "" || check.Expected == "" {
			t.Errorf("check %s records no value or no expectation: %+v", check.Name, check)
		}
	}
	if got := strings.Join(names, ","); got != "signature,iss,aud,exp,sub,iat,azp,nonce,at_hash" {
		t.Errorf("checks recorded: %s", got)
	}
	nonce := i.Checks[slices.IndexFunc(i.Checks, func(c auth.Check) bool { return c.Name == "nonce" })]
	if nonce.Value != req.Nonce {
		t.Errorf("nonce check value %q, want %q", nonce.Value, req.Nonce)
	}
	if u := trace.UserInfo; u.Endpoint != p.Issuer()+"/userinfo" || u.Subject != l.Claims.Subject || !u.SubjectMatches {
		t.Errorf("userinfo recorded as %+v", u)
	}
	// Steps 1 and 2 are the caller's: it kept them.
	if trace.Authorization.URL != "" || trace.Callback.Code != "" {
		t.Errorf("CompleteLogin filled steps 1 and 2: %+v %+v", trace.Authorization, trace.Callback)
	}
}

// Nothing the trace records, in any field, is or contains the client
// secret, in any form it travels in (as is, URL-encoded, HTTP Basic).
func TestTraceNeverHoldsTheClientSecret(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	if err := c.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, _, _, trace, err := login(t, p, c)
	if err != nil {
		t.Fatal(err)
	}
	basic := url.QueryEscape(p.ClientID) + ":" + url.QueryEscape(p.ClientSecret)
	forms := []string{p.ClientSecret, url.QueryEscape(p.ClientSecret), base64.StdEncoding.EncodeToString([]byte(basic))}

	strs := 0
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			strs++
			for _, secret := range forms {
				if strings.Contains(v.String(), secret) {
					t.Errorf("%s = %q holds the client secret", path, v.String())
				}
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(path+"[]", v.Index(i))
			}
		}
	}
	walk("LoginTrace", reflect.ValueOf(trace))
	if strs < 20 {
		t.Errorf("walked only %d strings: is the trace filled?", strs)
	}
}

// A login that fails a check returns no trace.
func TestFailedLoginHasNoTrace(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	if err := c.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.TamperIDToken(func(claims map[string]any) { claims["nonce"] = "another-login" })
	_, _, _, trace, err := login(t, p, c)
	if err == nil {
		t.Fatal("a wrong nonce was accepted")
	}
	if !reflect.DeepEqual(trace, auth.LoginTrace{}) {
		t.Errorf("a failed login returned a trace: %+v", trace)
	}
}

// ForceRefresh calls the token endpoint even while the access token is
// valid, where Fresh does not; both share the same code (and checks).
func TestForceRefreshRefreshesValidTokens(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	ctx := context.Background()
	if err := c.Discover(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, l, _, err := login(t, p, c)
	if err != nil {
		t.Fatal(err)
	}
	before := p.TokenRequests.Load()
	if _, refreshed, err := c.Fresh(ctx, l.Tokens); err != nil || refreshed {
		t.Fatalf("Fresh with valid tokens: refreshed %v, %v", refreshed, err)
	}
	if p.TokenRequests.Load() != before {
		t.Fatal("Fresh called the token endpoint for valid tokens")
	}
	fresh, err := c.ForceRefresh(ctx, l.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	if p.TokenRequests.Load() != before+1 {
		t.Errorf("ForceRefresh made %d token requests, want 1", p.TokenRequests.Load()-before)
	}
	if fresh.AccessToken == l.Tokens.AccessToken || fresh.RefreshToken == l.Tokens.RefreshToken || fresh.IDToken == l.Tokens.IDToken {
		t.Error("ForceRefresh returned the old tokens")
	}
	p.EndAllSessions()
	if _, err := c.ForceRefresh(ctx, fresh); err != auth.ErrSessionEnded {
		t.Errorf("ForceRefresh after the provider's session ended: %v, want ErrSessionEnded", err)
	}
}

package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// token_type is case-insensitive (RFC 6749 section 5.1, OpenID Connect Core
// 3.1.3.3). A provider that answers "dpop" binds the token all the same:
// the app takes it and sends a proof with every use. One that answers
// "bearer" (any case) to a request with a proof did not bind it: a
// downgrade, refused (dpop.go, checkBound).

// dpopLogin runs a whole login of a DPoP client against p.
func dpopLogin(t *testing.T, p *testprovider.Provider) (auth.Login, error) {
	t.Helper()
	key, err := auth.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	c := auth.New(auth.Settings{
		Issuer: p.Issuer(), DiscoveryURL: p.Issuer(), ClientID: p.ClientID, ClientSecret: p.ClientSecret,
		Scopes: []string{"openid", "profile"}, RedirectURL: "http://app.example/callback", PostLogoutURL: "http://app.example/",
		DPoPKey: key,
	}, &http.Client{Timeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	if err := c.Discover(ctx); err != nil {
		t.Fatal(err)
	}
	req, err := c.StartLogin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code := p.IssueCode(testprovider.AuthRequest{
		ClientID: p.ClientID, RedirectURI: "http://app.example/callback", State: req.State, Nonce: req.Nonce,
		CodeChallenge: oauth2.S256ChallengeFromVerifier(req.Verifier), CodeChallengeMethod: "S256",
	})
	return c.CompleteLogin(ctx, code, req.Verifier, req.Nonce)
}

func userinfoProofs(p *testprovider.Provider) int {
	n := 0
	for _, proof := range p.DPoPProofs() {
		if proof.Endpoint == p.Issuer()+"/userinfo" {
			n++
		}
	}
	return n
}

func TestDPoPTokenTypeInLowerCaseIsBound(t *testing.T) {
	for _, tokenType := range []string{"DPoP", "dpop", "DPOP"} {
		t.Run(tokenType, func(t *testing.T) {
			p := newProvider(t)
			p.SetTokenType(tokenType)
			login, err := dpopLogin(t, p)
			if err != nil {
				t.Fatalf("token_type %q: the login failed: %v", tokenType, err)
			}
			// The test provider answers userinfo only with the DPoP scheme
			// and a valid proof by the key the token is bound to.
			if n := userinfoProofs(p); n != 1 {
				t.Errorf("token_type %q: %d DPoP proofs at userinfo, want 1", tokenType, n)
			}
			if login.UserInfo == nil {
				t.Errorf("token_type %q: no userinfo", tokenType)
			}
		})
	}
}

func TestDPoPTokenTypeBearerIsADowngrade(t *testing.T) {
	for _, tc := range []struct {
		name, tokenType string
		bound           bool
	}{
		{"Bearer, not bound", "", false},
		{"bearer, not bound", "bearer", false},
		{"BEARER, not bound", "BEARER", false},
		// The token carries cnf.jkt, but the answer says bearer: the
		// client goes by token_type (RFC 9449 section 5) and refuses.
		{"bearer, bound all the same", "bearer", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProvider(t)
			p.SetIgnoreDPoP(!tc.bound)
			p.SetTokenType(tc.tokenType)
			_, err := dpopLogin(t, p)
			if !errors.Is(err, auth.ErrNotBound) || !errors.Is(err, auth.ErrRejected) {
				t.Fatalf("error %v, want ErrNotBound (and ErrRejected: a 400 page, no session)", err)
			}
			if n := p.UserInfoCalls.Load(); n != 0 {
				t.Errorf("the refused token was used at userinfo (%d calls)", n)
			}
		})
	}
}

package lab_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/lab"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// login logs the test provider's user in through a real auth.Client and
// returns the client and the login's nonce and tokens.
func login(t *testing.T) (*testprovider.Provider, *auth.Client, string, auth.Tokens) {
	t.Helper()
	p := testprovider.New()
	t.Cleanup(p.Close)
	c := auth.New(auth.Settings{
		Issuer: p.Issuer(), DiscoveryURL: p.Issuer(), ClientID: p.ClientID, ClientSecret: p.ClientSecret,
		Scopes: []string{"openid", "profile"}, RedirectURL: "http://localhost:1/callback", PostLogoutURL: "http://localhost:1/",
	}, &http.Client{Timeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	if err := c.Discover(ctx); err != nil {
		t.Fatal(err)
	}
	req, err := c.StartLogin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, _ := resp.Location()
	done, err := c.CompleteLogin(ctx, back.Query().Get("code"), req.Verifier, req.Nonce)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return p, c, req.Nonce, done.Tokens
}

// claimsOf decodes a JWT's claims.
func claimsOf(t *testing.T, raw string) map[string]any {
	t.Helper()
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// Editing one's own ID token, whatever the edit, is refused by the
// signature check (go-oidc checks it first, Core 3.1.3.7 steps 6 and 7);
// the unchanged token with its own signature passes every check.
func TestForgedIDTokensAreRefusedByTheSignatureCheck(t *testing.T) {
	_, c, nonce, tokens := login(t)
	l := lab.New(lab.Settings{})
	header, claims, err := lab.SplitJWT(tokens.IDToken)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	same, err := l.Forge(tokens.IDToken, header, claims, lab.KeepSignature)
	if err != nil || same != tokens.IDToken {
		t.Fatalf("the unchanged token put together again differs from the original (%v)", err)
	}
	passed, err := c.CheckIDToken(ctx, same, nonce, tokens.AccessToken)
	if err != nil {
		t.Fatalf("the unchanged token is refused: %v", err)
	}
	if len(passed) < 7 || passed[0] != auth.CheckSignature {
		t.Errorf("the unchanged token passed only %v", passed)
	}

	edit := func(name, value string) string {
		var m map[string]any
		json.Unmarshal([]byte(claims), &m)
		m[name] = json.RawMessage(value)
		out, _ := json.MarshalIndent(m, "", "  ")
		return string(out)
	}
	for _, tc := range []struct {
		name           string
		header, claims string
		sig            lab.Signature
	}{
		{"alg none", header, claims, lab.AlgNone},
		{"signed by the lab's key", header, claims, lab.LabKey},
		{"aud changed, signature kept", header, edit("aud", `"another-client"`), lab.KeepSignature},
		{"exp in the past, signature kept", header, edit("exp", `1000000000`), lab.KeepSignature},
		{"nonce changed, signature kept", header, edit("nonce", `"another-login"`), lab.KeepSignature},
		{"kid changed, signature kept", strings.Replace(header, `"kid"`, `"kid_was"`, 1), claims, lab.KeepSignature},
		{"aud changed, signed by the lab's key", header, edit("aud", `"another-client"`), lab.LabKey},
	} {
		forged, err := l.Forge(tokens.IDToken, tc.header, tc.claims, tc.sig)
		if err != nil {
			t.Errorf("%s: Forge: %v", tc.name, err)
			continue
		}
		if forged == tokens.IDToken {
			t.Errorf("%s: Forge returned the original token", tc.name)
		}
		_, err = c.CheckIDToken(ctx, forged, nonce, tokens.AccessToken)
		if err == nil {
			t.Errorf("%s: CheckIDToken accepted the forged token", tc.name)
			continue
		}
		if got := lab.RefusingCheck(err.Error()); got != auth.CheckSignature {
			t.Errorf("%s: refused by %q (%v), want %q", tc.name, got, err, auth.CheckSignature)
		}
	}

	for _, bad := range []struct{ header, claims string }{{"[1]", claims}, {header, "not json"}, {header, "null"}} {
		if _, err := l.Forge(tokens.IDToken, bad.header, bad.claims, lab.KeepSignature); err == nil {
			t.Errorf("Forge accepted header %q claims %.20q", bad.header, bad.claims)
		}
	}
}

// Each refusal of CheckIDToken names its check: tokens the provider really
// signed, each wrong in one way, go past the signature check to the check
// that refuses them, and RefusingCheck must name that one.
func TestRefusingCheckNamesTheCheck(t *testing.T) {
	p, c, nonce, tokens := login(t)
	ctx := context.Background()
	valid := claimsOf(t, tokens.IDToken)
	signed := func(change func(map[string]any)) string {
		claims := map[string]any{}
		for k, v := range valid {
			claims[k] = v
		}
		change(claims)
		return p.Sign(claims)
	}

	for _, tc := range []struct {
		name, token, nonce, accessToken, check string
	}{
		{"alg none", testprovider.SignNone(valid), nonce, tokens.AccessToken, auth.CheckSignature},
		{"another key", testprovider.SignWithKey(testprovider.ForeignKey(), p.KeyID(), valid), nonce, tokens.AccessToken, auth.CheckSignature},
		{"another issuer", signed(func(c map[string]any) { c["iss"] = "http://localhost:8080/realms/attacker" }), nonce, tokens.AccessToken, auth.CheckIssuer},
		{"another audience", signed(func(c map[string]any) { c["aud"] = "another-client" }), nonce, tokens.AccessToken, auth.CheckAudience},
		{"expired", signed(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }), nonce, tokens.AccessToken, auth.CheckExpiry},
		{"no sub", signed(func(c map[string]any) { delete(c, "sub") }), nonce, tokens.AccessToken, auth.CheckSubject},
		{"no iat", signed(func(c map[string]any) { delete(c, "iat") }), nonce, tokens.AccessToken, auth.CheckIssuedAt},
		{"two audiences, no azp", signed(func(c map[string]any) { c["aud"] = []string{p.ClientID, "other"}; delete(c, "azp") }), nonce, tokens.AccessToken, auth.CheckAZP},
		{"azp another client", signed(func(c map[string]any) { c["azp"] = "other" }), nonce, tokens.AccessToken, auth.CheckAZP},
		{"another login's nonce", tokens.IDToken, "the-nonce-of-another-login", tokens.AccessToken, auth.CheckNonce},
		{"another access token", tokens.IDToken, nonce, "another-access-token", auth.CheckAtHash},
	} {
		_, err := c.CheckIDToken(ctx, tc.token, tc.nonce, tc.accessToken)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if got := lab.RefusingCheck(err.Error()); got != tc.check {
			t.Errorf("%s: RefusingCheck(%q) = %q, want %q", tc.name, err, got, tc.check)
		}
	}
	if got := lab.RefusingCheck("something else entirely"); got != "" {
		t.Errorf("an unknown reason is named %q", got)
	}
}

// The seed's cookie is readable by anyone who sees it: the access token
// comes out without the seed's key.
func TestSeedAccessToken(t *testing.T) {
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"access_token":"eyJ.stolen.sig","next":"/"}`))
	if got, ok := lab.SeedAccessToken(payload + ".any-signature"); !ok || got != "eyJ.stolen.sig" {
		t.Errorf("SeedAccessToken = %q, %v", got, ok)
	}
	for _, bad := range []string{"", "no-dot", "!!!.sig", base64.RawURLEncoding.EncodeToString([]byte(`{}`)) + ".sig"} {
		if _, ok := lab.SeedAccessToken(bad); ok {
			t.Errorf("SeedAccessToken(%q) found a token", bad)
		}
	}
}

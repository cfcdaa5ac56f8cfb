package demoapi_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/demoapi"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testclock"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testlog"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// api is the demo API's real router, pointed at an in-process provider.
type api struct {
	t        *testing.T
	clock    *testclock.Clock // when the JWKS may be fetched again
	provider *testprovider.Provider
	handler  http.Handler
	logs     *testlog.Buffer
}

func newAPI(t *testing.T, discover bool) *api {
	t.Helper()
	p := testprovider.New()
	t.Cleanup(p.Close)
	logs := &testlog.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := testclock.New(time.Now())
	settings := demoapi.Settings{Issuer: p.Issuer(), DiscoveryURL: p.Issuer(), Audience: "demo-api", AdminRole: "admin",
		PublicURL: apiPublicURL, Now: clock.Now}
	v := demoapi.NewVerifier(settings, &http.Client{Timeout: 2 * time.Second}, logger)
	if discover {
		if err := v.Discover(context.Background()); err != nil {
			t.Fatalf("discovery: %v", err)
		}
	}
	a := &api{t: t, clock: clock, provider: p, handler: demoapi.NewServer(v, settings, logger).Routes(), logs: logs}
	t.Cleanup(func() {
		// The API logs why it refused a token, never the token.
		if strings.Contains(logs.String(), "eyJ") {
			t.Errorf("the API's log contains a token:\n%s", logs.String())
		}
	})
	return a
}

// claims returns the claims of a valid access token for alice, as Keycloak
// issues them for demo-app with the demo-api audience mapper.
func (a *api) claims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": a.provider.Issuer(), "sub": "alice-sub", "aud": []string{"demo-api", "account"},
		"azp": "demo-app", "typ": "Bearer", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"scope": "openid demo-api.read email profile", "preferred_username": "alice",
		"realm_access": map[string]any{"roles": []string{"user", "admin"}},
	}
}

type answer struct {
	status     int
	challenge  string   // the first WWW-Authenticate
	challenges []string // all of them
	body       map[string]any
	raw        string
}

// get calls path with the given Authorization headers (none = no header).
func (a *api) get(path string, authorization ...string) answer {
	a.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, h := range authorization {
		req.Header.Add("Authorization", h)
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	res := answer{status: rec.Code, challenge: rec.Header().Get("WWW-Authenticate"),
		challenges: rec.Header().Values("WWW-Authenticate"), raw: rec.Body.String()}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		a.t.Errorf("GET %s: Content-Type %q, want application/json", path, ct)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
		a.t.Errorf("GET %s: the body is not a JSON object: %v\n%s", path, err, rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		a.t.Errorf("GET %s: Cache-Control %q, want no-store", path, rec.Header().Get("Cache-Control"))
	}
	return res
}

func bearer(token string) string { return "Bearer " + token }

// challengeSyntax is RFC 6750 section 3 with an error: realm, error and a
// description of allowed characters only.
var challengeSyntax = regexp.MustCompile(`^Bearer realm="demo-api", error="(invalid_token|invalid_request|insufficient_scope)", error_description="[\x20\x21\x23-\x5B\x5D-\x7E]+"$`)

// expectRefused checks a refusal with an error code: status, the challenge's
// syntax and error, the description, and the same in the JSON body.
func expectRefused(t *testing.T, got answer, status int, code, description string) {
	t.Helper()
	if got.status != status {
		t.Errorf("status %d, want %d\n%s", got.status, status, got.raw)
	}
	if !challengeSyntax.MatchString(got.challenge) {
		t.Errorf("WWW-Authenticate %q is not a Bearer challenge with realm, error and error_description", got.challenge)
	}
	if !strings.Contains(got.challenge, `error="`+code+`"`) {
		t.Errorf("WWW-Authenticate %q, want error=%q", got.challenge, code)
	}
	if !strings.Contains(got.challenge, description) {
		t.Errorf("WWW-Authenticate %q, want a description mentioning %q", got.challenge, description)
	}
	if got.body["error"] != code || !strings.Contains(got.body["error_description"].(string), description) {
		t.Errorf("body %v, want error %q and a description with %q", got.body, code, description)
	}
}

func TestValidTokenIsAccepted(t *testing.T) {
	a := newAPI(t, true)
	token := a.provider.Sign(a.claims())

	got := a.get("/api/hello", bearer(token))
	if got.status != http.StatusOK {
		t.Fatalf("GET /api/hello with a valid token: %d\n%s", got.status, got.raw)
	}
	if got.challenge != "" {
		t.Errorf("a 200 with WWW-Authenticate %q", got.challenge)
	}
	for k, want := range map[string]string{"sub": "alice-sub", "preferred_username": "alice", "scope": "openid demo-api.read email profile", "azp": "demo-app"} {
		if got.body[k] != want {
			t.Errorf("/api/hello %s = %v, want %q", k, got.body[k], want)
		}
	}
	if msg, _ := got.body["message"].(string); !strings.Contains(msg, "alice") {
		t.Errorf("/api/hello message %q does not greet alice", msg)
	}

	// alice has the realm role admin.
	if got := a.get("/api/admin", bearer(token)); got.status != http.StatusOK || got.body["preferred_username"] != "alice" {
		t.Errorf("GET /api/admin with alice's token: %d %s", got.status, got.raw)
	}
}

// The token alone decides: without admin in realm_access.roles, /api/admin
// answers 403 insufficient_scope, while /api/hello still works.
func TestMissingRoleIsForbidden(t *testing.T) {
	a := newAPI(t, true)
	for name, roles := range map[string]any{
		"bob (user only)":           []string{"user"},
		"no roles":                  []string{},
		"no realm_access":           nil,
		"admin as a client role":    []string{"viewer"},
		"role name differs in case": []string{"Admin"},
	} {
		t.Run(name, func(t *testing.T) {
			c := a.claims()
			c["preferred_username"] = "bob"
			if roles == nil {
				delete(c, "realm_access")
			} else {
				c["realm_access"] = map[string]any{"roles": roles}
			}
			c["resource_access"] = map[string]any{"demo-app": map[string]any{"roles": []string{"admin"}}}
			token := a.provider.Sign(c)
			expectRefused(t, a.get("/api/admin", bearer(token)), http.StatusForbidden, "insufficient_scope", "realm role admin")
			if got := a.get("/api/hello", bearer(token)); got.status != http.StatusOK {
				t.Errorf("GET /api/hello: %d, want 200 (any valid token)", got.status)
			}
		})
	}
}

// Every check attacked: each forged or unfit token gets 401 invalid_token
// with a description of the check it failed.
func TestTokenAttacksAreRefused(t *testing.T) {
	a := newAPI(t, true)
	with := func(change func(c map[string]any)) string {
		c := a.claims()
		change(c)
		return a.provider.Sign(c)
	}
	valid := a.provider.Sign(a.claims())
	parts := strings.Split(valid, ".")

	cases := []struct {
		name, token, description string
	}{
		{"wrong audience (the app's, not the API's)", with(func(c map[string]any) { c["aud"] = "demo-app" }), "aud does not contain demo-api"},
		{"no audience", with(func(c map[string]any) { delete(c, "aud") }), "aud does not contain demo-api"},
		{"expired", with(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }), "expired"},
		{"wrong issuer", with(func(c map[string]any) { c["iss"] = "https://evil.example/realms/demo" }), "another issuer"},
		{"issuer with a trailing slash", with(func(c map[string]any) { c["iss"] = a.provider.Issuer() + "/" }), "another issuer"},
		{"signed with a foreign key (the provider's kid)", testprovider.SignWithKey(testprovider.ForeignKey(), a.provider.KeyID(), a.claims()), "signature"},
		{"signed with a foreign key (unknown kid)", testprovider.SignWithKey(testprovider.ForeignKey(), "attacker-key", a.claims()), "signature"},
		{"alg none", testprovider.SignNone(a.claims()), "RS256"},
		{"alg none with a signature part", strings.TrimSuffix(testprovider.SignNone(a.claims()), ".") + "." + parts[2], "RS256"},
		{"HS256 keyed with the public key (alg confusion)", a.signHS256WithPublicKey(a.claims()), "RS256"},
		{"payload changed after signing", parts[0] + "." + base64.RawURLEncoding.EncodeToString(mustJSON(withClaim(a.claims(), "realm_access", map[string]any{"roles": []string{"admin"}}))) + "." + parts[2], "signature"},
		{"an ID token (typ ID) with the API's audience", with(func(c map[string]any) { c["typ"] = "ID" }), "not an access token"},
		{"no typ claim", with(func(c map[string]any) { delete(c, "typ") }), "not an access token"},
		{"a refresh token (typ Refresh)", with(func(c map[string]any) { c["typ"] = "Refresh" }), "not an access token"},
		{"no sub", with(func(c map[string]any) { delete(c, "sub") }), "no sub"},
		{"not a JWT", "abc.def.ghi", "RS256"},
		{"one part", "just-a-string", "RS256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/hello", "/api/admin"} {
				expectRefused(t, a.get(path, bearer(tc.token)), http.StatusUnauthorized, "invalid_token", tc.description)
			}
		})
	}
}

// RFC 6750 section 3.1: a request without a token gets a challenge without
// an error code; a malformed Authorization header is a 400 invalid_request.
func TestMissingOrMalformedAuthorization(t *testing.T) {
	a := newAPI(t, true)
	token := a.provider.Sign(a.claims())

	for name, headers := range map[string][]string{
		"no Authorization header": nil,
		"Basic credentials":       {"Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ="},
		"empty header":            {""},
		"token without a scheme":  {token},
	} {
		t.Run(name, func(t *testing.T) {
			got := a.get("/api/hello", headers...)
			if got.status != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", got.status)
			}
			if got.challenge != `Bearer realm="demo-api"` {
				t.Errorf(`WWW-Authenticate %q, want exactly Bearer realm="demo-api" (no error code without a token)`, got.challenge)
			}
			if _, ok := got.body["error"]; ok {
				t.Errorf("body %v has an error code", got.body)
			}
		})
	}

	for name, headers := range map[string][]string{
		"Bearer without a token":      {"Bearer "},
		"two tokens":                  {"Bearer " + token + " " + token},
		"characters outside b64token": {"Bearer " + token + `"`},
		"two Authorization headers":   {"Bearer " + token, "Bearer " + token},
	} {
		t.Run(name, func(t *testing.T) {
			expectRefused(t, a.get("/api/hello", headers...), http.StatusBadRequest, "invalid_request", "")
		})
	}

	// The scheme is case-insensitive (RFC 9110 11.1).
	if got := a.get("/api/hello", "bearer "+token); got.status != http.StatusOK {
		t.Errorf(`"bearer <token>": %d, want 200`, got.status)
	}
	// Tokens in the query string are not accepted (they end up in logs).
	if got := a.get("/api/hello?access_token=" + token); got.status != http.StatusUnauthorized || got.challenge != `Bearer realm="demo-api"` {
		t.Errorf("token in the query string: %d %q, want 401 without an error code", got.status, got.challenge)
	}
}

// After the provider rotates its signing key, a token signed with the new
// key is accepted the first time it is seen: the JWKS is fetched again for
// the unknown kid at once (auth.KeySet's token bucket has room).
func TestKeyRotation(t *testing.T) {
	a := newAPI(t, true)
	if got := a.get("/api/hello", bearer(a.provider.Sign(a.claims()))); got.status != http.StatusOK {
		t.Fatalf("before rotation: %d", got.status)
	}
	old := a.provider.Sign(a.claims())
	for rotation := 1; rotation <= 2; rotation++ {
		a.provider.RotateKeys()
		if got := a.get("/api/hello", bearer(a.provider.Sign(a.claims()))); got.status != http.StatusOK {
			t.Fatalf("rotation %d: a token signed with the new key, at once: %d, want 200\n%s", rotation, got.status, got.raw)
		}
	}
	// The old key is no longer published: its tokens are refused.
	expectRefused(t, a.get("/api/hello", bearer(old)), http.StatusUnauthorized, "invalid_token", "signature")
}

// The API takes tokens from anyone. A forged token must not make it flood
// Keycloak: forged key ids back to back fetch the JWKS at most
// auth.KeyRefetchBurst times, a bad signature on a known key id never, and
// a real rotation after the flood is accepted within 10 seconds.
func TestForgedTokensDoNotDriveKeyFetches(t *testing.T) {
	a := newAPI(t, true)
	if got := a.get("/api/hello", bearer(a.provider.Sign(a.claims()))); got.status != http.StatusOK {
		t.Fatalf("a valid token: %d", got.status)
	}
	foreign := testprovider.ForeignKey()
	forged := func(kid string) {
		t.Helper()
		got := a.get("/api/hello", bearer(testprovider.SignWithKey(foreign, kid, a.claims())))
		expectRefused(t, got, http.StatusUnauthorized, "invalid_token", "signature")
	}
	fetches := func() int64 { return a.provider.KeysCalls.Load() }

	start := fetches()
	for range 25 {
		forged(a.provider.KeyID()) // a known kid: fetching again would not help
	}
	if got := fetches() - start; got != 0 {
		t.Errorf("25 tokens with the provider's kid and a bad signature: %d JWKS fetches, want 0", got)
	}
	for i := range 50 {
		forged(fmt.Sprintf("unknown-kid-%d", i))
	}
	if got := fetches() - start; got > auth.KeyRefetchBurst {
		t.Errorf("50 forged key ids back to back: %d JWKS fetches, want at most %d", got, auth.KeyRefetchBurst)
	}

	// Rotated after the flood: accepted within 10 s.
	a.provider.RotateKeys()
	rotated := a.provider.Sign(a.claims())
	var waited time.Duration
	for a.get("/api/hello", bearer(rotated)).status != http.StatusOK {
		if waited >= 10*time.Second {
			t.Fatalf("a token of the rotated key still refused after %s", waited)
		}
		a.clock.Advance(time.Second)
		waited += time.Second
	}
}

// A huge bearer token is refused before it is parsed or verified: the
// Authorization header is capped at demoapi.MaxAuthorizationBytes.
func TestOversizedAuthorizationHeaderIsRefusedUnparsed(t *testing.T) {
	a := newAPI(t, true)
	valid := a.provider.Sign(a.claims())
	fetches := a.provider.KeysCalls.Load()
	for _, size := range []int{demoapi.MaxAuthorizationBytes + 1, 1 << 20} {
		// A JWT-shaped token: three parts of base64url characters.
		token := valid[:strings.LastIndex(valid, ".")+1] + strings.Repeat("A", size)
		expectRefused(t, a.get("/api/hello", bearer(token)), http.StatusBadRequest, "invalid_request", "longer than")
	}
	if a.provider.KeysCalls.Load() != fetches {
		t.Error("an oversized token made the API fetch the provider's keys")
	}
	if strings.Contains(a.logs.String(), "signature") {
		t.Errorf("an oversized token was verified:\n%s", a.logs.String())
	}
	// A token of an ordinary size still works.
	if got := a.get("/api/hello", bearer(valid)); got.status != http.StatusOK {
		t.Errorf("a valid token: %d", got.status)
	}
}

// Before discovery, and when the JWKS cannot be fetched, the API cannot tell
// good tokens from bad: 503, never 200, and not a 401 blaming the caller.
func TestProviderUnreachable(t *testing.T) {
	a := newAPI(t, false)
	token := a.provider.Sign(a.claims())
	if got := a.get("/api/hello", bearer(token)); got.status != http.StatusServiceUnavailable {
		t.Errorf("before discovery: %d, want 503", got.status)
	}
	if got := a.get("/readyz"); got.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz before discovery: %d, want 503", got.status)
	}
	if got := a.get("/healthz"); got.status != http.StatusOK {
		t.Errorf("/healthz: %d, want 200", got.status)
	}

	b := newAPI(t, true)
	if got := b.get("/readyz"); got.status != http.StatusOK {
		t.Errorf("/readyz after discovery: %d, want 200", got.status)
	}
	b.provider.SetDown(true)
	forged := testprovider.SignWithKey(testprovider.ForeignKey(), "unknown-kid", b.claims())
	if got := b.get("/api/hello", bearer(forged)); got.status != http.StatusServiceUnavailable {
		t.Errorf("unknown kid while the JWKS is unreachable: %d, want 503\n%s", got.status, got.raw)
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	a := newAPI(t, true)
	if got := a.get("/api/nothing"); got.status != http.StatusNotFound {
		t.Errorf("unknown path: %d, want 404", got.status)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/hello", nil)
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/hello: %d, want 405", rec.Code)
	}
}

// signHS256WithPublicKey signs claims with HMAC, keyed with the provider's
// public RSA key in PEM form: the classic "algorithm confusion" forgery
// against verifiers that let the token choose the algorithm.
func (a *api) signHS256WithPublicKey(claims map[string]any) string {
	a.t.Helper()
	resp, err := http.Get(a.provider.Issuer() + "/keys")
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) == 0 {
		a.t.Fatalf("reading the JWKS: %v", err)
	}
	der, err := x509.MarshalPKIXPublicKey(set.Keys[0].Key)
	if err != nil {
		a.t.Fatal(err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", set.Keys[0].KeyID))
	if err != nil {
		a.t.Fatal(err)
	}
	jws, err := signer.Sign(mustJSON(claims))
	if err != nil {
		a.t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

// withClaim sets one claim and returns the claims.
func withClaim(c map[string]any, k string, v any) map[string]any {
	c[k] = v
	return c
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// private_key_jwt client authentication (RFC 7523, OpenID Connect Core 9;
// internal/auth/clientauth.go): no secret, a fresh signed assertion per
// request, checked by the provider with the app's /.well-known/jwks.json.

func newClientKey(t testing.TB) *auth.SigningKey {
	t.Helper()
	key, err := auth.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func withClientKey(key *auth.SigningKey) func(*appOptions) {
	return func(o *appOptions) { o.clientKey = key }
}

// The whole life of a login signs its way through: the pushed request,
// the code exchange, a refresh and the revocation at logout each carry
// their own assertion (iss = sub = client id, aud = issuer, a unique jti,
// a minute of validity), and the provider, which refuses any secret for
// this client, accepts each.
func TestPrivateKeyJWTOnEveryBackChannelRequest(t *testing.T) {
	key := newClientKey(t)
	app := newTestApp(t, withPAR, withClientKey(key))
	b := app.newBrowser()
	b.mustLogin("/profile")
	if resp := b.post("/tokens", nil, map[string]string{"Sec-Fetch-Site": "same-origin"}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /tokens (refresh now): status %d\n%s", resp.StatusCode, resp.Body)
	}
	if resp := b.post("/logout", nil, map[string]string{"Sec-Fetch-Site": "same-origin"}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /logout: status %d", resp.StatusCode)
	}
	if len(app.provider.Revoked()) != 1 {
		t.Errorf("the refresh token was not revoked at logout: %s", app.provider.LastClientAuthError())
	}

	seen := app.provider.ClientAssertions()
	var endpoints []string
	jtis := map[string]bool{}
	for _, a := range seen {
		endpoints = append(endpoints, strings.TrimPrefix(a.Endpoint, app.provider.Issuer()))
		c := a.Claims
		if c["iss"] != app.provider.ClientID || c["sub"] != app.provider.ClientID || c["aud"] != app.provider.Issuer() {
			t.Errorf("assertion to %s: iss %v, sub %v, aud %v; want the client id twice and the issuer", a.Endpoint, c["iss"], c["sub"], c["aud"])
		}
		if life := c["exp"].(float64) - c["iat"].(float64); life != 60 {
			t.Errorf("assertion valid for %v s, want 60", life)
		}
		if a.Header.KeyID != key.KeyID() || a.Header.Algorithm != "ES256" {
			t.Errorf("assertion header kid %q alg %q, want the app's key (%s, ES256)", a.Header.KeyID, a.Header.Algorithm, key.KeyID())
		}
		jti, _ := c["jti"].(string)
		if jtis[jti] {
			t.Errorf("jti %q used twice", jti)
		}
		jtis[jti] = true
	}
	if want := "/par /token /token /revoke"; strings.Join(endpoints, " ") != want {
		t.Errorf("assertions accepted at %v, want %s", endpoints, want)
	}
}

// The app publishes its public key, and only that: no private parameter
// (d) in the JWK Set. Without private_key_jwt there is nothing there.
func TestJWKSPublishesOnlyThePublicKey(t *testing.T) {
	key := newClientKey(t)
	app := newTestApp(t, withClientKey(key))
	resp := app.newBrowser().get("/.well-known/jwks.json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /.well-known/jwks.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS %s: want one key", resp.Body)
	}
	k := set.Keys[0]
	if k["kid"] != key.KeyID() || k["kty"] != "EC" || k["crv"] != "P-256" || k["use"] != "sig" {
		t.Errorf("published key %v, want the app's EC P-256 signing key", k)
	}
	if _, private := k["d"]; private {
		t.Fatal("the JWKS contains the private key (d)")
	}

	plain := newTestApp(t)
	if resp := plain.newBrowser().get("/.well-known/jwks.json"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("without private_key_jwt: status %d, want 404", resp.StatusCode)
	}
}

// Attacks on the client assertion, sent straight to the token endpoint as
// someone who got hold of one (or of the app's key with the wrong
// audience) would. The control comes first: a fresh, correct assertion
// authenticates the client (the grant itself then fails: invalid_grant,
// 400), so each 401 invalid_client below is the assertion's fault.
func TestPrivateKeyJWTAttacksAreRefusedByTheProvider(t *testing.T) {
	key := newClientKey(t)
	app := newTestApp(t, withClientKey(key))
	b := app.newBrowser()
	b.mustLogin("/profile")
	p := app.provider
	sent := p.ClientAssertions()
	if len(sent) == 0 {
		t.Fatal("the login sent no client assertion")
	}
	now := time.Now()
	mustAssert := func(k *auth.SigningKey, aud string, at time.Time) string {
		a, err := k.ClientAssertion(p.ClientID, aud, at)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	cases := []struct {
		name       string
		assertion  string
		wantStatus int
	}{
		{"control: fresh and correct", mustAssert(key, p.Issuer(), now), http.StatusBadRequest},
		{"wrong aud (another server)", mustAssert(key, "https://other-provider.example", now), http.StatusUnauthorized},
		{"expired (signed 2 minutes ago)", mustAssert(key, p.Issuer(), now.Add(-2*time.Minute)), http.StatusUnauthorized},
		{"replayed (the one the login used)", sent[len(sent)-1].Raw, http.StatusUnauthorized},
		{"signed by another key", mustAssert(newClientKey(t), p.Issuer(), now), http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			form := url.Values{
				"grant_type":            {"refresh_token"},
				"refresh_token":         {"not-a-refresh-token"},
				"client_id":             {p.ClientID},
				"client_assertion_type": {testprovider.ClientAssertionType},
				"client_assertion":      {c.assertion},
			}
			resp, err := http.PostForm(p.Issuer()+"/token", form)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Error string `json:"error"`
			}
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode != c.wantStatus {
				t.Fatalf("token endpoint: %d %s (%s), want %d", resp.StatusCode, body.Error, p.LastClientAuthError(), c.wantStatus)
			}
			if c.wantStatus == http.StatusUnauthorized && body.Error != "invalid_client" {
				t.Errorf("error %q, want invalid_client", body.Error)
			}
			t.Logf("provider: %d %s (%s)", resp.StatusCode, body.Error, p.LastClientAuthError())
		})
	}

	// And the secret no longer works for this client at all.
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}
	req, _ := http.NewRequest(http.MethodPost, p.Issuer()+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(p.ClientID, p.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the client secret at a private_key_jwt client: %d, want 401", resp.StatusCode)
	}
}

// The flow inspector keeps the assertion's header and claims for /flow,
// never its signature (nor, of course, the key).
func TestPrivateKeyJWTRecordHasNoSignature(t *testing.T) {
	key := newClientKey(t)
	attachments := &recordingAttachments{Attachments: session.NewMemoryAttachments()}
	app := newTestApp(t, withPAR, withClientKey(key), withMemStore(memstore.NewWithCleanupInterval(0), attachments))
	b := app.newBrowser()
	b.mustLogin("/profile")
	sent := app.provider.ClientAssertions()
	all := ""
	for _, data := range attachments.all() {
		all += string(data)
	}
	if !strings.Contains(all, "client_assertion") {
		t.Fatal("the record has no client_assertion")
	}
	for _, a := range sent {
		signature := a.Raw[strings.LastIndex(a.Raw, ".")+1:]
		if strings.Contains(all, signature) {
			t.Errorf("the record holds the signature of the assertion sent to %s", a.Endpoint)
		}
		headerAndClaims := a.Raw[:strings.LastIndex(a.Raw, ".")]
		if !strings.Contains(all, url.QueryEscape(headerAndClaims)) && !strings.Contains(all, headerAndClaims) {
			t.Errorf("the record lacks the header and claims of the assertion sent to %s", a.Endpoint)
		}
	}
}

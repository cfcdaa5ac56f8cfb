package demoapi_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/authcode-demo/authcode-demo/internal/demoapi"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// Scopes at the demo API (scope.go): reads need demo-api.read, the write
// demo-api.write, read from the access token's scope claim alone.

// scopeChallenge is the Bearer challenge of a missing scope (RFC 6750
// sections 3 and 3.1): insufficient_scope, a description, and the scope
// needed in the scope attribute.
var scopeChallenge = regexp.MustCompile(`^Bearer realm="demo-api", error="insufficient_scope", error_description="[\x20\x21\x23-\x5B\x5D-\x7E]+", scope="([^"]+)"$`)

// post sends POST path with a JSON body and the Authorization header.
func (a *api) post(path, authorization, contentType, body string) answer {
	a.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return a.do(req)
}

const aNote = `{"text": "buy milk"}`

// tokenWithScope is alice's valid access token with the scope claim given
// (nil: no scope claim at all).
func (a *api) tokenWithScope(scope any) string {
	c := a.claims()
	if scope == nil {
		delete(c, "scope")
	} else {
		c["scope"] = scope
	}
	return a.provider.Sign(c)
}

// expectScopeRefused checks a 403 insufficient_scope that names scope in
// the Bearer challenge (first) and in the body, with the DPoP challenge
// after it, as the API sends both.
func expectScopeRefused(t *testing.T, got answer, scope string) {
	t.Helper()
	if got.status != http.StatusForbidden {
		t.Errorf("status %d, want 403\n%s", got.status, got.raw)
	}
	m := scopeChallenge.FindStringSubmatch(got.challenge)
	if m == nil || m[1] != scope {
		t.Errorf("WWW-Authenticate %q, want insufficient_scope with scope=%q", got.challenge, scope)
	}
	if len(got.challenges) != 2 || !strings.HasPrefix(got.challenges[1], `DPoP algs="`) || strings.Contains(got.challenges[1], "error=") {
		t.Errorf("challenges %q, want the Bearer one with the error, then a DPoP one without", got.challenges)
	}
	if got.body["error"] != "insufficient_scope" || got.body["scope"] != scope {
		t.Errorf("body %v, want error insufficient_scope and scope %q", got.body, scope)
	}
}

func TestScopesDecideWhatATokenMayDo(t *testing.T) {
	a := newAPI(t, true)
	readOnly := a.tokenWithScope("openid demo-api.read email profile")
	writeOnly := a.tokenWithScope("openid demo-api.write")
	both := a.tokenWithScope("openid demo-api.read demo-api.write email profile")

	// Read only (what every API client gets by default).
	if got := a.get("/api/hello", bearer(readOnly)); got.status != http.StatusOK {
		t.Errorf("GET /api/hello with demo-api.read: %d %s", got.status, got.raw)
	}
	if got := a.get("/api/admin", bearer(readOnly)); got.status != http.StatusOK {
		t.Errorf("GET /api/admin with demo-api.read and the role admin: %d %s", got.status, got.raw)
	}
	expectScopeRefused(t, a.post("/api/notes", bearer(readOnly), "application/json", aNote), demoapi.ScopeWrite)

	// Write only: the write works, the reads name the scope they need.
	got := a.post("/api/notes", bearer(writeOnly), "application/json", aNote)
	if got.status != http.StatusOK {
		t.Fatalf("POST /api/notes with demo-api.write: %d %s", got.status, got.raw)
	}
	note, _ := got.body["note"].(map[string]any)
	if note["text"] != "buy milk" || note["author_sub"] != "alice-sub" || got.body["stored"] != false {
		t.Errorf("POST /api/notes answered %v, want the note, alice's sub and stored false", got.body)
	}
	expectScopeRefused(t, a.get("/api/hello", bearer(writeOnly)), demoapi.ScopeRead)
	expectScopeRefused(t, a.get("/api/admin", bearer(writeOnly)), demoapi.ScopeRead)

	// Both.
	for _, path := range []string{"/api/hello", "/api/admin"} {
		if got := a.get(path, bearer(both)); got.status != http.StatusOK {
			t.Errorf("GET %s with both scopes: %d", path, got.status)
		}
	}
	if got := a.post("/api/notes", bearer(both), "application/json", aNote); got.status != http.StatusOK {
		t.Errorf("POST /api/notes with both scopes: %d", got.status)
	}
	// The scope is checked before the role: bob with demo-api.read only
	// still gets the role's refusal at /api/admin (no scope attribute).
	c := a.claims()
	c["realm_access"] = map[string]any{"roles": []string{"user"}}
	bob := a.provider.Sign(c)
	if got := a.get("/api/admin", bearer(bob)); got.status != http.StatusForbidden || strings.Contains(got.challenge, "scope=") {
		t.Errorf("GET /api/admin without the role: %d %q, want 403 without a scope attribute", got.status, got.challenge)
	}

	// The log says which scope was missing, and never the token.
	if !strings.Contains(a.logs.String(), "scope_needed=demo-api.write") {
		t.Errorf("the log does not name the missing scope:\n%s", a.logs)
	}
}

// Forged and unfit tokens: none of them may write.
func TestScopeAttacksAreRefused(t *testing.T) {
	a := newAPI(t, true)
	refused403 := []struct {
		name  string
		scope any
	}{
		{"no scope claim", nil},
		{"an empty scope", ""},
		{"a scope with the right prefix", "openid demo-api.writer"},
		{"a longer scope that starts with it", "openid demo-api.write-all"},
		{"part of it", "openid demo-api.wri"},
		{"another case (scopes are case-sensitive)", "openid DEMO-API.WRITE"},
		{"separated by commas", "openid,demo-api.write"},
		{"separated by a tab (scope tokens are separated by spaces)", "openid\tdemo-api.write"},
		{"quoted", `openid "demo-api.write"`},
		{"the read scope only", "openid demo-api.read"},
		{"another API's write scope", "openid other-api.write"},
	}
	for _, tc := range refused403 {
		t.Run(tc.name, func(t *testing.T) {
			expectScopeRefused(t, a.post("/api/notes", bearer(a.tokenWithScope(tc.scope)), "application/json", aNote), demoapi.ScopeWrite)
		})
	}

	// Refused as invalid tokens (401), whatever scope they claim.
	with := func(change func(c map[string]any)) string {
		c := a.claims()
		c["scope"] = "openid demo-api.read demo-api.write"
		change(c)
		return a.provider.Sign(c)
	}
	refused401 := []struct{ name, token, description string }{
		{"scope as a JSON array", a.tokenWithScope([]string{"demo-api.read", "demo-api.write"}), "scope claim is not a string"},
		{"scope as a JSON object", a.tokenWithScope(map[string]any{"demo-api.write": true}), "scope claim is not a string"},
		{"the wrong audience (a token for another API)", with(func(c map[string]any) { c["aud"] = []string{"other-api"} }), "aud does not contain demo-api"},
		{"the app's audience (an ID token's)", with(func(c map[string]any) { c["aud"] = "demo-app" }), "aud does not contain demo-api"},
		{"an ID token that claims the scope", with(func(c map[string]any) { c["typ"] = "ID" }), "not an access token"},
		{"signed by a foreign key", testprovider.SignWithKey(testprovider.ForeignKey(), a.provider.KeyID(),
			withClaim(a.claims(), "scope", "openid demo-api.write")), "signature"},
		{"alg none", testprovider.SignNone(withClaim(a.claims(), "scope", "openid demo-api.write")), "RS256"},
	}
	for _, tc := range refused401 {
		t.Run(tc.name, func(t *testing.T) {
			got := a.post("/api/notes", bearer(tc.token), "application/json", aNote)
			expectRefused(t, got, http.StatusUnauthorized, "invalid_token", tc.description)
			if strings.Contains(got.challenge, "scope=") {
				t.Errorf("an invalid token's challenge %q names a scope", got.challenge)
			}
		})
	}

	// The scope elsewhere in the token does not count: only the scope claim.
	t.Run("the scope in scp", func(t *testing.T) {
		token := with(func(c map[string]any) { c["scope"] = "openid"; c["scp"] = []string{"demo-api.write"} })
		expectScopeRefused(t, a.post("/api/notes", bearer(token), "application/json", aNote), demoapi.ScopeWrite)
	})
	t.Run("the scope as a realm role", func(t *testing.T) {
		token := with(func(c map[string]any) {
			c["scope"] = "openid"
			c["realm_access"] = map[string]any{"roles": []string{"demo-api.write"}}
		})
		expectScopeRefused(t, a.post("/api/notes", bearer(token), "application/json", aNote), demoapi.ScopeWrite)
	})
	// No token: 401 without an error code (RFC 6750 section 3.1), and no scope.
	t.Run("no token", func(t *testing.T) {
		got := a.post("/api/notes", "", "application/json", aNote)
		if got.status != http.StatusUnauthorized || got.challenge != `Bearer realm="demo-api"` {
			t.Errorf("%d %q, want 401 and a bare challenge", got.status, got.challenge)
		}
	})
}

// A DPoP-bound token without the scope: the DPoP challenge comes first and
// carries the error and the scope (RFC 9449 section 7.1).
func TestMissingScopeWithDPoP(t *testing.T) {
	a := newAPI(t, true)
	key := newKey(t)
	token := a.boundToken(key) // demo-api.read, not write
	req := httptest.NewRequest(http.MethodPost, "/api/notes", strings.NewReader(aNote))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "DPoP "+token)
	req.Header.Set("DPoP", proof(t, key, http.MethodPost, apiPublicURL+"/api/notes", token, a.clock.Now()))
	got := a.do(req)
	if got.status != http.StatusForbidden {
		t.Fatalf("status %d, want 403: %s", got.status, got.raw)
	}
	want := regexp.MustCompile(`^DPoP algs="[^"]+", error="insufficient_scope", error_description="[^"]+", scope="demo-api.write"$`)
	if len(got.challenges) != 2 || !want.MatchString(got.challenges[0]) || got.challenges[1] != `Bearer realm="demo-api"` {
		t.Errorf("challenges %q, want the DPoP one with the error and scope, then a bare Bearer one", got.challenges)
	}
}

// The note's body is bounded and checked, after the token and the scope.
func TestNoteBodies(t *testing.T) {
	a := newAPI(t, true)
	write := bearer(a.tokenWithScope("openid demo-api.write"))
	cases := []struct {
		name, contentType, body string
		status                  int
	}{
		{"a note", "application/json", aNote, http.StatusOK},
		{"with a charset", "application/json; charset=utf-8", aNote, http.StatusOK},
		{"a form", "application/x-www-form-urlencoded", "text=buy+milk", http.StatusUnsupportedMediaType},
		{"no content type", "", aNote, http.StatusUnsupportedMediaType},
		{"not JSON", "application/json", "buy milk", http.StatusBadRequest},
		{"an unknown field", "application/json", `{"text": "a", "author_sub": "someone-else"}`, http.StatusBadRequest},
		{"two objects", "application/json", aNote + aNote, http.StatusBadRequest},
		{"empty text", "application/json", `{"text": "  "}`, http.StatusBadRequest},
		{"281 characters", "application/json", `{"text": "` + strings.Repeat("é", demoapi.MaxNoteRunes+1) + `"}`, http.StatusBadRequest},
		{"280 characters", "application/json", `{"text": "` + strings.Repeat("é", demoapi.MaxNoteRunes) + `"}`, http.StatusOK},
		{"a body over the limit", "application/json", `{"text": "` + strings.Repeat("a", demoapi.MaxNoteBodyBytes) + `"}`, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.post("/api/notes", write, tc.contentType, tc.body); got.status != tc.status {
				t.Errorf("status %d, want %d: %s", got.status, tc.status, got.raw)
			}
		})
	}
	// Without the scope, the body is never judged: the scope comes first.
	read := bearer(a.tokenWithScope("openid demo-api.read"))
	expectScopeRefused(t, a.post("/api/notes", read, "text/plain", "x"), demoapi.ScopeWrite)
	if got := a.get("/api/notes", write); got.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/notes: %d, want 405", got.status)
	}
}

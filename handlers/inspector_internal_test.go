package handlers

// Tests of unexported pieces of the flow inspector, the token viewer and
// requireRealmRole.

import (
	"encoding/base64"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/views"
)

// The flow inspector names the code of each step: every function it names
// must exist in the file it names, so the page cannot drift from the code.
func TestFlowCodeRefsExist(t *testing.T) {
	funcs := funcIndex{}
	v := flowView(views.Nav{}, "", inspector.Flow{})
	steps := []views.StepInfo{v.Authorization.Step, v.Callback.Step, v.TokenRequest.Step,
		v.TokenResponse.Step, v.IDToken.Step, v.UserInfo.Step}
	for _, step := range steps {
		if len(step.Code) == 0 {
			t.Errorf("step %s names no code", step.Number)
		}
		for _, ref := range step.Code {
			if !funcs.has(t, ref.File, ref.Func) {
				t.Errorf("the flow inspector names %s in %s, which has no such function", ref.Func, ref.File)
			}
		}
	}
}

// funcIndex knows the functions and methods declared in files of this
// repository (file -> names), each file parsed once: pages that name code
// are checked against it.
type funcIndex map[string]map[string]bool

// has reports whether file (a path from the repository's root) declares fn.
func (ix funcIndex) has(t *testing.T, file, fn string) bool {
	t.Helper()
	if ix[file] == nil {
		parsed, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", file), nil, 0)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			return false
		}
		ix[file] = map[string]bool{}
		for _, decl := range parsed.Decls {
			if f, ok := decl.(*ast.FuncDecl); ok {
				ix[file][f.Name.Name] = true
			}
		}
	}
	return ix[file][fn]
}

// requireRealmRole on a route without requireLogin refuses a request that
// has no user: no roles, no entry.
func TestRequireRealmRoleAloneRefuses(t *testing.T) {
	sessions := session.New(session.Options{
		IdleTimeout: time.Hour, Lifetime: time.Hour,
		Store: memstore.NewWithCleanupInterval(0), Index: session.NewMemoryIndex(), Marks: session.NewMemoryMarks(),
	})
	app := New(Deps{Logger: slog.New(slog.DiscardHandler), Sessions: sessions, Issuer: "http://op.example"})
	reached := false
	h := sessions.LoadAndSave(app.sessionStoreError)(app.requireRealmRole("admin")(
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/secret", nil))
	if rec.Code != http.StatusForbidden {
		t.Errorf("no user: status %d, want 403", rec.Code)
	}
	if reached {
		t.Error("the protected handler ran for a logged-out user")
	}
}

// jwtOf builds an unsigned compact JWT with the given JSON parts (the token
// viewer only decodes).
func jwtOf(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + ".c2ln"
}

// Keycloak's refresh tokens are JWTs (HS512, typ Refresh): they are decoded,
// their expiry read from exp; anything else is opaque.
func TestTokenDetailDecodesJWTsAndSaysOpaque(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	raw := jwtOf(`{"alg":"HS512","typ":"JWT","kid":"k1"}`,
		`{"exp":1800000600,"iat":1800000000,"jti":"j","iss":"http://kc/realms/demo","aud":"http://kc/realms/demo","sub":"s","typ":"Refresh","azp":"demo-app","scope":"openid email"}`)
	d := tokenDetail("refresh-token", "Refresh token", raw, time.Time{}, now, "p")
	if !d.JWT || !d.Present {
		t.Fatalf("a JWT refresh token: JWT %v, Present %v", d.JWT, d.Present)
	}
	if d.Expiry.Relative != "in 10 min" {
		t.Errorf("expiry from exp: %+v, want in 10 min", d.Expiry)
	}
	var names []string
	for _, c := range d.Claims {
		names = append(names, c.Name)
	}
	// The token's own order, not sorted.
	if got := strings.Join(names, ","); got != "exp,iat,jti,iss,aud,sub,typ,azp,scope" {
		t.Errorf("claims in order %s", got)
	}
	for _, c := range d.Claims {
		if c.Meaning == "" {
			t.Errorf("claim %s is not explained", c.Name)
		}
		if c.Name == "exp" && c.When != "2027-01-15 08:10:00 UTC, expires in 10 min" {
			t.Errorf("exp shown as %q", c.When)
		}
		if c.Name == "iat" && c.When != "2027-01-15 08:00:00 UTC, 0 s ago" {
			t.Errorf("iat shown as %q", c.When)
		}
	}
	if d.Header[0].Name != "alg" || d.Header[0].Value != "HS512" || d.Header[0].Meaning == "" {
		t.Errorf("header: %+v", d.Header)
	}

	opaque := tokenDetail("refresh-token", "Refresh token", "8xLOxBtZp8", time.Time{}, now, "p")
	if opaque.JWT || opaque.Raw != "8xLOxBtZp8" || len(opaque.Claims) != 0 || opaque.Expiry.At != "" {
		t.Errorf("an opaque token: %+v", opaque)
	}
	if none := tokenDetail("refresh-token", "Refresh token", "", time.Time{}, now, "p"); none.Present {
		t.Error("a missing token is shown as present")
	}
}

// Objects and arrays are shown as compact JSON, strings without quotes.
func TestClaimRowsShowValues(t *testing.T) {
	rows := claimRows([]byte(`{"aud": ["a", "b"], "realm_access": {"roles": ["admin"]}, "email_verified": true, "name": "Alice \"A\""}`), claimMeaning, time.Now())
	want := map[string]string{"aud": `["a","b"]`, "realm_access": `{"roles":["admin"]}`, "email_verified": "true", "name": `Alice "A"`}
	for _, r := range rows {
		if r.Value != want[r.Name] {
			t.Errorf("%s shown as %q, want %q", r.Name, r.Value, want[r.Name])
		}
	}
	if len(rows) != len(want) {
		t.Errorf("%d rows, want %d", len(rows), len(want))
	}
	if claimRows([]byte(`[1,2]`), claimMeaning, time.Now()) != nil {
		t.Error("a JSON array is not an object of claims")
	}
}

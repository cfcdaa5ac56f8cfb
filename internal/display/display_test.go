package display

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeJWTRefusesGarbage(t *testing.T) {
	for _, raw := range []string{
		"",
		"garbage",
		"a.b",
		"a.b.c.d",
		"!!!.e30.sig",         // header not base64url
		"e30.!!!.sig",         // payload not base64url
		"e30=.e30.sig",        // padded: not raw base64url
		"bm90IGpzb24.e30.sig", // header "not json"
		"e30.bm90IGpzb24.sig", // payload "not json"
	} {
		if _, err := DecodeJWT(raw); err == nil {
			t.Errorf("DecodeJWT(%q) succeeded", raw)
		} else if strings.Contains(err.Error(), raw) && raw != "" {
			t.Errorf("DecodeJWT(%q): the error repeats the token: %v", raw, err)
		}
	}
}

func TestDecodeJWT(t *testing.T) {
	// {"alg":"none"} . {"sub":"alice"} . (no signature: it is not checked)
	j, err := DecodeJWT("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.")
	if err != nil {
		t.Fatal(err)
	}
	if string(j.Header) != `{"alg":"none"}` || j.Claim("sub") != "alice" {
		t.Errorf("header %s, sub %q", j.Header, j.Claim("sub"))
	}
	if j, _ := DecodeJWT("e30.e30."); j.Claim("sub") != "" {
		t.Errorf("the sub of a token without sub = %q", j.Claim("sub"))
	}
}

func TestTruncateKeepsRunesWhole(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc…"},
		{"ééé", 3, "é…"}, // é is 2 bytes: cutting at 3 would split the second
		{"ééé", 4, "éé…"},
	} {
		if got := Truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

// A credential is described, never shown: of a JWT only the start of its
// header, of an opaque or short token nothing; Basic credentials not at all.
func TestAuthorizationShowsNoCredential(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
	if got := Authorization("Bearer " + jwt); !strings.HasPrefix(got, "Bearer eyJhbGciOi…") || strings.Contains(got, "c2lnbmF0dXJl") || strings.Contains(got, "eyJzdWIi") {
		t.Errorf("Authorization(Bearer JWT) = %q", got)
	}
	for _, opaque := range []string{"abc", "0123456789", "opaque-refresh-token-value"} {
		if got := Authorization("DPoP " + opaque); strings.Contains(got, opaque) || !strings.HasPrefix(got, "DPoP "+Redacted) {
			t.Errorf("Authorization(DPoP %s) = %q", opaque, got)
		}
	}
	if got := Authorization("Basic ZGVtby1hcHA6czNjcmV0"); strings.Contains(got, "ZGVtby1hcHA6czNjcmV0") || !strings.HasPrefix(got, "Basic "+Redacted) {
		t.Errorf("Authorization(Basic) = %q", got)
	}
}

func TestWithoutSignature(t *testing.T) {
	if got := WithoutSignature("aGVhZGVy.Y2xhaW1z.c2ln"); got != "aGVhZGVy.Y2xhaW1z.(signature redacted)" {
		t.Errorf("WithoutSignature = %q", got)
	}
	for _, notJWT := range []string{"", "abc", "a.b"} {
		if got := WithoutSignature(notJWT); got != "" {
			t.Errorf("WithoutSignature(%q) = %q, want nothing", notJWT, got)
		}
	}
}

func TestJSONValue(t *testing.T) {
	for raw, want := range map[string]string{`"Alice \"A\""`: `Alice "A"`, `["a", "b"]`: `["a","b"]`, `{"roles": ["admin"]}`: `{"roles":["admin"]}`, `true`: `true`, `300`: `300`} {
		if got := JSONValue(json.RawMessage(raw)); got != want {
			t.Errorf("JSONValue(%s) = %q, want %q", raw, got, want)
		}
	}
}

package lab_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/lab"
)

// Each replay presents the stolen token as it says: the API (here a
// recorder; the demo API's answers are tested in handlers/lab_test.go)
// receives the scheme, and a proof only when one is meant, signed by a key
// that is not the app's, for this very request and token.
func TestReplayAtAPIPresentsTheToken(t *testing.T) {
	type seen struct{ authorization, proof string }
	got := make(chan seen, 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Header.Get("Authorization"), r.Header.Get("DPoP")}
		w.Header().Set("WWW-Authenticate", `DPoP error="invalid_token"`)
		http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
	}))
	defer api.Close()
	l := lab.New(lab.Settings{APIURL: api.URL, Timeout: 5 * time.Second})
	const token = "eyJhbGciOiJSUzI1NiJ9.eyJjbmYiOnsiamt0IjoieCJ9fQ.sig"

	for _, tc := range []struct {
		how       lab.Replay
		scheme    string
		withProof bool
	}{
		{lab.AsBearer, "Bearer ", false},
		{lab.AsDPoPWithoutProof, "DPoP ", false},
		{lab.AsDPoPWithOtherKey, "DPoP ", true},
	} {
		ex, err := l.ReplayAtAPI(context.Background(), token, tc.how)
		if err != nil {
			t.Fatalf("%s: %v", tc.how, err)
		}
		s := <-got
		if s.authorization != tc.scheme+token {
			t.Errorf("%s: Authorization %q", tc.how, s.authorization)
		}
		if (s.proof != "") != tc.withProof {
			t.Errorf("%s: DPoP header %q, want one: %v", tc.how, s.proof, tc.withProof)
		}
		if tc.withProof {
			header, claims := jwtParts(t, s.proof)
			if header["typ"] != "dpop+jwt" || header["jwk"] == nil || claims["htu"] != api.URL+"/api/hello" || claims["ath"] != auth.AccessTokenHash(token) {
				t.Errorf("%s: the proof %v %v is not for this request and token", tc.how, header, claims)
			}
		}
		if ex.Status != http.StatusUnauthorized || strings.Contains(ex.Authorization, token) {
			t.Errorf("%s: exchange %d, Authorization shown as %q", tc.how, ex.Status, ex.Authorization)
		}
	}

	if _, err := lab.New(lab.Settings{}).ReplayAtAPI(context.Background(), token, lab.AsBearer); err != lab.ErrNoAPI {
		t.Errorf("no API configured: %v", err)
	}
	if !lab.DPoPBound(token) || lab.DPoPBound("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig") {
		t.Error("DPoPBound does not read cnf.jkt")
	}
}

func jwtParts(t *testing.T, raw string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	for i, into := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(b, into) != nil {
			t.Fatalf("part %d of %q", i, raw)
		}
	}
	return header, claims
}

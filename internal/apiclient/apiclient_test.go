package apiclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/display"
)

const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"

func newClient(t *testing.T, h http.HandlerFunc, timeout time.Duration) (*Client, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return New(u, &http.Client{Timeout: timeout}), srv.URL
}

func TestGetRecordsTheExchange(t *testing.T) {
	c, base := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token || r.URL.Path != "/api/admin" {
			t.Errorf("the API got %s with Authorization %q", r.URL.Path, r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("WWW-Authenticate", `Bearer realm="demo-api", error="insufficient_scope"`)
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":"insufficient_scope"}`))
	}, time.Second)
	ex, err := c.Get(context.Background(), "/api/admin", token)
	if err != nil {
		t.Fatalf("a 403 is an answer, not an error: %v", err)
	}
	if ex.Method != "GET" || ex.URL != base+"/api/admin" || ex.Status != 403 || ex.StatusText != "403 Forbidden" ||
		ex.WWWAuthenticate != `Bearer realm="demo-api", error="insufficient_scope"` || ex.ContentType != "application/json" {
		t.Errorf("exchange %+v", ex)
	}
	if ex.Body != "{\n  \"error\": \"insufficient_scope\"\n}" {
		t.Errorf("body not pretty-printed: %q", ex.Body)
	}
	if ex.Authorization != display.Authorization("Bearer "+token) || strings.Contains(ex.Authorization, token) {
		t.Errorf("Authorization %q, want the masked header", ex.Authorization)
	}
}

func TestGetCapsTheBodyAndKeepsText(t *testing.T) {
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("not json " + strings.Repeat("x", 2*maxBody)))
	}, time.Second)
	ex, err := c.Get(context.Background(), "/api/hello", token)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Body) != maxBody || !strings.HasPrefix(ex.Body, "not json") {
		t.Errorf("body of %d bytes, want the first %d as they came", len(ex.Body), maxBody)
	}
}

func TestGetWithoutAnAnswer(t *testing.T) {
	// Down: nothing listens.
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {}, time.Second)
	c.base, _ = url.Parse("http://127.0.0.1:1")
	_, err := c.Get(context.Background(), "/api/hello", token)
	var unavailable *UnavailableError
	if !errors.As(err, &unavailable) {
		t.Fatalf("API down: %v, want an UnavailableError", err)
	}
	if strings.Contains(err.Error(), "eyJ") {
		t.Errorf("the error holds the token: %v", err)
	}

	// Hanging: the client's timeout ends the wait.
	release := make(chan struct{})
	defer close(release)
	slow, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, 200*time.Millisecond)
	start := time.Now()
	if _, err := slow.Get(context.Background(), "/api/hello", token); !errors.As(err, &unavailable) {
		t.Errorf("hanging API: %v, want an UnavailableError", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("waited %s, the timeout is 200 ms", d)
	}
}

func TestPostJSONSendsTheBody(t *testing.T) {
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, 100)
		n, _ := r.Body.Read(body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || string(body[:n]) != `{"text":"hi"}` {
			t.Errorf("the API got %s %q with %q", r.Method, r.Header.Get("Content-Type"), body[:n])
		}
		w.WriteHeader(http.StatusOK)
	}, time.Second)
	ex, err := c.PostJSONAs(context.Background(), "/api/notes", "Bearer", token, []byte(`{"text":"hi"}`))
	if err != nil || ex.Method != "POST" || ex.RequestBody != `{"text":"hi"}` || ex.Status != 200 {
		t.Errorf("exchange %+v, %v", ex, err)
	}
}

// The scope a 403 names (RFC 6750 section 3.1), from either challenge.
func TestInsufficientScopeIsRead(t *testing.T) {
	for _, tc := range []struct {
		challenges []string
		want       string
	}{
		{[]string{`Bearer realm="demo-api", error="insufficient_scope", error_description="x", scope="demo-api.write"`, `DPoP algs="ES256"`}, "demo-api.write"},
		{[]string{`DPoP algs="ES256", error="insufficient_scope", error_description="x", scope="demo-api.read"`, `Bearer realm="demo-api"`}, "demo-api.read"},
		{[]string{`Bearer realm="demo-api", error="insufficient_scope", error_description="needs the realm role admin"`}, ""},
		{[]string{`Bearer realm="demo-api", error="invalid_token", error_description="x", scope="demo-api.write"`}, ""},
		{[]string{`Bearer realm="demo-api", error="insufficient_scope", error_description="x", xscope="demo-api.write"`}, ""},
		{nil, ""},
	} {
		if got := insufficientScope(tc.challenges); got != tc.want {
			t.Errorf("insufficientScope(%q) = %q, want %q", tc.challenges, got, tc.want)
		}
	}
}

package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/testkit/testlog"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// The whole API as main runs it: configuration, discovery in the background,
// a real listener, token checks, graceful shutdown.
func TestRunServesAndShutsDown(t *testing.T) {
	p := testprovider.New()
	defer p.Close()
	env := map[string]string{"API_LISTEN_ADDR": "127.0.0.1:0", "OIDC_ISSUER": p.Issuer()}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &testlog.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo-api", "-env-file", t.TempDir() + "/none.env"}, func(k string) string { return env[k] }, out, out)
	}()

	addr := regexp.MustCompile(`msg=listening addr=(\S+)`)
	var base string
	for deadline := time.Now().Add(5 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			base = "http://" + m[1]
		}
	}
	if base == "" {
		t.Fatalf("the API did not start listening:\n%s", out)
	}

	waitFor(t, base+"/readyz", http.StatusOK)
	if status, _ := get(t, base+"/healthz", ""); status != http.StatusOK {
		t.Errorf("/healthz: %d", status)
	}
	// A token as Keycloak issues it for the app: accepted.
	now := time.Now()
	token := p.Sign(map[string]any{
		"iss": p.Issuer(), "sub": "alice-sub", "aud": []string{"demo-api", "account"}, "typ": "Bearer",
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "preferred_username": "alice", "scope": "openid demo-api.read",
	})
	if status, body := get(t, base+"/api/hello", token); status != http.StatusOK || !strings.Contains(body, `"preferred_username": "alice"`) {
		t.Errorf("/api/hello: %d %s", status, body)
	}
	if status, _ := get(t, base+"/api/admin", token); status != http.StatusForbidden {
		t.Errorf("/api/admin without the admin role: %d, want 403", status)
	}
	// A 1 MiB bearer token: the server refuses the headers before any
	// handler reads them (431 Request Header Fields Too Large).
	if status, _ := get(t, base+"/api/hello", strings.Repeat("A", 1<<20)); status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("/api/hello with a 1 MiB token: %d, want 431", status)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after a normal shutdown", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if !strings.Contains(out.String(), "msg=stopped") {
		t.Errorf("no 'stopped' log line:\n%s", out)
	}
}

func TestRunRefusesBadConfiguration(t *testing.T) {
	env := map[string]string{"API_LISTEN_ADDR": "4000", "OIDC_ISSUER": "not a url", "API_AUDIENCE": `demo "api"`}
	err := run(context.Background(), []string{"demo-api", "-env-file", t.TempDir() + "/none.env"},
		func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("run accepted a bad configuration")
	}
	for _, name := range []string{"API_LISTEN_ADDR", "OIDC_ISSUER", "API_AUDIENCE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func waitFor(t *testing.T, url string, want int) {
	t.Helper()
	last := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if last, _ = get(t, url, ""); last == want {
			return
		}
	}
	t.Fatalf("GET %s: %d, want %d", url, last, want)
}

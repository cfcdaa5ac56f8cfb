package lab

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The lab's client connects to this machine and nowhere else: addresses of
// other machines (public, private, documentation ranges, IPv6) are refused
// before any connection is made, and the loopback test server is reached.
func TestLabClientConnectsToLoopbackOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	l := New(Settings{Timeout: 2 * time.Second})
	client := l.client(nil)

	resp, err := client.Get(srv.URL) // 127.0.0.1
	if err != nil {
		t.Fatalf("GET %s (loopback): %v", srv.URL, err)
	}
	resp.Body.Close()

	for _, target := range []string{
		"http://192.0.2.1/",          // TEST-NET-1
		"http://10.0.0.1:8080/",      // private
		"http://[2001:db8::1]:8080/", // IPv6 documentation
		"http://0.0.0.0:8080/",       // "this host" on some systems, not loopback
		"http://169.254.169.254/",    // link-local (cloud metadata)
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		start := time.Now()
		resp, err := client.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			t.Errorf("GET %s: answered %d, want a refusal", target, resp.StatusCode)
			continue
		}
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("GET %s: %v, want ErrNotLoopback", target, err)
		}
		if time.Since(start) > time.Second {
			t.Errorf("GET %s took %s: the refusal should come before any connection attempt", target, time.Since(start))
		}
	}
}

// A name is judged by the address it resolves to, not by its spelling.
func TestRefuseNonLoopbackJudgesTheResolvedAddress(t *testing.T) {
	for address, ok := range map[string]bool{
		"127.0.0.1:3000": true, "127.8.9.10:80": true, "[::1]:3000": true, "[::ffff:127.0.0.1]:3000": true,
		"192.168.1.1:3000": false, "[fe80::1]:80": false, "localhost:3000": false, "8.8.8.8:53": false,
	} {
		err := refuseNonLoopback("tcp", address, nil)
		if (err == nil) != ok {
			t.Errorf("refuseNonLoopback(%s) = %v, want allowed %v", address, err, ok)
		}
	}
	for host, ok := range map[string]bool{"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "::1": true, "[::1]": true,
		"localhost.evil.example": false, "192.0.2.1": false, "example.com": false} {
		if IsLoopbackHost(host) != ok {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, !ok, ok)
		}
	}
}

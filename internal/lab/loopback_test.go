package lab

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The lab's client connects to loopback addresses only: it reaches the
// loopback test server, and it refuses 0.0.0.0 and [::], which are not
// loopback addresses (Linux connects them to this machine, so the test
// sends nothing elsewhere even if the check were broken), before any
// connection is made. Other machines' addresses are refused by the same
// function: TestRefuseNonLoopbackJudgesTheResolvedAddress.
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

	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, target := range []string{"http://0.0.0.0:" + port + "/", "http://[::]:" + port + "/"} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
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
	}
}

// A name is judged by the address it resolves to, not by its spelling.
func TestRefuseNonLoopbackJudgesTheResolvedAddress(t *testing.T) {
	for address, ok := range map[string]bool{
		"127.0.0.1:3000": true, "127.8.9.10:80": true, "[::1]:3000": true, "[::ffff:127.0.0.1]:3000": true,
		"192.168.1.1:3000": false, "[fe80::1]:80": false, "localhost:3000": false, "8.8.8.8:53": false,
		"0.0.0.0:3000": false, "[::]:3000": false, "169.254.169.254:80": false, "10.0.0.1:8080": false,
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

package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/testkit/redistest"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// On SIGTERM the app first reports not-ready while still serving (the
// drain: a load balancer stops sending it new requests), then stops
// accepting connections, lets the requests in flight finish, and returns
// nil (exit status 0).
func TestRunDrainsThenFinishesInFlightRequests(t *testing.T) {
	const drain = time.Second
	provider := testprovider.New()
	defer provider.Close()
	env := baseEnv(provider.Issuer())
	env["SHUTDOWN_DRAIN"] = drain.String()
	base, logs, stop := startRun(t, env, "-env-file", filepath.Join(t.TempDir(), "none.env"))
	waitStatus(t, base+"/readyz", http.StatusOK)
	addr := strings.TrimPrefix(base, "http://")

	// The request in flight: a back-channel logout whose body arrives
	// slowly. The handler is reading it when the shutdown begins.
	body, feed := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, base+"/backchannel-logout", body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	inFlight := make(chan int, 1)
	go func() {
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			t.Errorf("the in-flight request failed: %v", err)
			inFlight <- 0
			return
		}
		resp.Body.Close()
		inFlight <- resp.StatusCode
	}()
	if _, err := io.WriteString(feed, "logout_token="); err != nil {
		t.Fatal(err)
	}

	// What a load balancer and the slow client see during the shutdown.
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	type observed struct {
		notReady, closedAfter time.Duration
	}
	seen := make(chan observed, 1)
	start := time.Now()
	go func() {
		var o observed
		defer func() { seen <- o }()
		// During the drain: still served, but not ready.
		for deadline := time.Now().Add(drain); o.notReady == 0 && time.Now().Before(deadline); {
			if resp, err := probe.Get(base + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable {
					o.notReady = time.Since(start)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		// After it: no new connections.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err != nil {
				o.closedAfter = time.Since(start)
				break
			}
			conn.Close()
		}
		// Only now does the slow client finish its request.
		token := provider.Sign(provider.LogoutToken("sub-nobody", "sid-nobody"))
		io.WriteString(feed, url.QueryEscape(token))
		feed.Close()
	}()

	// Cancelling run's context is what SIGTERM does (signal.NotifyContext).
	if err := stop(); err != nil {
		t.Fatalf("run returned %v, want nil", err)
	}
	elapsed := time.Since(start)
	o := <-seen
	if o.notReady == 0 {
		t.Error("/readyz never answered 503 during the drain")
	}
	if o.closedAfter < drain-100*time.Millisecond {
		t.Errorf("new connections refused after %v, want after the %v drain (closedAfter=0: never)", o.closedAfter, drain)
	}
	if status := <-inFlight; status != http.StatusOK {
		t.Errorf("the in-flight request got %d, want 200: it must finish during the shutdown", status)
	}
	if elapsed > drain+5*time.Second {
		t.Errorf("shutdown took %v", elapsed)
	}
	for _, want := range []string{"shutting down", "back-channel logout", "stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	t.Logf("not ready after %v, listener closed after %v, run returned after %v",
		o.notReady.Round(time.Millisecond), o.closedAfter.Round(time.Millisecond), elapsed.Round(time.Millisecond))
}

// SESSION_STORE=redis://... wires the Redis stores; a Redis that is not
// there yet does not stop the app from starting, and the log never shows
// the Redis password.
func TestRunWithRedisSessionStore(t *testing.T) {
	redisSrv := redistest.Start(t)
	provider := testprovider.New()
	defer provider.Close()

	env := baseEnv(provider.Issuer())
	env["SESSION_STORE"] = redisSrv.URL()
	base, logs, stop := startRun(t, env, "-env-file", filepath.Join(t.TempDir(), "none.env"))
	waitStatus(t, base+"/readyz", http.StatusOK)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "session_store="+redisSrv.URL()) {
		t.Errorf("the log does not name the Redis store:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "not reachable") {
		t.Errorf("warned about a Redis that runs:\n%s", logs.String())
	}

	// Nothing listens on port 1.
	env["SESSION_STORE"] = "redis://:s3cret-redis-pw@127.0.0.1:1/0"
	base, logs, stop = startRun(t, env, "-env-file", filepath.Join(t.TempDir(), "none.env"))
	waitStatus(t, base+"/healthz", http.StatusOK)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "session store not reachable yet") {
		t.Errorf("no warning about the unreachable store:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "s3cret-redis-pw") {
		t.Errorf("the log shows the Redis password:\n%s", logs.String())
	}
}

package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/testkit/testlog"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// startRun starts the whole app as main does, on a free loopback port, and
// returns its base URL once it listens. Cancelling the returned func stops
// it and returns run's error.
func startRun(t *testing.T, env map[string]string, args ...string) (string, *testlog.Buffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout := &testlog.Buffer{}
	getenv := func(k string) string { return env[k] }
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"authcode-demo"}, args...), getenv, stdout, stdout) }()

	addr := regexp.MustCompile(`msg=listening addr=(\S+)`)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if m := addr.FindStringSubmatch(stdout.String()); m != nil {
			stop := func() error {
				cancel()
				select {
				case err := <-done:
					return err
				case <-time.After(15 * time.Second):
					t.Fatal("run did not return after cancel")
					return nil
				}
			}
			return "http://" + m[1], stdout, stop
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("run returned early: %v\n%s", err, stdout.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("app did not start listening:\n%s", stdout.String())
	return "", nil, nil
}

func baseEnv(issuer string) map[string]string {
	return map[string]string{
		"LISTEN_ADDR":        "127.0.0.1:0",
		"OIDC_ISSUER":        issuer,
		"OIDC_CLIENT_SECRET": "test-secret",
		"SHUTDOWN_DRAIN":     "0s", // TestRunDrainsThenFinishesInFlightRequests sets one
	}
}

func waitStatus(t *testing.T, url string, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	last := 0
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			last = resp.StatusCode
			if last == want {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("GET %s: status %d, want %d", url, last, want)
}

func TestRunServesAndShutsDownGracefully(t *testing.T) {
	provider := testprovider.New()
	defer provider.Close()

	base, logs, stop := startRun(t, baseEnv(provider.Issuer()), "-env-file", filepath.Join(t.TempDir(), "none.env"))
	waitStatus(t, base+"/healthz", http.StatusOK)
	waitStatus(t, base+"/readyz", http.StatusOK)
	// /readyz turns 200 the moment discovery is stored; the log line
	// follows from the discovery goroutine a moment later.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "provider discovered") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}

	if err := stop(); err != nil {
		t.Fatalf("run returned %v after shutdown, want nil", err)
	}
	for _, want := range []string{"provider discovered", "shutting down", "stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestRunStartsWhileProviderIsDown(t *testing.T) {
	provider := testprovider.New()
	defer provider.Close()
	provider.SetDown(true)

	base, _, stop := startRun(t, baseEnv(provider.Issuer()), "-env-file", filepath.Join(t.TempDir(), "none.env"))
	defer stop()
	waitStatus(t, base+"/healthz", http.StatusOK)
	waitStatus(t, base+"/readyz", http.StatusServiceUnavailable)
	waitStatus(t, base+"/login", http.StatusServiceUnavailable)

	provider.SetDown(false)
	waitStatus(t, base+"/readyz", http.StatusOK)
}

func TestRunReportsEveryBadVariableAtOnce(t *testing.T) {
	env := map[string]string{"LOG_LEVEL": "loud", "BASE_URL": "localhost:3000", "OIDC_SCOPES": "profile"}
	err := run(context.Background(), []string{"authcode-demo", "-env-file", filepath.Join(t.TempDir(), "none.env")},
		func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("run accepted a configuration without a client secret")
	}
	for _, name := range []string{"OIDC_CLIENT_SECRET", "LOG_LEVEL", "BASE_URL", "OIDC_SCOPES"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestRunReadsDotEnvButEnvironmentWins(t *testing.T) {
	provider := testprovider.New()
	defer provider.Close()
	dotenv := filepath.Join(t.TempDir(), ".env")
	content := "OIDC_CLIENT_SECRET=from-dotenv\nOIDC_ISSUER=http://127.0.0.1:1/wrong\n"
	if err := os.WriteFile(dotenv, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LISTEN_ADDR": "127.0.0.1:0", "OIDC_ISSUER": provider.Issuer(), "SHUTDOWN_DRAIN": "0"}

	// The app starts at all only because the secret came from .env.
	base, logs, stop := startRun(t, env, "-env-file", dotenv)
	defer stop()
	// The environment's issuer won over the .env one: discovery succeeds.
	waitStatus(t, base+"/readyz", http.StatusOK)
	if !strings.Contains(logs.String(), "issuer="+provider.Issuer()) {
		t.Errorf("the app did not use the environment's issuer:\n%s", logs.String())
	}
}

func TestRunFailsClearlyWhenThePortIsTaken(t *testing.T) {
	provider := testprovider.New()
	defer provider.Close()
	base, _, stop := startRun(t, baseEnv(provider.Issuer()), "-env-file", filepath.Join(t.TempDir(), "none.env"))
	defer stop()

	env := baseEnv(provider.Issuer())
	env["LISTEN_ADDR"] = strings.TrimPrefix(base, "http://")
	err := run(context.Background(), []string{"authcode-demo", "-env-file", filepath.Join(t.TempDir(), "none.env")},
		func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "LISTEN_ADDR") {
		t.Fatalf("run on a busy port returned %v, want an error naming LISTEN_ADDR", err)
	}
}

package e2e

// E2E_TARGET selects what the same tests run against:
//
//	(unset)        the tests build and start the app, the demo API and the
//	               second instance themselves (main_test.go, services_test.go)
//	compose        the containers of "docker compose up" in this checkout:
//	               app :3000, app2 :3001, app-consent :3005, api :4000, keycloak :8080
//	compose-scale  the scale profile ("docker compose up proxy"): nginx on
//	               :3000 in front of app-a and app-b, api :4000; only
//	               TestComposeScale runs (compose_scale_test.go)
//
// scripts/test-compose.sh starts each stack, runs the tests, and takes the
// stack down. In the compose targets the tests start no process of the
// demo; they follow the containers' logs (docker compose logs --follow)
// into the same app.log, app2.log and api.log files, so the tests that
// read the app's log work unchanged.

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	targetCompose      = "compose"
	targetComposeScale = "compose-scale"
)

var target = os.Getenv("E2E_TARGET")

func checkTarget() error {
	switch target {
	case "", targetCompose, targetComposeScale:
		return nil
	}
	return fmt.Errorf("E2E_TARGET=%q: want it unset (the tests start the programs), %q or %q (docker compose runs them)",
		target, targetCompose, targetComposeScale)
}

func composeTarget() bool { return target == targetCompose || target == targetComposeScale }

// backchannelBase is the app's address as Keycloak sees it, for the
// client's back-channel logout URL: localhost in a local run, the service
// name over the compose network (in the scale profile the proxy answers to
// it, network alias app).
func backchannelBase() string {
	if composeTarget() {
		return "http://app:3000"
	}
	return appURL
}

// apiURLOfApp is the demo API's address as the app calls it (API_URL):
// localhost in a local run, the service name over the compose network.
func apiURLOfApp() string {
	if composeTarget() {
		return "http://api:4000"
	}
	return apiURL
}

// requireTargetFor fails a test that cannot run against the selected
// target: the scale profile runs no second instance.
func requireTargetFor(t *testing.T) {
	t.Helper()
	if target == targetComposeScale && !strings.HasPrefix(t.Name(), "TestComposeScale") {
		t.Fatalf("E2E_TARGET=%s runs the scale profile, which has no second instance on :3001: "+
			"run only TestComposeScale there (go test ./e2e/ -run TestComposeScale), as scripts/test-compose.sh does", target)
	}
}

// attachCompose waits until the compose services answer and follows their
// logs. The returned func stops the followers; it is never nil.
func attachCompose() (stop func(), err error) {
	var followers []*appProcess
	stop = func() {
		for _, p := range followers {
			p.stop()
		}
	}
	if _, err := exec.LookPath("docker"); err != nil {
		return stop, fmt.Errorf("E2E_TARGET=%s needs the docker CLI: %w", target, err)
	}
	repoRoot, err := filepath.Abs("..")
	if err != nil {
		return stop, err
	}
	type service struct {
		what     string
		services []string
		baseURL  string
		logName  string
		proc     **appProcess
	}
	services := []service{
		{"app (compose service app)", []string{"app"}, appURL, "app.log", &theApp},
		{"second app instance (compose service app2)", []string{"app2"}, app2URL, "app2.log", &theApp2},
		{"demo API (compose service api)", []string{"api"}, apiURL, "api.log", &theAPI},
		{"third app instance (compose service app-fapi)", []string{"app-fapi"}, app3URL, "app3.log", &theApp3},
		{"consent instance (compose service app-consent)", []string{"app-consent"}, consentURL, "app-consent.log", &theConsent},
	}
	if target == targetComposeScale {
		services = []service{
			{"replicas behind nginx (compose services proxy, app-a, app-b)", []string{"app-a", "app-b"}, appURL, "app.log", &theApp},
			{"demo API (compose service api)", []string{"api"}, apiURL, "api.log", &theAPI},
		}
	}
	for _, s := range services {
		if err := waitReadyz(s.what, s.baseURL, 2*time.Minute); err != nil {
			return stop, fmt.Errorf("%w (is the stack up? scripts/test-compose.sh starts it; docker compose ps shows it)", err)
		}
		p, err := followLogs(repoRoot, s.what, s.logName, s.baseURL, s.services)
		if err != nil {
			return stop, err
		}
		followers = append(followers, p)
		*s.proc = p
	}
	return stop, nil
}

// waitReadyz waits until baseURL/readyz answers 200, saying so every 10 s.
func waitReadyz(what, baseURL string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	start := time.Now()
	last, said := "no answer", start
	for time.Since(start) < timeout {
		resp, err := client.Get(baseURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("HTTP %d", resp.StatusCode)
		} else {
			last = err.Error()
		}
		if time.Since(said) >= 10*time.Second {
			fmt.Printf("e2e: waiting for the %s at %s/readyz (%s so far; last answer: %s)\n", what, baseURL, time.Since(start).Round(time.Second), last)
			said = time.Now()
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("the %s was not ready (GET %s/readyz == 200) within %s; last answer: %s", what, baseURL, timeout, last)
}

// followLogs starts "docker compose logs --follow" for the services into
// the artifacts folder, and returns once a request of its own shows up in
// the file: from then on, what the services log arrives there.
func followLogs(repoRoot, what, logName, baseURL string, services []string) (*appProcess, error) {
	logPath := filepath.Join(artifactsDir, logName)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args := append([]string{"compose", "logs", "--no-color", "--no-log-prefix", "--follow"}, services...)
	cmd := exec.Command("docker", args...)
	cmd.Dir = repoRoot
	cmd.Stdout, cmd.Stderr = logFile, logFile
	dieWithTests(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("docker compose logs: %w", err)
	}
	p := &appProcess{cmd: cmd, logPath: logPath, logFile: logFile, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	fmt.Printf("e2e: following the logs of the %s (docker compose logs, pid %d) into %s\n", what, cmd.Process.Pid, logPath)

	// Every request is logged with its path: ask for a page that does not
	// exist and wait for its line.
	marker := fmt.Sprintf("/e2e-log-sync-%d", time.Now().UnixNano())
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("docker compose logs %s exited (%v):\n%s", strings.Join(services, " "), cmd.ProcessState, tail(logPath, 20))
		default:
		}
		if resp, err := client.Get(baseURL + marker); err == nil {
			resp.Body.Close()
		}
		if data, err := os.ReadFile(logPath); err == nil && strings.Contains(string(data), "path="+marker+" ") {
			return p, nil
		}
	}
	p.stop()
	return nil, errors.New("the log of the " + what + " (" + logPath + ") did not show the request " + marker + " within 30 s: docker compose logs does not follow it")
}

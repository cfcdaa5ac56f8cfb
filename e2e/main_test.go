package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The fixed addresses of the demo: the realm registers exactly
// http://localhost:3000/callback as the redirect URI and
// http://localhost:3000/backchannel-logout as the back-channel logout URL.
const (
	appURL       = "http://localhost:3000"
	appListen    = "localhost:3000"
	keycloakURL  = "http://localhost:8080"
	realm        = "demo"
	issuer       = keycloakURL + "/realms/" + realm
	clientID     = "demo-app"
	clientSecret = "demo-app-secret-change-me"

	// stepTimeout bounds every browser step and every wait, so that a hang
	// fails with a message instead of running into the CI time limit.
	stepTimeout = 30 * time.Second
)

var (
	// envProblem names a missing prerequisite (Keycloak, Chromium): the
	// tests skip, or fail in CI.
	envProblem string
	// setupErr is a failure of the harness itself (build, start): every
	// test fails with it.
	setupErr error

	artifactsDir string
	chromiumPath string
	theApp       *appProcess
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	artifactsDir, err = filepath.Abs(envOr("E2E_ARTIFACTS", "artifacts"))
	if err == nil {
		err = os.MkdirAll(artifactsDir, 0o755)
	}
	if err != nil {
		setupErr = fmt.Errorf("creating the artifacts folder (E2E_ARTIFACTS): %w", err)
		return m.Run()
	}
	chromiumPath = envOr("E2E_CHROMIUM", "/usr/bin/chromium")

	if err := checkTarget(); err != nil {
		setupErr = err
		return m.Run()
	}
	envProblem = checkPrerequisites()
	switch {
	case envProblem != "":
	case composeTarget():
		// docker compose runs the app, the demo API and the second
		// instance (compose_test.go): follow their logs, start nothing.
		stop, err := attachCompose()
		defer stop()
		setupErr = err
	default:
		theApp, setupErr = startApp()
		if theApp != nil {
			defer theApp.stop()
		}
		if setupErr == nil {
			// The demo API on :4000 and a second app instance on :3001
			// (services_test.go), stopped after the tests.
			stopServices, err := startServices()
			defer stopServices()
			setupErr = err
		}
	}
	return m.Run()
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// checkPrerequisites returns "" when Chromium and Keycloak's demo realm are
// there, or what is missing.
func checkPrerequisites() string {
	var missing []string
	if _, err := exec.LookPath(chromiumPath); err != nil {
		missing = append(missing, fmt.Sprintf("Chromium not found at %s (%v)", chromiumPath, err))
	}
	if err := keycloakReady(); err != nil {
		missing = append(missing, fmt.Sprintf("Keycloak's demo realm is not reachable at %s/.well-known/openid-configuration (%v)", issuer, err))
	}
	return strings.Join(missing, "; ")
}

// keycloakReady checks that the demo realm's discovery document answers
// with the expected issuer, retrying for a few seconds.
func keycloakReady() error {
	client := &http.Client{Timeout: 5 * time.Second}
	var err error
	for try := 0; try < 3; try++ {
		if try > 0 {
			time.Sleep(2 * time.Second)
		}
		var resp *http.Response
		resp, err = client.Get(issuer + "/.well-known/openid-configuration")
		if err != nil {
			continue
		}
		var doc struct {
			Issuer string `json:"issuer"`
		}
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		switch {
		case resp.StatusCode != http.StatusOK:
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		case err != nil:
			err = fmt.Errorf("decoding the discovery document: %w", err)
		case doc.Issuer != issuer:
			err = fmt.Errorf("issuer is %q, want %q", doc.Issuer, issuer)
		default:
			return nil
		}
	}
	return err
}

// requireEnv skips (locally) or fails (CI=true) a test whose prerequisites
// are missing, and fails it when the harness could not start the app.
func requireEnv(t *testing.T) {
	t.Helper()
	if envProblem != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("e2e prerequisites missing in CI: %s. .ci/run should have installed Chromium "+
				"(apt-get install -y chromium) and started Keycloak (scripts/keycloak.sh start) before running go test.", envProblem)
		}
		t.Skipf("e2e skipped: %s. Start Keycloak with: scripts/keycloak.sh start (and install Chromium: apt-get install chromium), "+
			"then run: go test ./e2e/ -v -count=1", envProblem)
	}
	if setupErr != nil {
		t.Fatalf("e2e setup failed: %v", setupErr)
	}
	requireTargetFor(t)
}

// --- the app under test ----------------------------------------------------

type appProcess struct {
	cmd     *exec.Cmd
	binDir  string
	logPath string
	logFile *os.File
	exited  chan struct{}
}

// startApp builds the app from the repository root and starts it on
// localhost:3000 against the demo realm, with its log in app.log.
func startApp() (*appProcess, error) {
	repoRoot, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "go.mod")); err != nil {
		return nil, fmt.Errorf("the repository root %s has no go.mod: run the tests with go test ./e2e/ from the repository", repoRoot)
	}
	if conn, err := net.DialTimeout("tcp", appListen, time.Second); err == nil {
		conn.Close()
		return nil, fmt.Errorf("port 3000 is already in use: stop the process there (an app started by hand? see: ss -ltnp 'sport = :3000'). " +
			"The tests need the port, because the realm only allows the redirect URI http://localhost:3000/callback")
	}

	binDir, err := os.MkdirTemp("", "authcode-demo-e2e-")
	if err != nil {
		return nil, err
	}
	bin, err := goBuild(repoRoot, binDir, "authcode-demo", ".")
	if err != nil {
		os.RemoveAll(binDir)
		return nil, err
	}

	logPath := filepath.Join(artifactsDir, "app.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-env-file", filepath.Join(binDir, "no.env"))
	cmd.Dir = binDir // so that no .env of the developer is read
	cmd.Env = appEnv()
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	dieWithTests(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		os.RemoveAll(binDir)
		return nil, fmt.Errorf("starting the app: %w", err)
	}
	app := &appProcess{cmd: cmd, binDir: binDir, logPath: logPath, logFile: logFile, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(app.exited)
	}()
	fmt.Printf("e2e: app started (pid %d), log: %s\n", cmd.Process.Pid, logPath)

	if err := app.waitReady(30 * time.Second); err != nil {
		app.stop()
		return nil, fmt.Errorf("%w\n----- %s -----\n%s", err, logPath, tail(logPath, 30))
	}
	return app, nil
}

// appEnv is the process environment with the app's settings replaced.
func appEnv() []string {
	settings := map[string]string{
		"LISTEN_ADDR":        appListen,
		"BASE_URL":           appURL,
		"OIDC_ISSUER":        issuer,
		"OIDC_DISCOVERY_URL": "",
		"OIDC_CLIENT_ID":     clientID,
		"OIDC_CLIENT_SECRET": clientSecret,
		"OIDC_SCOPES":        "openid profile email",
		"LOG_LEVEL":          "info",
		// The /api page (api_test.go): the demo API and the client
		// credentials client; the second instance uses session2.
		"API_URL":                    apiURL,
		"OIDC_SERVICE_CLIENT_ID":     serviceClientID,
		"OIDC_SERVICE_CLIENT_SECRET": serviceClientSecret,
		"SESSION_COOKIE_NAME":        "session",
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if _, ours := settings[name]; !ours {
			env = append(env, kv)
		}
	}
	for name, value := range settings {
		env = append(env, name+"="+value)
	}
	return env
}

func (a *appProcess) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	last := "no answer"
	for time.Now().Before(deadline) {
		select {
		case <-a.exited:
			return fmt.Errorf("the app exited during startup (%v)", a.cmd.ProcessState)
		default:
		}
		resp, err := client.Get(appURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("HTTP %d", resp.StatusCode)
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the app was not ready (GET %s/readyz == 200) within %s; last answer: %s", appURL, timeout, last)
}

// stop asks the app to shut down (SIGTERM) and kills it if it does not.
func (a *appProcess) stop() {
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.exited:
	case <-time.After(15 * time.Second):
		a.cmd.Process.Kill()
		<-a.exited
	}
	a.logFile.Close()
	os.RemoveAll(a.binDir)
}

// logOffset is the current size of the app's log: lines written after it
// belong to what a test does next.
func logOffset(t *testing.T) int64 {
	t.Helper()
	info, err := os.Stat(theApp.logPath)
	if err != nil {
		t.Fatalf("reading the app log: %v", err)
	}
	return info.Size()
}

// logLinesSince returns the app log's lines written after offset.
func logLinesSince(t *testing.T, offset int64) []string {
	t.Helper()
	data, err := os.ReadFile(theApp.logPath)
	if err != nil {
		t.Fatalf("reading the app log: %v", err)
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	text := strings.TrimRight(string(data[offset:]), "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// findLog returns the first line after offset that contains every part.
func findLog(t *testing.T, offset int64, parts ...string) (string, bool) {
	t.Helper()
	for _, line := range logLinesSince(t, offset) {
		if containsAll(line, parts...) {
			return line, true
		}
	}
	return "", false
}

// waitForLog waits until the app logs a line (after offset) that contains
// every part, and fails the test if none comes within stepTimeout.
func waitForLog(t *testing.T, offset int64, parts ...string) string {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		if line, ok := findLog(t, offset, parts...); ok {
			t.Logf("app log: %s", line)
			return line
		}
		if time.Now().After(deadline) {
			t.Fatalf("the app log (%s) has no line with %q within %s; its lines since the step:\n%s",
				theApp.logPath, parts, stepTimeout, strings.Join(logLinesSince(t, offset), "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// --- the app, seen without a browser -----------------------------------------

// noRedirectGet sends GET url with the given cookies and returns the status
// and the Location header, without following redirects.
func noRedirectGet(t *testing.T, url string, cookies []*http.Cookie) (int, string) {
	t.Helper()
	return noRedirect(t, http.MethodGet, url, cookies)
}

// noRedirect sends one request with the given cookies, as the browser
// would, without following a redirect; it returns the status and Location.
func noRedirect(t *testing.T, method, url string, cookies []*http.Cookie) (int, string) {
	t.Helper()
	client := &http.Client{
		Timeout:       stepTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// goBuild builds the package pkg of the repository at repoRoot ("." or
// "./cmd/demo-api") into dir/name and returns the binary's path.
func goBuild(repoRoot, dir, name, pkg string) (string, error) {
	bin := filepath.Join(dir, name)
	build := exec.Command("go", "build", "-o", bin, pkg)
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -o %s %s failed: %v\n%s", bin, pkg, err, out)
	}
	return bin, nil
}

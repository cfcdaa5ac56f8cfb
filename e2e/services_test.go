package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The other programs of the demo, beside the app on :3000: the demo API
// (cmd/demo-api) and a second instance of the app binary as client
// demo-app-2 (the realm allows exactly these URLs).
const (
	apiURL    = "http://localhost:4000"
	apiListen = "localhost:4000"

	app2URL          = "http://localhost:3001"
	app2Listen       = "localhost:3001"
	app2ClientID     = "demo-app-2"
	app2ClientSecret = "demo-app-2-secret-change-me"

	serviceClientID     = "demo-app-service"
	serviceClientSecret = "demo-app-service-secret-change-me"

	// The instance that asks for consent (consent_test.go): client
	// demo-app-consent, on :3005 with its own session cookie.
	consentURL          = "http://localhost:3005"
	consentListen       = "localhost:3005"
	consentClientID     = "demo-app-consent"
	consentClientSecret = "demo-app-consent-secret-change-me"
)

var theAPI, theApp2, theConsent *appProcess

// startServices builds the demo API and starts it and the second app
// instance (the app's binary, built by startApp). The returned func stops
// what was started; it is never nil.
func startServices() (stop func(), err error) {
	var started []*appProcess
	stop = func() {
		for i := len(started) - 1; i >= 0; i-- {
			started[i].stop()
		}
	}
	repoRoot, err := filepath.Abs("..")
	if err != nil {
		return stop, err
	}
	for _, addr := range []string{apiListen, app2Listen, consentListen} {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return stop, fmt.Errorf("%s is already in use: stop the process there (scripts/demo.sh stop? see: ss -ltnp). "+
				"The tests start the demo API on :4000, the second app instance on :3001 and the consent instance on :3005 (the realm allows exactly these callbacks)", addr)
		}
	}

	binDir, err := os.MkdirTemp("", "authcode-demo-e2e-api-")
	if err != nil {
		return stop, err
	}
	apiBin, err := goBuild(repoRoot, binDir, "demo-api", "./cmd/demo-api")
	if err != nil {
		os.RemoveAll(binDir)
		return stop, err
	}

	theAPI, err = startProcess("demo API", apiBin, binDir, "api.log", apiURL, withSettings(os.Environ(), map[string]string{
		"API_LISTEN_ADDR":    apiListen,
		"OIDC_ISSUER":        issuer,
		"OIDC_DISCOVERY_URL": "",
		"API_AUDIENCE":       "demo-api",
		"LOG_LEVEL":          "info",
	}))
	if err != nil {
		os.RemoveAll(binDir)
		return stop, err
	}
	started = append(started, theAPI)

	// The same binary as the app on :3000, with its own client, URL and
	// session cookie name (cookies are not port-specific). binDir "" : the
	// binary belongs to theApp, which removes it.
	theApp2, err = startProcess("second app instance", filepath.Join(theApp.binDir, "authcode-demo"), "", "app2.log", app2URL,
		withSettings(appEnv(), map[string]string{
			"LISTEN_ADDR":         app2Listen,
			"BASE_URL":            app2URL,
			"OIDC_CLIENT_ID":      app2ClientID,
			"OIDC_CLIENT_SECRET":  app2ClientSecret,
			"SESSION_COOKIE_NAME": "session2",
		}))
	if err != nil {
		return stop, err
	}
	started = append(started, theApp2)

	// The consent instance: the same binary again, as demo-app-consent.
	theConsent, err = startProcess("consent instance", filepath.Join(theApp.binDir, "authcode-demo"), "", "app-consent.log", consentURL,
		withSettings(appEnv(), map[string]string{
			"LISTEN_ADDR":         consentListen,
			"BASE_URL":            consentURL,
			"OIDC_CLIENT_ID":      consentClientID,
			"OIDC_CLIENT_SECRET":  consentClientSecret,
			"SESSION_COOKIE_NAME": "session_consent",
		}))
	if err != nil {
		return stop, err
	}
	started = append(started, theConsent)
	return stop, nil
}

// withSettings returns env with the given variables replaced.
func withSettings(env []string, settings map[string]string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if _, ours := settings[name]; !ours {
			out = append(out, kv)
		}
	}
	for name, value := range settings {
		out = append(out, name+"="+value)
	}
	return out
}

// startProcess starts bin with env, its log in the artifacts folder, and
// waits until baseURL/readyz answers 200.
func startProcess(what, bin, binDir, logName, baseURL string, env []string) (*appProcess, error) {
	return startProcessReadyAt(what, bin, binDir, logName, baseURL+"/readyz", env)
}

// startProcessReadyAt is startProcess for a program without /readyz
// (cmd/minimal): it waits until readyURL answers 200.
func startProcessReadyAt(what, bin, binDir, logName, readyURL string, env []string) (*appProcess, error) {
	logPath := filepath.Join(artifactsDir, logName)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	workDir, err := os.MkdirTemp("", "authcode-demo-e2e-wd-")
	if err != nil {
		logFile.Close()
		return nil, err
	}
	cmd := exec.Command(bin, "-env-file", filepath.Join(workDir, "no.env"))
	cmd.Dir = workDir // so that no .env of the developer is read
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	dieWithTests(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		os.RemoveAll(workDir)
		return nil, fmt.Errorf("starting the %s: %w", what, err)
	}
	os.RemoveAll(workDir) // it was only the working directory to start in
	p := &appProcess{cmd: cmd, binDir: binDir, logPath: logPath, logFile: logFile, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	fmt.Printf("e2e: %s started (pid %d), log: %s\n", what, cmd.Process.Pid, logPath)

	client := &http.Client{Timeout: 2 * time.Second}
	last := "no answer"
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("the %s exited during startup (%v)\n----- %s -----\n%s", what, cmd.ProcessState, logPath, tail(logPath, 30))
		default:
		}
		resp, err := client.Get(readyURL)
		if err != nil {
			last = err.Error()
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return p, nil
		}
		last = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	p.stop()
	return nil, fmt.Errorf("the %s was not ready (GET %s == 200) within 30 s; last answer: %s\n----- %s -----\n%s",
		what, readyURL, last, logPath, tail(logPath, 30))
}

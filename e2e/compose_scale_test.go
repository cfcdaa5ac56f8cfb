package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Scenario: the "scale" profile of docker-compose.yml, as docs/docker.md
// describes it. Two replicas of the app keep their sessions
// in Redis behind nginx on :3000. Logged in through nginx, alice stays
// logged in while both replicas restart, and while both are recreated as
// new containers (nginx asks Docker's DNS for their addresses again,
// without a restart of its own); with Redis stopped, pages that need the
// session answer a clear 503; with Redis back, the same session works.
// The /api page works behind the proxy (the profile starts the demo API).
//
// It needs the running scale profile: scripts/test-compose.sh starts it and
// runs this test with E2E_TARGET=compose-scale.
func TestComposeScale(t *testing.T) {
	if target != targetComposeScale {
		t.Skipf("runs against the scale profile of docker compose only (E2E_TARGET=%s): "+
			"scripts/test-compose.sh starts it and runs this test (in CI too, after this run)", targetComposeScale)
	}
	b := newBrowser(t)

	t.Log("log in through nginx")
	sid := b.login("alice", "alice-password")
	cookies := b.appCookies()
	expectSessionThroughProxy(t, cookies, "after login")

	t.Log("the /api page behind the proxy: the scale profile starts the demo API")
	b.openAPIPage()
	if r := b.callAPI("hello", "press Call /api/hello as alice, through nginx"); r.status != "200 OK" {
		t.Errorf("/api/hello through nginx: %s (%s), want 200 OK: does the scale profile start the api service?", r.status, r.outcome)
	}

	t.Log("restart both replicas: the session lives in Redis")
	composeRun(t, "restart", "app-a", "app-b")
	waitReplicasReady(t)
	expectSessionThroughProxy(t, cookies, "after docker compose restart app-a app-b")

	t.Log("recreate both replicas with new addresses: nginx must find them again without a restart")
	proxyBefore := containerFact(t, "proxy", "{{.Id}} {{.State.StartedAt}}")
	recreateWithNewAddresses(t)
	if after := containerFact(t, "proxy", "{{.Id}} {{.State.StartedAt}}"); after != proxyBefore {
		t.Errorf("the proxy container changed (%s, was %s): the test must show nginx finding recreated replicas without a restart", after, proxyBefore)
	}
	expectSessionThroughProxy(t, cookies, "after both replicas were recreated")
	b.do("reload /profile through nginx", chromedp.Navigate(appURL+"/profile"))
	if got := b.expectProfile("alice"); got != sid {
		t.Errorf("after the restarts the profile shows the Keycloak session %q, want the one of the login %q", got, sid)
	}

	t.Log("stop Redis: pages that need the session answer 503, clearly")
	composeRun(t, "stop", "redis")
	// Many requests: nginx spreads them over both replicas (checked below).
	for i := 0; i < 20; i++ {
		status, body := getWithCookies(t, appURL+"/profile", cookies)
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "Sessions are unavailable") {
			t.Fatalf("GET /profile with Redis stopped (request %d): HTTP %d, want 503 with \"Sessions are unavailable\"; body:\n%.600s", i+1, status, body)
		}
	}
	if resp := b.navigate("reload /profile with Redis stopped", appURL+"/profile"); resp != http.StatusServiceUnavailable {
		t.Errorf("the browser got HTTP %d for /profile with Redis stopped, want 503", resp)
	}
	if title := b.text(testID("error-title")); title != "Sessions are unavailable" {
		t.Errorf("the page with Redis stopped is titled %q, want %q", title, "Sessions are unavailable")
	}
	for _, r := range replicas {
		if logs := composeRun(t, "logs", "--no-color", "--no-log-prefix", r); !strings.Contains(logs, "session store error") {
			t.Errorf("%s logged no session store error: nginx sent it none of the 20 requests above (it should spread them over both replicas)", r)
		}
	}

	t.Log("start Redis again: the same session works, without restarting the replicas")
	composeRun(t, "start", "redis")
	deadline := time.Now().Add(45 * time.Second)
	for {
		status, _ := getWithCookies(t, appURL+"/profile", cookies)
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /profile 45 s after Redis was started again: HTTP %d, want 200 (the same session)", status)
		}
		time.Sleep(time.Second)
	}
	expectSessionThroughProxy(t, cookies, "after Redis came back")
	b.do("reload /profile with Redis back", chromedp.Navigate(appURL+"/profile"))
	if got := b.expectProfile("alice"); got != sid {
		t.Errorf("with Redis back the profile shows the Keycloak session %q, want %q", got, sid)
	}
}

var replicas = []string{"app-a", "app-b"}

// composeRun runs "docker compose ARGS" in the repository and returns its
// output; a failure fails the test.
func composeRun(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("docker", append([]string{"compose"}, args...)...)
	cmd.Dir = ".." // the repository: go test runs in e2e/
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker compose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if args[0] != "logs" && args[0] != "ps" {
		t.Logf("docker compose %s (%s)", strings.Join(args, " "), time.Since(start).Round(100*time.Millisecond))
	}
	return string(out)
}

// recreateWithNewAddresses recreates both replicas so that each gets an
// address no replica had before: an nginx that resolved the names only at
// start would now send every request to an address where nothing listens
// (502). Docker hands a freed address to the next container, so while a
// replica is recreated, a placeholder container holds its old address.
func recreateWithNewAddresses(t *testing.T) {
	t.Helper()
	old := map[string]bool{}
	for _, r := range replicas {
		old[replicaAddress(t, r)] = true
	}
	for i, r := range replicas {
		before := replicaAddress(t, r)
		composeRun(t, "stop", r)
		placeholder := fmt.Sprintf("authcode-demo-e2e-placeholder-%d", i)
		t.Cleanup(func() { exec.Command("docker", "rm", "-f", placeholder).Run() })
		// Any image of the project will do: the Redis service's, sleeping.
		composeRun(t, "run", "-d", "--no-deps", "--name", placeholder, "--entrypoint", "sleep", "redis", "600")
		composeRun(t, "up", "-d", "--no-deps", "--force-recreate", r)
		after := replicaAddress(t, r)
		t.Logf("%s recreated: address %s before, %s now (%s holds the old one)", r, before, after, placeholder)
		if old[after] {
			t.Errorf("%s got address %s again, one the replicas had before: the test cannot show that nginx resolves the names again", r, after)
		}
	}
	for i := range replicas {
		name := fmt.Sprintf("authcode-demo-e2e-placeholder-%d", i)
		if out, err := exec.Command("docker", "rm", "-f", name).CombinedOutput(); err != nil {
			t.Fatalf("docker rm -f %s: %v\n%s", name, err, out)
		}
	}
	// nginx caches Docker's answers for 10 s (valid=10s): until then it
	// may try the old addresses, and moves on to the next one.
	waitReplicasReady(t)
}

// containerFact is docker inspect -f format of the service's container.
func containerFact(t *testing.T, service, format string) string {
	t.Helper()
	id := strings.TrimSpace(composeRun(t, "ps", "-q", service))
	if id == "" || strings.Contains(id, "\n") {
		t.Fatalf("docker compose ps -q %s: %q, want one container", service, id)
	}
	out, err := exec.Command("docker", "inspect", "-f", format, id).CombinedOutput()
	if err != nil {
		t.Fatalf("docker inspect %s: %v\n%s", service, err, out)
	}
	return strings.TrimSpace(string(out))
}

// replicaAddress is the replica's IP address on the compose network.
func replicaAddress(t *testing.T, service string) string {
	t.Helper()
	return containerFact(t, service, "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}")
}

// waitReplicasReady waits until /readyz through nginx answers 200 ten
// times in a row: both replicas are back (nginx spreads the requests).
func waitReplicasReady(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	ok, last := 0, "no answer"
	for deadline := time.Now().Add(90 * time.Second); ok < 10; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the replicas behind nginx were not ready within 90 s (GET %s/readyz; last answer: %s)", appURL, last)
		}
		resp, err := client.Get(appURL + "/readyz")
		if err != nil {
			ok, last = 0, err.Error()
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ok++
		} else {
			ok, last = 0, resp.Status
		}
	}
}

// expectSessionThroughProxy checks that the cookies still get alice's
// profile through nginx, on several requests (both replicas).
func expectSessionThroughProxy(t *testing.T, cookies []*http.Cookie, when string) {
	t.Helper()
	for i := 0; i < 6; i++ {
		status, body := getWithCookies(t, appURL+"/profile", cookies)
		if status != http.StatusOK || !strings.Contains(body, "alice") {
			t.Fatalf("%s: GET /profile through nginx with the browser's cookies (request %d): HTTP %d, want 200 with alice's profile: the session was lost", when, i+1, status)
		}
	}
	t.Logf("%s: GET /profile through nginx, 6 times: HTTP 200, still logged in", when)
}

// getWithCookies sends GET url with the cookies, without following
// redirects, and returns the status and the body.
func getWithCookies(t *testing.T, url string, cookies []*http.Cookie) (int, string) {
	t.Helper()
	client := &http.Client{
		Timeout:       stepTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

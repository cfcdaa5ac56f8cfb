package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium with its own fresh profile (cookies,
// storage): one person at one computer.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string // this test's screenshot folder
	step  int
}

// newBrowser starts Chromium for the test and closes it when the test ends.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	requireEnv(t)

	// A fresh profile per browser, and Chromium's own temporary files
	// beside it, so that the cleanup leaves nothing behind in /tmp.
	root, err := os.MkdirTemp("", "e2e-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	profile, tmp := filepath.Join(root, "profile"), filepath.Join(root, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.Env("TMPDIR="+tmp),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc() // waits for the browser process to exit
		os.RemoveAll(root)
	})

	// The first Do starts the browser and binds it to ctx, so it must not
	// get a timeout context: bound it from outside.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting Chromium (%s): %v", chromiumPath, err)
		}
	case <-time.After(stepTimeout):
		t.Fatalf("Chromium (%s) did not start within %s", chromiumPath, stepTimeout)
	}

	// The test's folder starts empty, so that it holds this run's pictures
	// only (a second browser in the same test adds to it).
	shots := filepath.Join(artifactsDir, safeName(t.Name()))
	if _, seen := cleanedShotDirs.LoadOrStore(shots, true); !seen {
		os.RemoveAll(shots)
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, shots: shots}
}

var cleanedShotDirs sync.Map

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string {
	s = strings.Trim(unsafeChars.ReplaceAllString(s, "-"), "-")
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

// do runs one step: logs it, runs the actions within stepTimeout, takes a
// screenshot, and fails the test with the step's name if an action failed.
func (b *browser) do(desc string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.step++
	b.t.Logf("step %d: %s", b.step, desc)
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	err := chromedp.Do(ctx, actions...)
	shot := b.screenshot(desc)
	if err != nil {
		b.t.Fatalf("step %d (%s) failed: %v\n  page: %s\n  screenshot: %s", b.step, desc, err, b.locationNoFail(), shot)
	}
}

// get runs one action that returns a value, within stepTimeout. It takes no
// screenshot: it only reads.
func get[T any](b *browser, what string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("reading %s failed: %v\n  page: %s\n  screenshot: %s", what, err, b.locationNoFail(), b.screenshot("failed reading "+what))
	}
	return v
}

// screenshot writes a PNG of the whole page and returns its path.
func (b *browser) screenshot(desc string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	// Web fonts (Keycloak's theme has its own) draw no text until they have
	// loaded: wait for them, so the picture shows what a person would see.
	chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("  (no screenshot: %v)", err)
		return "(none)"
	}
	path := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.step, safeName(desc)))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("  (no screenshot: %v)", err)
		return "(none)"
	}
	b.t.Logf("  screenshot: %s", path)
	return path
}

func (b *browser) location() string {
	b.t.Helper()
	return get(b, "the page's URL", chromedp.Location())
}

func (b *browser) locationNoFail() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return loc
}

// text returns the trimmed text of the first element matching the CSS selector.
func (b *browser) text(css string) string {
	b.t.Helper()
	return strings.TrimSpace(get(b, css, chromedp.TextContent(chromedp.CSS(css))))
}

// texts returns the trimmed texts of every element matching the CSS selector
// (none is fine).
func (b *browser) texts(css string) []string {
	b.t.Helper()
	js := fmt.Sprintf(`Array.from(document.querySelectorAll(%q), e => e.textContent.trim())`, css)
	return get(b, css, chromedp.Evaluate[[]string](js))
}

// count returns how many elements match the CSS selector now (no waiting).
func (b *browser) count(css string) int {
	b.t.Helper()
	return get(b, "count of "+css, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, css)))
}

// appCookies returns the browser's cookies for the app, to replay them from Go.
func (b *browser) appCookies() []*http.Cookie {
	b.t.Helper()
	res := get(b, "the app's cookies", func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{appURL + "/"}})
	})
	cookies := make([]*http.Cookie, 0, len(res.Cookies))
	for _, c := range res.Cookies {
		cookies = append(cookies, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return cookies
}

// testID is the CSS selector of a data-testid.
func testID(id string) string { return fmt.Sprintf(`[data-testid=%q]`, id) }

// --- steps shared by the scenarios ------------------------------------------

// expectKeycloakLoginForm waits for Keycloak's own login page with its
// password form, and checks it is served by Keycloak, not the app.
func (b *browser) expectKeycloakLoginForm(desc string) {
	b.t.Helper()
	b.do(desc,
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("kc-login")),
	)
	if loc := b.location(); !strings.HasPrefix(loc, issuer+"/") {
		b.t.Fatalf("the login form is at %s, want a page of Keycloak's realm %s", loc, issuer)
	}
}

// fillKeycloakLogin types the credentials on Keycloak's login page and
// presses "Sign In".
func (b *browser) fillKeycloakLogin(username, password string) {
	b.t.Helper()
	b.do(fmt.Sprintf("type %s's username and a password on Keycloak's page, press Sign In", username),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.Clear(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("kc-login")),
	)
}

// expectProfile waits for the profile page of username and returns the
// provider session id (sid) it shows.
func (b *browser) expectProfile(username string) string {
	b.t.Helper()
	b.do(fmt.Sprintf("wait for %s's profile page", username),
		chromedp.WaitVisible(chromedp.CSS(testID("preferred-username"))),
	)
	if loc := b.location(); loc != appURL+"/profile" {
		b.t.Fatalf("after login the browser is at %s, want %s/profile", loc, appURL)
	}
	if got := b.text(testID("preferred-username")); got != username {
		b.t.Fatalf("the profile shows username %q, want %q", got, username)
	}
	if got := b.text(testID("nav-user")); got != username {
		b.t.Fatalf("the navigation shows %q as logged in, want %q", got, username)
	}
	sid := b.text(testID("sid"))
	if sid == "" {
		b.t.Fatalf("the profile shows no provider session id (sid)")
	}
	return sid
}

// login goes from the app's home page through Keycloak's login form to the
// profile and returns the sid of the new session.
func (b *browser) login(username, password string) string {
	b.t.Helper()
	b.do("open the home page", chromedp.Navigate(appURL+"/"), chromedp.WaitVisible(chromedp.CSS(testID("nav-login"))))
	b.do("click Log in", chromedp.Click(chromedp.CSS(testID("nav-login"))))
	b.expectKeycloakLoginForm("wait for Keycloak's login form")
	b.fillKeycloakLogin(username, password)
	return b.expectProfile(username)
}

// expectLoggedOutAtApp checks, outside the browser, that the browser's
// cookies give no logged-in session at the app: GET /profile redirects to
// /login?next=%2Fprofile.
func (b *browser) expectLoggedOutAtApp() {
	b.t.Helper()
	status, location := noRedirectGet(b.t, appURL+"/profile", b.appCookies())
	if (status != http.StatusFound && status != http.StatusSeeOther) || location != "/login?next=%2Fprofile" {
		b.t.Fatalf("GET /profile with the browser's cookies: HTTP %d Location %q, want a redirect to /login?next=%%2Fprofile (no session)", status, location)
	}
	b.t.Logf("GET /profile with the browser's cookies: HTTP %d to %s: no session at the app", status, location)
}

// expectLoggedInAtApp is the counterpart of expectLoggedOutAtApp: the
// browser's cookies, replayed from Go, get the profile (HTTP 200). It shows
// that the replay works, so that a redirect later means a lost session.
func (b *browser) expectLoggedInAtApp() {
	b.t.Helper()
	status, location := noRedirectGet(b.t, appURL+"/profile", b.appCookies())
	if status != http.StatusOK {
		b.t.Fatalf("GET /profile with the browser's cookies: HTTP %d Location %q, want 200 (logged in)", status, location)
	}
	b.t.Logf("GET /profile with the browser's cookies: HTTP 200: logged in at the app")
}

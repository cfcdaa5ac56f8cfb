package handlers_test

// The identity provider is a separate service: it may be down when the app
// starts, go down in the middle of a login, or answer too slowly. The app
// must say so with an error page, never hang, and never log anyone in.

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestProviderDownAtStart(t *testing.T) {
	app := newTestApp(t, func(o *appOptions) { o.providerDown = true })
	b := app.newBrowser()

	if resp := b.get("/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz before discovery: status %d, want 503", resp.StatusCode)
	}
	if resp := b.get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: status %d, want 200 (the process runs)", resp.StatusCode)
	}
	resp := b.get("/login?next=%2Fprofile")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/login before discovery: status %d, want 503", resp.StatusCode)
	}
	if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(resp.Body, `data-testid="error-title"`) {
		t.Errorf("/login before discovery is not the HTML error page:\n%s", resp.Body)
	}
	if !strings.Contains(resp.Body, `href="/login?next=%2Fprofile" data-testid="error-retry"`) {
		t.Errorf("the error page has no link to retry the login:\n%s", resp.Body)
	}
	if b.loggedIn() {
		t.Fatal("logged in without a provider")
	}

	// The provider comes up: the app discovers it in the background and
	// logs people in, without a restart.
	app.provider.SetDown(false)
	deadline := time.Now().Add(10 * time.Second)
	for b.get("/readyz").StatusCode != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still not 200 10 s after the provider came up\n%s", app.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.mustLogin("/profile")
	if !b.loggedIn() {
		t.Error("not logged in after the provider came up")
	}
}

// The provider goes down after the browser left for it: the code exchange
// fails, and the app answers 502 (a bad gateway: the fault is upstream).
func TestProviderDownAtCallback(t *testing.T) {
	app := newTestApp(t)
	b := app.newBrowser()
	_, callback := b.pendingCallback("/profile")

	app.provider.SetDown(true)
	offset := app.logOffset()
	resp := b.get(callback.String())
	expectLoginRefused(t, app, b, resp, http.StatusBadGateway, offset, "token exchange failed at the provider: 503")
}

// A provider that does not answer must not hang the request: the app's
// outbound HTTP client has a timeout, and the user gets a 502 page.
func TestProviderTooSlowAtCallback(t *testing.T) {
	const timeout = 300 * time.Millisecond
	app := newTestApp(t, func(o *appOptions) { o.providerTimeout = timeout })
	b := app.newBrowser()
	_, callback := b.pendingCallback("/profile")

	app.provider.SetDelay(time.Minute)
	t.Cleanup(func() { app.provider.SetDelay(0) })
	offset := app.logOffset()
	start := time.Now()
	resp := b.get(callback.String())
	elapsed := time.Since(start)
	app.provider.SetDelay(0)

	if elapsed > 10*timeout {
		t.Errorf("the callback took %v with a %v provider timeout", elapsed, timeout)
	}
	expectLoginRefused(t, app, b, resp, http.StatusBadGateway, offset, "provider unreachable or timed out")
}

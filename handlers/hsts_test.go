package handlers_test

import (
	"net/http"
	"testing"
)

// With BASE_URL on https the app tells browsers to use https only (HSTS,
// RFC 6797), on every response, so a network attacker cannot downgrade a
// later visit to http and read the session cookie. Over plain http the
// header means nothing (browsers ignore it) and is not sent.
func TestHSTSWhenBaseURLIsHTTPS(t *testing.T) {
	app := newTestApp(t, func(o *appOptions) { o.https = true })
	b := app.newBrowser()
	for _, path := range []string{"/", "/login", "/profile", "/no-such-page", "/healthz"} {
		resp := b.get(path)
		if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("GET %s over https: Strict-Transport-Security %q, want max-age=31536000", path, got)
		}
	}

	plain := newTestApp(t).newBrowser()
	if got := plain.get("/").Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("BASE_URL on http: Strict-Transport-Security %q, want none", got)
	}
	if resp := plain.get("/"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /: %d", resp.StatusCode)
	}
}

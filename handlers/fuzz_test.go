package handlers_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authcode-demo/authcode-demo/app"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// fuzzApp is the app wired as newTestApp wires it, but built once for a
// whole fuzz run (newTestApp needs a *testing.T) and called in-process,
// which is much faster than loopback HTTP.
type fuzzApp struct {
	handler http.Handler
	issuer  string // sent as iss on every callback, as the provider does (RFC 9207)
}

const fuzzAppURL = "http://app.example"

func newFuzzApp(f *testing.F) *fuzzApp {
	provider := testprovider.New()
	f.Cleanup(provider.Close)
	web := buildApp(f, providerConfig(provider, fuzzAppURL), app.Options{Logger: slog.New(slog.DiscardHandler)})
	if err := web.Auth.Discover(context.Background()); err != nil {
		f.Fatalf("discovery: %v", err)
	}
	return &fuzzApp{handler: web.Handler, issuer: provider.Issuer()}
}

// get serves one GET in-process, with cookies, and returns the response.
func (a *fuzzApp) get(target string, cookies []*http.Cookie) *http.Response {
	req := httptest.NewRequest(http.MethodGet, fuzzAppURL+target, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec.Result()
}

// startLogin does GET /login and returns the session cookie and the state.
func (a *fuzzApp) startLogin(t *testing.T) ([]*http.Cookie, string) {
	resp := a.get("/login", nil)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Query().Get("state") == "" {
		t.Fatalf("GET /login: status %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return resp.Cookies(), loc.Query().Get("state")
}

var requestIDInBody = regexp.MustCompile(`data-testid="request-id">[0-9a-f]+<`)

// callbackPage requests /callback with q and returns status and body, the
// body with its request id blanked so pages can be compared.
func (a *fuzzApp) callbackPage(t *testing.T, q url.Values, cookies []*http.Cookie) (int, string) {
	if !q.Has("iss") {
		q.Set("iss", a.issuer)
	}
	resp := a.get("/callback?"+q.Encode(), cookies)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, requestIDInBody.ReplaceAllString(string(body), `data-testid="request-id">ID<`)
}

// FuzzCallbackParams sends arbitrary state, code, error and
// error_description values to /callback, with a state this browser never
// issued or (issued=true) with its genuine state. Whatever they are, the
// answer is a 400 page, nothing from an unverified callback is reflected,
// and what is reflected is escaped.
func FuzzCallbackParams(f *testing.F) {
	app := newFuzzApp(f)
	f.Add("forged", "code", "", "", false)
	f.Add("", "", "", "", false)
	f.Add("x", "", "access_denied", "<script>alert(1)</script>", false)
	f.Add("", "", "access_denied", "<script>alert(1)</script>", true)
	f.Add("", "", "<img src=x onerror=alert(1)>", "\"'><svg onload=alert(1)>", true)
	f.Add("", "some-code", "", "", true)
	f.Add("", "", "", "", true)
	f.Add("", "c", "e", strings.Repeat("<é", 400), true)
	f.Add("", "", "x", ";</p><script>alert(1)</script>", true)
	f.Add("", "code\x00\r\n", "\xff\xfe", "&lt;already escaped&gt;", true)

	f.Fuzz(func(t *testing.T, state, code, errorCode, description string, issued bool) {
		q := url.Values{}
		for name, v := range map[string]string{"code": code, "error": errorCode, "error_description": description} {
			if v != "" {
				q.Set(name, v)
			}
		}
		var cookies []*http.Cookie
		if issued {
			cookies, state = app.startLogin(t)
		} else {
			// A browser with a login of its own in flight, and a state
			// that is not it.
			var genuine string
			cookies, genuine = app.startLogin(t)
			if state == genuine {
				t.Skip("the fuzzer guessed a 256-bit random state")
			}
		}
		q.Set("state", state)

		status, body := app.callbackPage(t, q, cookies)
		if status != http.StatusBadRequest {
			t.Fatalf("status %d, want 400 for %v\n%s", status, q, body)
		}

		// Every '<' in the page is the template's own: input never opens
		// a tag, wherever it is shown.
		wantLT := strings.Count(app.baseline(t, issued, errorCode != ""), "<")
		if got := strings.Count(body, "<"); got != wantLT {
			t.Fatalf("the page has %d '<', the same page for harmless input %d: input was not escaped\n%s", got, wantLT, body)
		}

		switch {
		case !issued:
			// Unverified: nothing from the callback is shown at all.
			if base := app.baseline(t, false, false); body != base {
				t.Fatalf("the page for a forged state depends on the input %v:\n%s\nwant:\n%s", q, body, base)
			}
		case errorCode != "" && description != "" && len(description) <= 300 && strings.ContainsAny(description, "<>&\"'"):
			// Verified provider error: the description is shown, escaped.
			if !strings.Contains(body, html.EscapeString(description)) {
				t.Fatalf("the escaped description is not on the page:\n%s", body)
			}
		}
	})
}

// baseline renders the page a callback gets for harmless input: a forged
// state, or the genuine one with a provider error (withError) or a bad code.
func (a *fuzzApp) baseline(t *testing.T, issued, withError bool) string {
	cookies, state := a.startLogin(t)
	q := url.Values{"state": {"not-issued"}, "code": {"x"}}
	if issued {
		q.Set("state", state)
		if withError {
			q = url.Values{"state": {state}, "error": {"x"}, "error_description": {"x"}}
		}
	}
	_, body := a.callbackPage(t, q, cookies)
	return body
}

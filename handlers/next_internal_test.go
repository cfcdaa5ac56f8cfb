package handlers

// Tests of unexported pieces: the open-redirect guard safeNext (also
// fuzzed) and the panic-recovery middleware, which no route can trigger.

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"
)

var safeNextTests = []struct {
	raw  string
	want string // "" = refused
}{
	{"/profile", "/profile"},
	{"/profile?tab=1", "/profile?tab=1"},
	{"/?a=1&b=2", "/?a=1&b=2"},
	{"/profile#section", "/profile"},
	{"/a b", "/a%20b"},
	{"/caf\u00e9", "/caf%C3%A9"},
	{"/", "/"},
	{"", ""},
	{"//evil.example", ""},
	{"//evil.example/profile", ""},
	{"///evil.example", ""},
	{"/\\evil.example", ""},
	{"\\\\evil.example", ""},
	{"\\/evil.example", ""},
	{"/\\\\evil.example", ""},
	{"https://evil.example/x", ""},
	{"http:/evil.example", ""},
	{"http:evil.example", ""},
	{"javascript:alert(1)", ""},
	{"data:text/html,<script>alert(1)</script>", ""},
	{"evil.example", ""},
	{" /profile", ""},
	{"/\t/evil.example", ""},
	{"/\n/evil.example", ""},
	{"/\r\nSet-Cookie: x=y", ""},
	{"/profile\x00", ""},
	{"/profile\x7f", ""},
	{"/%2F%2Fevil.example", ""},
	{"/%2fevil.example", ""},
	{"/%5Cevil.example", ""},
	{"/%5cevil.example", ""},
	{"/%zz", ""}, // not a valid escape
	{"/" + strings.Repeat("a", 2048), ""},
}

func TestSafeNext(t *testing.T) {
	for _, tt := range safeNextTests {
		got, ok := safeNext(tt.raw)
		if tt.want == "" {
			if ok {
				t.Errorf("safeNext(%q) = %q, ok; want it refused", tt.raw, got)
			}
			continue
		}
		if !ok || got != tt.want {
			t.Errorf("safeNext(%q) = %q, %v; want %q, true", tt.raw, got, ok, tt.want)
		}
	}
}

// FuzzSafeNext checks, for any input, that an accepted next can only lead
// to a page of this app, however a browser or http.Redirect reads it.
func FuzzSafeNext(f *testing.F) {
	for _, tt := range safeNextTests {
		f.Add(tt.raw)
	}
	for _, seed := range []string{"/./evil", "/.//evil.example", "/..//evil.example", "/%2e%2e/%2fevil", "/?next=//evil", "/@evil.example", "/%09/evil"} {
		f.Add(seed)
	}
	base, _ := url.Parse("http://app.example/callback")
	f.Fuzz(func(t *testing.T, raw string) {
		next, ok := safeNext(raw)
		if !ok {
			if next != "" {
				t.Fatalf("safeNext(%q) refused but returned %q", raw, next)
			}
			return
		}
		if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
			t.Fatalf("safeNext(%q) = %q: not a single-slash local path", raw, next)
		}
		if strings.ContainsFunc(next, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }) {
			t.Fatalf("safeNext(%q) = %q: contains a backslash or a control character", raw, next)
		}
		// Browsers strip tabs and newlines and read "\" as "/", so a
		// check on the raw string is not enough; the properties above
		// rule those out. Now resolve it as a browser would.
		ref, err := url.Parse(next)
		if err != nil {
			t.Fatalf("safeNext(%q) = %q does not parse: %v", raw, next, err)
		}
		if got := base.ResolveReference(ref); got.Host != "app.example" || got.Scheme != "http" || got.User != nil {
			t.Fatalf("safeNext(%q) = %q resolves to %q: another site", raw, next, got)
		}
		// http.Redirect cleans the path; the result must stay local too.
		cleaned := path.Clean(ref.Path)
		if !strings.HasPrefix(cleaned, "/") || strings.HasPrefix(cleaned, "//") {
			t.Fatalf("safeNext(%q) = %q cleans to %q", raw, next, cleaned)
		}
		// What safeNext returns, it accepts again unchanged (unless
		// percent-encoding made it longer than the length limit).
		if again, ok := safeNext(next); (!ok && len(next) <= 2048) || (ok && again != next) {
			t.Fatalf("safeNext(%q) = %q, but safeNext(%q) = %q, %v", raw, next, next, again, ok)
		}
	})
}

func TestRecoverPanics(t *testing.T) {
	var logs bytes.Buffer
	app := New(Deps{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	h := app.requestID(app.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("something broke: secret detail")
	})))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))

	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	id := rec.Header().Get("X-Request-Id")
	body := rec.Body.String()
	if id == "" || !strings.Contains(body, `data-testid="request-id">`+id+`<`) {
		t.Errorf("the error page does not show the request id %q:\n%s", id, body)
	}
	if strings.Contains(body, "secret detail") {
		t.Error("the error page shows the panic value")
	}
	if !strings.Contains(logs.String(), "panic in handler") || !strings.Contains(logs.String(), "request_id="+id) {
		t.Errorf("the log has no 'panic in handler' line with the request id:\n%s", logs.String())
	}
}

// http.ErrAbortHandler is net/http's way to abort a response on purpose:
// it is passed on, not turned into an error page.
func TestRecoverPanicsPassesOnErrAbortHandler(t *testing.T) {
	app := New(Deps{Logger: slog.New(slog.DiscardHandler)})
	h := app.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler passed on", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	t.Error("ErrAbortHandler was swallowed")
}

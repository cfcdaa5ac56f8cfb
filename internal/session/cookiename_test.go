package session

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"
)

func TestCookieName(t *testing.T) {
	cases := []struct {
		name   string
		secure bool
		want   string
	}{
		{"", false, "session"},
		{"session2", false, "session2"},
		{"", true, "__Host-session"},
		{"session2", true, "__Host-session2"},
	}
	for _, tc := range cases {
		m := New(Options{IdleTimeout: time.Hour, Lifetime: time.Hour, Secure: tc.secure, CookieName: tc.name,
			Store: memstore.NewWithCleanupInterval(0), Index: NewMemoryIndex(), Marks: NewMemoryMarks()})
		if got := m.scs.Cookie.Name; got != tc.want {
			t.Errorf("CookieName %q, secure %v: got %q, want %q", tc.name, tc.secure, got, tc.want)
		}
	}
}

// Cookies are not port-specific (RFC 6265 section 8.5): a browser sends
// localhost:3000's cookies to localhost:3001 too. Two apps on one host with
// the same cookie name overwrite each other's session; with their own
// names (SESSION_COOKIE_NAME) both sessions live.
func TestTwoAppsOnOneHostNeedTwoCookieNames(t *testing.T) {
	start := func(cookieName string) string {
		m := New(Options{IdleTimeout: time.Hour, Lifetime: time.Hour, CookieName: cookieName,
			Store: memstore.NewWithCleanupInterval(0), Index: NewMemoryIndex(), Marks: NewMemoryMarks()})
		h := m.LoadAndSave(func(w http.ResponseWriter, r *http.Request, err error) {
			t.Errorf("session store error: %v", err)
		})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/put" {
				m.scs.Put(r.Context(), "marker", "here")
			}
			io.WriteString(w, m.scs.GetString(r.Context(), "marker"))
		}))
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	get := func(c *http.Client, u string) string {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for _, tc := range []struct {
		names     [2]string
		bothAlive bool
	}{
		{[2]string{"session", "session"}, false},
		{[2]string{"session", "session2"}, true},
	} {
		a, b := start(tc.names[0]), start(tc.names[1])
		ua, _ := url.Parse(a)
		ub, _ := url.Parse(b)
		if ua.Hostname() != ub.Hostname() || ua.Port() == ub.Port() {
			t.Fatalf("want one host, two ports: %s %s", a, b)
		}
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar}
		get(browser, a+"/put")
		get(browser, b+"/put")
		aliveA := get(browser, a+"/") == "here"
		if aliveA != tc.bothAlive {
			t.Errorf("cookie names %q: the first app's session alive = %v, want %v", tc.names, aliveA, tc.bothAlive)
		}
		if get(browser, b+"/") != "here" {
			t.Errorf("cookie names %q: the second app's session is gone", tc.names)
		}
	}
}

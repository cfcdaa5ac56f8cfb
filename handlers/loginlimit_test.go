package handlers_test

// GET /login cannot be used to flood (LOGIN_RATE_LIMIT, handlers/loginlimit.go):
// each one stores a session and, with PAR, pushes a request to the
// provider, so each client address may start only so many a minute.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/session"
)

// loginFrom sends a cookie-less GET /login from remoteAddr, with extra
// headers, straight to the router.
func loginFrom(app *testApp, remoteAddr string, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/login?next=%2Fprofile", nil)
	req.RemoteAddr = remoteAddr
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	app.handler.ServeHTTP(rec, req)
	return rec
}

func TestLoginIsLimitedPerClient(t *testing.T) {
	const perMinute = 5 // one every 12 s once the five are used
	app := newTestApp(t, func(o *appOptions) { o.loginsPerMinute = perMinute })

	for i := range perMinute {
		if rec := loginFrom(app, "192.0.2.1:40000", nil); rec.Code != http.StatusFound {
			t.Fatalf("login %d of %d: status %d, want 302", i+1, perMinute, rec.Code)
		}
	}
	refused := loginFrom(app, "192.0.2.1:40001", nil) // another port, the same client
	if refused.Code != http.StatusTooManyRequests {
		t.Fatalf("login %d within the minute: status %d, want 429", perMinute+1, refused.Code)
	}
	retry, err := strconv.Atoi(refused.Header().Get("Retry-After"))
	if err != nil || retry < 1 || retry > 12 {
		t.Errorf("Retry-After %q, want the seconds until the next login (1 to 12)", refused.Header().Get("Retry-After"))
	}
	body := refused.Body.String()
	if !strings.Contains(body, "Too many logins") || !strings.Contains(body, strconv.Itoa(retry)+" seconds") {
		t.Errorf("the 429 page does not say what happened and how long to wait:\n%s", body)
	}
	if cookies := refused.Result().Cookies(); len(cookies) != 0 {
		t.Errorf("a refused login set cookies %v: it must store no session", cookies)
	}
	if loc := refused.Header().Get("Location"); loc != "" {
		t.Errorf("a refused login still redirects to %q", loc)
	}

	// X-Forwarded-For is not trusted: anyone can write it.
	spoofed := loginFrom(app, "192.0.2.1:40002", map[string]string{"X-Forwarded-For": "203.0.113.9", "X-Real-Ip": "203.0.113.9"})
	if spoofed.Code != http.StatusTooManyRequests {
		t.Errorf("a forged X-Forwarded-For got past the limit: status %d", spoofed.Code)
	}
	// Another client has a limit of its own.
	if rec := loginFrom(app, "198.51.100.7:40000", nil); rec.Code != http.StatusFound {
		t.Errorf("another client was refused: status %d", rec.Code)
	}
	// The same client over IPv4-mapped IPv6 is the same client.
	if rec := loginFrom(app, "[::ffff:192.0.2.1]:40003", nil); rec.Code != http.StatusTooManyRequests {
		t.Errorf("the client as ::ffff:192.0.2.1 got past the limit: status %d", rec.Code)
	}
	// IPv6: one /64 is one client (a subscriber holds all of it).
	for i := range perMinute {
		loginFrom(app, "[2001:db8:1:2::"+strconv.Itoa(i+1)+"]:40000", nil)
	}
	if rec := loginFrom(app, "[2001:db8:1:2:ffff::9]:40000", nil); rec.Code != http.StatusTooManyRequests {
		t.Errorf("a new address in an exhausted /64 got past the limit: status %d", rec.Code)
	}
	if rec := loginFrom(app, "[2001:db8:1:3::1]:40000", nil); rec.Code != http.StatusFound {
		t.Errorf("another /64 was refused: status %d", rec.Code)
	}
}

// Over real TCP from 127.0.0.1 (a browser on the same machine), and only
// /login is limited: the rest of the app still answers.
func TestLoginLimitOverLoopback(t *testing.T) {
	app := newTestApp(t, func(o *appOptions) { o.loginsPerMinute = 3 })
	b := app.newBrowser()
	for range 3 {
		b.startLogin("/profile")
	}
	if resp := b.get("/login"); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("4th login: status %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := b.get("/"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET / after the limit: status %d, want 200", resp.StatusCode)
	}
}

// With PAR each /login pushes a request to the provider: the limit bounds
// the pushes, counted at the provider.
func TestLoginLimitBoundsPushedRequests(t *testing.T) {
	const perMinute = 4
	app := newTestApp(t, withPAR, func(o *appOptions) { o.loginsPerMinute = perMinute })
	codes := map[int]int{}
	for range 10 * perMinute {
		codes[loginFrom(app, "192.0.2.77:5000", nil).Code]++
	}
	if pushes := len(app.provider.PushedRequests()); pushes != perMinute {
		t.Errorf("%d logins from one client pushed %d requests to the provider, want %d (the limit)", 10*perMinute, pushes, perMinute)
	}
	if codes[http.StatusFound] != perMinute || codes[http.StatusTooManyRequests] != 9*perMinute {
		t.Errorf("statuses %v, want %d x 302 and %d x 429", codes, perMinute, 9*perMinute)
	}
}

// BenchmarkAnonymousLoginPAR is what a cookie-less GET /login costs in
// memory with the token pages on, with and without PAR: the session with
// the pending login, and beside it the flow inspector's record of what
// /login sent (with PAR: the pushed request and the provider's answer).
// heap-B/login is the live heap they hold (heap after GC with them, minus
// heap after GC once they are deleted, so the test provider's own memory
// is left out); data-B/login their encoded bytes (in Redis, the values).
// BENCHMARKS.md reports both.
//
//	go test -run '^$' -bench AnonymousLoginPAR -benchtime 20000x ./handlers/
func BenchmarkAnonymousLoginPAR(b *testing.B) {
	for _, par := range []bool{false, true} {
		name := "PAR off"
		if par {
			name = "PAR on"
		}
		b.Run(name, func(b *testing.B) {
			store := memstore.NewWithCleanupInterval(0)
			stores := memoryStores(store, session.NewMemoryIndex())
			records := &keptAttachments{Attachments: stores.Attachments}
			stores.Attachments = records
			app := newTestApp(b, func(o *appOptions) {
				o.par = par
				o.stores = stores
			})
			req := httptest.NewRequest(http.MethodGet, "/login?next=%2Fprofile", nil)
			b.ResetTimer()
			for range b.N {
				rec := httptest.NewRecorder()
				app.handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusFound {
					b.Fatalf("GET /login: status %d", rec.Code)
				}
			}
			b.StopTimer()
			sessions, _ := store.All()
			sessionBytes := 0
			for _, v := range sessions {
				sessionBytes += len(v)
			}
			withThem := liveHeap()
			for token := range sessions {
				store.Delete(token)
			}
			clear(sessions)
			for _, key := range records.keys {
				records.Attachments.Delete(context.Background(), key)
			}
			records.keys = nil
			withoutThem := liveHeap()
			b.ReportMetric(float64(int64(withThem)-int64(withoutThem))/float64(b.N), "heap-B/login")
			b.ReportMetric(float64(sessionBytes)/float64(b.N), "session-B/login")
			b.ReportMetric(float64(records.bytes)/float64(b.N), "record-B/login")
		})
	}
}

// keptAttachments remembers what was attached, to measure and delete it.
type keptAttachments struct {
	session.Attachments
	keys  []string
	bytes int
}

func (k *keptAttachments) Put(ctx context.Context, key string, data []byte, expiry time.Time) error {
	k.keys = append(k.keys, key)
	k.bytes += len(data)
	return k.Attachments.Put(ctx, key, data, expiry)
}

func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

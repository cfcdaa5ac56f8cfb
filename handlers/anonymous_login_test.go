package handlers_test

// Anyone can GET /login without a cookie, and each such request stores a
// session (the pending login: state, nonce, PKCE verifier). Such a session
// must end with its pending login (10 minutes), not live on for the
// 30-minute idle timeout, so a flood of /login costs a bounded amount of
// memory or Redis: requests per second x 10 minutes x the bytes below.

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/gomodule/redigo/redis"

	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/internal/testkit/redistest"
)

const floodLogins = 300

func TestAnonymousLoginSessionsEndWithTheirPendingLogin(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		store := &expiryStore{Store: memstore.NewWithCleanupInterval(0), expiry: map[string]time.Time{}}
		app := newTestApp(t, func(o *appOptions) {
			o.stores = memoryStores(store, session.NewMemoryIndex())
		})
		start := time.Now()
		cookies := flood(t, app)
		// A later visit with the cookie must not extend it either.
		revisit(t, app, cookies[0])
		if len(store.expiry) != floodLogins {
			t.Fatalf("%d sessions stored for %d logins", len(store.expiry), floodLogins)
		}
		for _, exp := range store.expiry {
			if limit := start.Add(session.PendingLoginTTL + time.Second); exp.After(limit) {
				t.Fatalf("an anonymous /login session expires in %s, after its pending login (%s)",
					exp.Sub(start).Round(time.Second), session.PendingLoginTTL)
			}
		}
		var total int
		all, _ := store.Store.(*memstore.MemStore).All()
		for _, b := range all {
			total += len(b)
		}
		t.Logf("memory store: %d bytes of session data per anonymous /login", total/len(all))
	})

	t.Run("redis", func(t *testing.T) {
		server := redistest.Start(t)
		stores := redisStoresAt(t, server.URL())
		app := newTestApp(t, func(o *appOptions) { o.stores = stores })
		conn, err := redis.Dial("tcp", server.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		usedBefore := usedMemory(t, conn)

		cookies := flood(t, app)
		revisit(t, app, cookies[0])

		keys, err := redis.Strings(conn.Do("KEYS", session.KeyPrefix+"session:*"))
		if err != nil || len(keys) != floodLogins {
			t.Fatalf("%d session keys for %d logins (%v)", len(keys), floodLogins, err)
		}
		var usage int64
		for _, k := range keys {
			ttl, err := redis.Int64(conn.Do("PTTL", k))
			if err != nil || ttl < 0 || time.Duration(ttl)*time.Millisecond > session.PendingLoginTTL+time.Second {
				t.Fatalf("an anonymous /login session key has TTL %d ms (%v), want at most %s", ttl, err, session.PendingLoginTTL)
			}
			n, _ := redis.Int64(conn.Do("MEMORY", "USAGE", k))
			usage += n
		}
		t.Logf("redis: MEMORY USAGE %d bytes per anonymous /login key; used_memory grew %d bytes per /login",
			usage/int64(len(keys)), (usedMemory(t, conn)-usedBefore)/floodLogins)
	})
}

// flood sends floodLogins cookie-less GET /login, as a script would, and
// returns the session cookies they set.
func flood(t *testing.T, app *testApp) []*http.Cookie {
	t.Helper()
	var cookies []*http.Cookie
	for range floodLogins {
		rec := httptest.NewRecorder()
		app.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
		if rec.Code != http.StatusFound || len(rec.Result().Cookies()) != 1 {
			t.Fatalf("GET /login: status %d, cookies %v", rec.Code, rec.Result().Cookies())
		}
		cookies = append(cookies, rec.Result().Cookies()[0])
	}
	return cookies
}

func revisit(t *testing.T, app *testApp, cookie *http.Cookie) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	app.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / with the cookie: status %d", rec.Code)
	}
}

func usedMemory(t *testing.T, conn redis.Conn) int64 {
	t.Helper()
	info, err := redis.String(conn.Do("INFO", "memory"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := redis.Int64([]byte(v), nil)
			return n
		}
	}
	t.Fatal("no used_memory in INFO memory")
	return 0
}

// expiryStore records the expiry of every session saved.
type expiryStore struct {
	scs.Store
	mu     sync.Mutex
	expiry map[string]time.Time
}

func (s *expiryStore) Commit(token string, b []byte, expiry time.Time) error {
	s.mu.Lock()
	s.expiry[token] = expiry
	s.mu.Unlock()
	return s.Store.Commit(token, b, expiry)
}

// BenchmarkAnonymousLoginMemory is what a flood of cookie-less GET /login
// costs the memory store: live heap after GC per stored session (store
// entry, token, map overhead), as BENCHMARKS.md reports it.
//
//	go test -run '^$' -bench AnonymousLoginMemory -benchtime 20000x ./handlers/
func BenchmarkAnonymousLoginMemory(b *testing.B) {
	store := memstore.NewWithCleanupInterval(0)
	app := newTestApp(b, func(o *appOptions) {
		o.stores = memoryStores(store, session.NewMemoryIndex())
	})
	req := httptest.NewRequest(http.MethodGet, "/login", nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		rec := httptest.NewRecorder()
		app.handler.ServeHTTP(rec, req)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	all, _ := store.All()
	var data int
	for _, v := range all {
		data += len(v)
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "heap-B/login")
	b.ReportMetric(float64(data)/float64(len(all)), "data-B/login")
	runtime.KeepAlive(store)
}

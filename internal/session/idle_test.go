package session

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"
)

// The idle timeout and the lifetime (idle.go): a logged-in session ends
// IdleTimeout after it was last used and never later than Lifetime after the
// login; page views move its expiry at most once a minute, so most of them
// write nothing.
func TestIdleTimeoutAndLifetime(t *testing.T) {
	m, clock := newTestManager(t) // idle 30 min, lifetime 8 h
	counted := &countingStore{MemStore: m.store.Store.(*memstore.MemStore)}
	m.store.Store = counted // under endedStore: counts the writes that reach the store
	writes := func() int64 { return counted.commits.Load() }
	var lastCookie string
	page := m.LoadAndSave(func(w http.ResponseWriter, r *http.Request, err error) {
		t.Fatalf("session store error: %v", err)
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			if err := m.StartUserSession(r.Context(), loginFor("alice", "sid-1")); err != nil {
				t.Fatal(err)
			}
		}
	}))
	view := func(path, token string) (string, time.Time) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if token != "" {
			req.AddCookie(&http.Cookie{Name: "session", Value: token})
		}
		rec := httptest.NewRecorder()
		page.ServeHTTP(rec, req)
		lastCookie = rec.Header().Get("Set-Cookie")
		for _, c := range rec.Result().Cookies() {
			token = c.Value
		}
		ctx := loadSession(t, m, token)
		return token, m.scs.Deadline(ctx)
	}

	loggedInAt := clock.Now()
	token, deadline := view("/login", "")
	if want := loggedInAt.Add(30 * time.Minute); !deadline.Equal(want) {
		t.Fatalf("after login the session ends at %v, want 30 min later, %v", deadline, want)
	}

	// Views within a minute change nothing: no write, no Set-Cookie.
	clock.Advance(50 * time.Second)
	before := writes()
	if _, d := view("/profile", token); !d.Equal(deadline) || writes() != before || lastCookie != "" {
		t.Errorf("a view 50 s after login: deadline %v (want %v), %d writes, Set-Cookie %q; want no write", d, deadline, writes()-before, lastCookie)
	}

	// A view two minutes later moves the expiry: 30 min from now.
	clock.Advance(70 * time.Second)
	if _, d := view("/profile", token); !d.Equal(clock.Now().Add(30*time.Minute)) || writes() != before+1 {
		t.Errorf("a view 2 min after login: deadline %v, want %v, with one write (%d)", d, clock.Now().Add(30*time.Minute), writes()-before)
	}

	// Used all day: the session still ends 8 h after the login.
	for range 20 {
		clock.Advance(25 * time.Minute)
		view("/profile", token)
	}
	if _, d := view("/profile", token); !d.Equal(loggedInAt.Add(8 * time.Hour)) {
		t.Errorf("after 8 h of use the session ends at %v, want the lifetime's end %v", d, loggedInAt.Add(8*time.Hour))
	}
}

// The store itself forgets an idle session: with a one-second idle timeout,
// a login unused for 1.5 s is gone (real time: the stores expire entries by
// the wall clock).
func TestIdleSessionIsGoneFromTheStore(t *testing.T) {
	m := New(Options{
		IdleTimeout: time.Second,
		Lifetime:    time.Hour,
		Store:       memstore.NewWithCleanupInterval(0),
		Index:       NewMemoryIndex(),
		Marks:       NewMemoryMarks(),
	})
	ctx := loadSession(t, m, "")
	if err := m.StartUserSession(ctx, loginFor("alice", "sid-1")); err != nil {
		t.Fatal(err)
	}
	token := commitSession(t, m, ctx)
	if _, found, _ := m.store.Find(token); !found {
		t.Fatal("the session is not in the store right after login")
	}
	time.Sleep(1500 * time.Millisecond)
	if _, found, _ := m.store.Find(token); found {
		t.Error("the session is still in the store after the idle timeout")
	}
	ctx = loadSession(t, m, token)
	if _, ok, _ := m.CurrentUser(ctx); ok {
		t.Error("logged in after the idle timeout")
	}
}

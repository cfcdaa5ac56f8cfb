package session

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testclock"
)

func newTestManager(t *testing.T) (*Manager, *testclock.Clock) {
	t.Helper()
	c := testclock.New(time.Now())
	return New(Options{
		IdleTimeout: 30 * time.Minute,
		Lifetime:    8 * time.Hour,
		Store:       memstore.NewWithCleanupInterval(0), // no goroutine to stop
		Index:       NewMemoryIndex(),
		Marks:       NewMemoryMarks(),
		Now:         c.Now,
	}), c
}

// loadSession returns a context holding the session with token ("" = a new one),
// as the LoadAndSave middleware would.
func loadSession(t *testing.T, m *Manager, token string) context.Context {
	t.Helper()
	ctx, err := m.scs.Load(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// commitSession commits the session in ctx to the store and returns its token.
func commitSession(t *testing.T, m *Manager, ctx context.Context) string {
	t.Helper()
	token, _, err := m.scs.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestPendingLoginIsSingleUse(t *testing.T) {
	m, c := newTestManager(t)
	ctx := loadSession(t, m, "")
	want := PendingLogin{Nonce: "n", Verifier: "v", Next: "/profile?tab=1"}
	m.AddPendingLogin(ctx, "state-1", want)

	if _, ok := m.TakePendingLogin(ctx, "another-state"); ok {
		t.Fatal("an unknown state was accepted")
	}
	if _, ok := m.TakePendingLogin(ctx, ""); ok {
		t.Fatal("the empty state was accepted")
	}
	got, ok := m.TakePendingLogin(ctx, "state-1")
	want.StartedAt = c.Now()
	if !ok || got != want {
		t.Fatalf("TakePendingLogin = %+v, %v; want %+v, true", got, ok, want)
	}
	if _, ok := m.TakePendingLogin(ctx, "state-1"); ok {
		t.Fatal("a state was accepted twice")
	}
}

// Pending logins are encoded into the store (codec.go) between /login and
// /callback: they must survive the round trip.
func TestPendingLoginSurvivesTheStore(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := loadSession(t, m, "")
	m.AddPendingLogin(ctx, "state-1", PendingLogin{Nonce: "n", Verifier: "v", Next: "/"})
	token := commitSession(t, m, ctx)

	later := loadSession(t, m, token)
	got, ok := m.TakePendingLogin(later, "state-1")
	if !ok || got.Verifier != "v" || got.Nonce != "n" || got.Next != "/" {
		t.Fatalf("after the store: %+v, %v", got, ok)
	}
	// Taken in one request, it is gone for the next one.
	commitSession(t, m, later)
	if _, ok := m.TakePendingLogin(loadSession(t, m, token), "state-1"); ok {
		t.Fatal("the state works again in a later request")
	}
}

func TestPendingLoginExpires(t *testing.T) {
	m, c := newTestManager(t)
	ctx := loadSession(t, m, "")
	m.AddPendingLogin(ctx, "early", PendingLogin{Nonce: "n"})
	m.AddPendingLogin(ctx, "late", PendingLogin{Nonce: "n"})

	c.Advance(PendingLoginTTL - time.Second)
	if _, ok := m.TakePendingLogin(ctx, "early"); !ok {
		t.Fatal("a login was refused a second before its expiry")
	}
	c.Advance(2 * time.Second)
	if _, ok := m.TakePendingLogin(ctx, "late"); ok {
		t.Fatal("a login was accepted a second after its expiry")
	}
}

func TestPendingLoginKeepsTheNewestTen(t *testing.T) {
	m, c := newTestManager(t)
	ctx := loadSession(t, m, "")
	states := []string{"s00", "s01", "s02", "s03", "s04", "s05", "s06", "s07", "s08", "s09", "s10", "s11"}
	for _, s := range states {
		m.AddPendingLogin(ctx, s, PendingLogin{Nonce: s})
		c.Advance(time.Second)
	}
	for i, s := range states {
		_, ok := m.TakePendingLogin(ctx, s)
		if want := i >= len(states)-10; ok != want {
			t.Errorf("state %s kept = %v, want %v (the newest 10 are kept)", s, ok, want)
		}
	}
}

func loginFor(sub, sid string) auth.Login {
	return auth.Login{Claims: auth.Claims{Subject: sub, SessionID: sid, PreferredUsername: "alice"}}
}

// StartUserSession renews the session token (session fixation), keeps the
// pending logins of other tabs, and logs the user in.
func TestStartUserSessionRenewsTheToken(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := loadSession(t, m, "")
	m.AddPendingLogin(ctx, "other-tab", PendingLogin{Nonce: "n"})
	before := commitSession(t, m, ctx)

	ctx = loadSession(t, m, before)
	if _, ok, _ := m.CurrentUser(ctx); ok {
		t.Fatal("logged in before StartUserSession")
	}
	if err := m.StartUserSession(ctx, loginFor("sub-1", "sid-1")); err != nil {
		t.Fatal(err)
	}
	after := commitSession(t, m, ctx)
	if after == before {
		t.Fatal("the session token did not change at login")
	}
	if _, found, _ := m.scs.Store.Find(before); found {
		t.Error("the old session token still finds a session")
	}
	ctx = loadSession(t, m, after)
	u, ok, err := m.CurrentUser(ctx)
	if err != nil || !ok || u.Claims.Subject != "sub-1" {
		t.Fatalf("CurrentUser = %+v, %v, %v", u.Claims, ok, err)
	}
	if _, ok := m.TakePendingLogin(ctx, "other-tab"); !ok {
		t.Error("the other tab's pending login was lost at login")
	}
}

func TestEndProviderSession(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := context.Background()
	startSession := func(sub, sid string) (context.Context, string) {
		ctx := loadSession(t, m, "")
		if err := m.StartUserSession(ctx, loginFor(sub, sid)); err != nil {
			t.Fatal(err)
		}
		return ctx, commitSession(t, m, ctx)
	}
	laptopCtx, laptop := startSession("alice", "sid-laptop")
	_, phone := startSession("alice", "sid-phone")
	_, bob := startSession("bob", "sid-bob")
	stored := func(token string) bool {
		_, found, err := m.scs.Store.Find(token)
		if err != nil {
			t.Fatal(err)
		}
		return found
	}

	n, err := m.EndProviderSession(ctx, "sid-laptop", "alice")
	if err != nil || n != 1 {
		t.Fatalf("EndProviderSession(sid-laptop) = %d, %v; want 1", n, err)
	}
	if stored(laptop) || !stored(phone) || !stored(bob) {
		t.Fatalf("after ending sid-laptop: laptop %v phone %v bob %v stored; want false true true",
			stored(laptop), stored(phone), stored(bob))
	}
	// A request for the laptop that was in flight still holds the user in
	// its context (and could save it again): CurrentUser refuses it.
	if _, ok, _ := m.CurrentUser(laptopCtx); ok {
		t.Error("a request in flight during the logout still sees the user")
	}

	// A token with only sub ends all of the user's sessions.
	if _, err := m.EndProviderSession(ctx, "", "alice"); err != nil {
		t.Fatal(err)
	}
	if stored(phone) || !stored(bob) {
		t.Fatalf("after ending sub alice: phone %v bob %v stored; want false true", stored(phone), stored(bob))
	}
}

func TestLogoutTokenUsed(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := context.Background()
	exp := time.Now().Add(2 * time.Minute)
	if used, err := m.LogoutTokenUsed(ctx, "jti-1"); err != nil || used {
		t.Fatalf("before any use: used = %v, %v", used, err)
	}
	for range 2 { // marking twice (two deliveries at once) is no error
		if err := m.MarkLogoutTokenUsed(ctx, "jti-1", exp); err != nil {
			t.Fatal(err)
		}
	}
	if used, err := m.LogoutTokenUsed(ctx, "jti-1"); err != nil || !used {
		t.Errorf("after marking: used = %v, %v; want true", used, err)
	}
	if used, _ := m.LogoutTokenUsed(ctx, "jti-2"); used {
		t.Error("another jti counts as used")
	}
}

func TestLogoutState(t *testing.T) {
	m, clock := newTestManager(t)
	ctx := loadSession(t, m, "")
	if m.TakeLogoutState(ctx, "") || m.TakeLogoutState(ctx, "s") {
		t.Fatal("a logout state matched before any logout")
	}
	m.RememberLogoutState(ctx, "s")
	// Nobody is logged in: the session ends after the idle timeout, not
	// after a whole lifetime.
	if got, want := m.scs.Deadline(ctx), clock.Now().Add(m.idle); got.After(want) {
		t.Errorf("the logout notice's session ends at %v, after the idle timeout %v", got, want)
	}
	if m.TakeLogoutState(ctx, "") {
		t.Error("the empty state matched")
	}
	if !m.TakeLogoutState(ctx, "s") {
		t.Error("the remembered state did not match")
	}
	if m.TakeLogoutState(ctx, "s") {
		t.Error("the state matched twice")
	}
}

func TestMemoryIndex(t *testing.T) {
	ix := NewMemoryIndex()
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for _, e := range []struct{ key, token string }{{"sid:a", "t1"}, {"sid:a", "t2"}, {"sid:b", "t3"}, {"sid:a", "t1"}} {
		if err := ix.Add(ctx, e.key, e.token, exp); err != nil {
			t.Fatal(err)
		}
	}
	take := func(key string) []string {
		tokens, err := ix.Take(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(tokens)
		return tokens
	}
	if got := take("sid:a"); !slices.Equal(got, []string{"t1", "t2"}) {
		t.Errorf("Take(sid:a) = %v, want [t1 t2]", got)
	}
	if got := take("sid:a"); len(got) != 0 {
		t.Errorf("second Take(sid:a) = %v, want nothing", got)
	}
	if got := take("sid:b"); !slices.Equal(got, []string{"t3"}) {
		t.Errorf("Take(sid:b) = %v, want [t3]", got)
	}
	if got := take("sid:unknown"); len(got) != 0 {
		t.Errorf("Take(sid:unknown) = %v, want nothing", got)
	}
}

func TestMemoryMarks(t *testing.T) {
	s := NewMemoryMarks()
	ctx := context.Background()
	mark := func(key string, until time.Time) bool {
		first, err := s.Mark(ctx, key, until)
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	marked := func(key string) bool {
		ok, err := s.Marked(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	later := time.Now().Add(time.Minute)
	if !mark("a", later) {
		t.Error("first Mark(a) is not first")
	}
	if mark("a", later) {
		t.Error("second Mark(a) is first: a replay would pass")
	}
	if !marked("a") || marked("b") {
		t.Errorf("Marked(a) = %v, Marked(b) = %v; want true, false", marked("a"), marked("b"))
	}

	past := time.Now().Add(-time.Second)
	mark("expired", past)
	if marked("expired") {
		t.Error("an expired mark is still marked")
	}
	if !mark("expired", later) {
		t.Error("marking a key whose mark expired is not first")
	}
}

// A session that holds only pending logins ends with the newest of them;
// logging in gives it the idle timeout (moved forward while it is used, up
// to the lifetime: idle.go); a logged-in user starting another login (a
// second tab) keeps theirs.
func TestPendingLoginSessionDeadline(t *testing.T) {
	m, clock := newTestManager(t)
	ctx := loadSession(t, m, "")
	m.AddPendingLogin(ctx, "s1", PendingLogin{Nonce: "n"})
	if got, want := m.scs.Deadline(ctx), clock.Now().Add(PendingLoginTTL); !got.Equal(want) {
		t.Errorf("anonymous session with a pending login: deadline %v, want %v", got, want)
	}
	token := commitSession(t, m, ctx)

	ctx = loadSession(t, m, token)
	if err := m.StartUserSession(ctx, loginFor("sub-1", "sid-1")); err != nil {
		t.Fatal(err)
	}
	if got, want := m.scs.Deadline(ctx), clock.Now().Add(m.idle); !got.Equal(want) {
		t.Errorf("after login the session ends at %v, want the idle timeout from now, %v", got, want)
	}
	m.AddPendingLogin(ctx, "s2", PendingLogin{Nonce: "n"})
	if got, want := m.scs.Deadline(ctx), clock.Now().Add(m.idle); !got.Equal(want) {
		t.Errorf("a logged-in user starting a login: the session ends at %v, want %v (theirs)", got, want)
	}
}

package session

import (
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// The login's trace is kept with the user, survives the store, and a new
// login removes the trace of the one before.
func TestLoginTraceLivesWithTheUser(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := loadSession(t, m, "")
	if _, ok := m.LoginTrace(ctx); ok {
		t.Fatal("a new session has a trace")
	}
	if err := m.StartUserSession(ctx, loginFor("sub-1", "sid-1")); err != nil {
		t.Fatal(err)
	}
	trace := auth.LoginTrace{Callback: auth.CallbackTrace{State: "state-1", Code: "code-1"}}
	m.KeepLoginTrace(ctx, trace)
	token := commitSession(t, m, ctx)

	ctx = loadSession(t, m, token)
	got, ok := m.LoginTrace(ctx)
	if !ok || got.Callback.State != "state-1" {
		t.Fatalf("LoginTrace after a round trip = %+v, %v", got, ok)
	}

	// A second login in the same session, which (in this test) keeps no
	// trace: the first login's trace must not pass for it.
	if err := m.StartUserSession(ctx, loginFor("sub-2", "sid-2")); err != nil {
		t.Fatal(err)
	}
	if got, ok := m.LoginTrace(ctx); ok {
		t.Errorf("after another login the first login's trace remains: %+v", got)
	}
}

// The old expiry of "Refresh now" is shown once.
func TestRefreshFlashIsOneShot(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := loadSession(t, m, "")
	if _, ok := m.TakeRefresh(ctx); ok {
		t.Fatal("a refresh result without a refresh")
	}
	old := time.Date(2026, 11, 25, 10, 4, 5, 6, time.UTC)
	m.RememberRefresh(ctx, old)
	token := commitSession(t, m, ctx)

	ctx = loadSession(t, m, token)
	got, ok := m.TakeRefresh(ctx)
	if !ok || !got.Equal(old) {
		t.Errorf("TakeRefresh = %v, %v; want %v", got, ok, old)
	}
	if _, ok := m.TakeRefresh(ctx); ok {
		t.Error("the refresh result is there a second time")
	}
}

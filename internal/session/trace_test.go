package session

import (
	"reflect"
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
	// Every field set, so one the JSON round trip lost would show.
	var trace auth.LoginTrace
	seed := 0
	fill(t, reflect.ValueOf(&trace), &seed)
	if err := m.KeepLoginTrace(ctx, trace); err != nil {
		t.Fatal(err)
	}
	token := commitSession(t, m, ctx)

	ctx = loadSession(t, m, token)
	got, ok := m.LoginTrace(ctx)
	if !ok || !reflect.DeepEqual(got, trace) {
		t.Fatalf("LoginTrace after a round trip:\n got %+v, %v\nwant %+v", got, ok, trace)
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

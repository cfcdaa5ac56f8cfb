package session

import (
	"context"
	"strings"
	"testing"
)

// An attachment lives beside its session, not in it, and ends with it: at
// a logout, a back-channel logout and a new login in the same browser.
func TestAttachmentEndsWithItsSession(t *testing.T) {
	m, _ := newTestManager(t)
	attached := func(t *testing.T, ctx context.Context) bool {
		t.Helper()
		_, ok, err := m.Attachment(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	login := func(t *testing.T, ctx context.Context, sid string) string {
		t.Helper()
		if err := m.StartUserSession(ctx, loginFor("alice", sid)); err != nil {
			t.Fatal(err)
		}
		if err := m.Attach(ctx, []byte("record of "+sid)); err != nil {
			t.Fatal(err)
		}
		if !attached(t, ctx) {
			t.Fatal("no attachment right after Attach")
		}
		return commitSession(t, m, ctx)
	}

	t.Run("not in the session record", func(t *testing.T) {
		ctx := loadSession(t, m, "")
		token := login(t, ctx, "sid-1")
		record, _, err := m.scs.Store.Find(token)
		if err != nil {
			t.Fatal(err)
		}
		if string(record) == "" || strings.Contains(string(record), "record of sid-1") {
			t.Error("the attachment is in the session record that every request loads")
		}
	})

	t.Run("logout", func(t *testing.T) {
		ctx := loadSession(t, m, "")
		token := login(t, ctx, "sid-2")
		ctx = loadSession(t, m, token)
		if err := m.End(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := m.attachments.Get(context.Background(), token); ok {
			t.Error("the attachment outlived a logout")
		}
	})

	t.Run("back-channel logout", func(t *testing.T) {
		ctx := loadSession(t, m, "")
		token := login(t, ctx, "sid-3")
		if _, err := m.EndProviderSession(context.Background(), "sid-3", "alice"); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := m.attachments.Get(context.Background(), token); ok {
			t.Error("the attachment outlived a back-channel logout")
		}
	})

	t.Run("a new login", func(t *testing.T) {
		ctx := loadSession(t, m, "")
		first := login(t, ctx, "sid-4")
		ctx = loadSession(t, m, first)
		if err := m.StartUserSession(ctx, loginFor("alice", "sid-5")); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := m.attachments.Get(context.Background(), first); ok {
			t.Error("the first login's attachment outlived the second login")
		}
		if attached(t, ctx) {
			t.Error("the second login sees the first login's attachment")
		}
	})
}

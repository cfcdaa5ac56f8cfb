package session

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"
)

// A request still holding an ended session must not write it at all, not
// even for a moment (another request could load it in between).
func TestEndedSessionIsNeverWrittenAgain(t *testing.T) {
	m, _ := newTestManager(t)
	writes := &countingStore{MemStore: memstore.NewWithCleanupInterval(0)}
	m.store.Store = writes

	ctx := loadSession(t, m, "")
	m.scs.Put(ctx, "k", "v")
	token := commitSession(t, m, ctx)
	inFlight := loadSession(t, m, token) // loaded before the logout

	if err := m.End(loadSession(t, m, token)); err != nil {
		t.Fatal(err)
	}
	before := writes.commits.Load()
	if _, _, err := m.scs.Commit(inFlight); err != nil {
		t.Fatal(err)
	}
	if writes.commits.Load() != before {
		t.Error("the ended session was written to the store again")
	}
	if _, found, _ := writes.Find(token); found {
		t.Error("the ended session is in the store")
	}
}

// A logout can land between the save's check and its write (another
// replica). The save then undoes its own write.
func TestLogoutBetweenCheckAndWriteStillWins(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := loadSession(t, m, "")
	m.scs.Put(ctx, "k", "v")
	token := commitSession(t, m, ctx)
	inFlight := loadSession(t, m, token)

	// The first check says "not ended"; right after it, a logout runs.
	marks := &hookedMarks{Marks: m.marks}
	marks.afterFirstMarked = func() {
		if err := m.store.end(context.Background(), token, time.Now().Add(time.Hour)); err != nil {
			t.Error(err)
		}
	}
	m.store.marks = marks
	if _, _, err := m.scs.Commit(inFlight); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := m.store.Store.Find(token); found {
		t.Error("a save racing the logout left the session in the store")
	}
}

type countingStore struct {
	*memstore.MemStore
	commits atomic.Int64
}

func (s *countingStore) Commit(token string, b []byte, expiry time.Time) error {
	s.commits.Add(1)
	return s.MemStore.Commit(token, b, expiry)
}

type hookedMarks struct {
	Marks
	calls            atomic.Int64
	afterFirstMarked func()
}

func (h *hookedMarks) Marked(ctx context.Context, key string) (bool, error) {
	marked, err := h.Marks.Marked(ctx, key)
	if h.calls.Add(1) == 1 {
		h.afterFirstMarked()
	}
	return marked, err
}

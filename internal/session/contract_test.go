package session_test

import (
	"context"
	"crypto/rand"
	"fmt"
	neturl "net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/internal/testkit/redistest"
)

// The memory and Redis implementations of Index and Marks must behave the
// same: the app's back-channel logout relies on this contract, whichever
// SESSION_STORE is configured. Each implementation runs the same tests.

// shortTTL is how long the expiry tests wait for: both implementations
// work in milliseconds.
const shortTTL = 150 * time.Millisecond

func TestMemoryIndexContract(t *testing.T) {
	testIndexContract(t, func(t *testing.T) session.Index { return session.NewMemoryIndex() })
}

func TestMemoryMarksContract(t *testing.T) {
	testMarksContract(t, func(t *testing.T) session.Marks { return session.NewMemoryMarks() })
}

func TestRedisIndexContract(t *testing.T) {
	url := redistest.Start(t).URL()
	testIndexContract(t, func(t *testing.T) session.Index { return redisStores(t, url).Index })
}

func TestRedisMarksContract(t *testing.T) {
	url := redistest.Start(t).URL()
	testMarksContract(t, func(t *testing.T) session.Marks { return redisStores(t, url).Marks })
}

// redisStores connects to the Redis at url, as the app does.
func redisStores(t *testing.T, url string) *session.Stores {
	t.Helper()
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	stores := session.NewStores(u)
	t.Cleanup(func() { stores.Close() })
	return stores
}

func testIndexContract(t *testing.T, newIndex func(t *testing.T) session.Index) {
	ctx := context.Background()
	hour := time.Now().Add(time.Hour)

	t.Run("take returns what was added, once", func(t *testing.T) {
		t.Parallel()
		ix, key := newIndex(t), uniqueKey("sid")
		mustAdd(t, ix, key, "token-1", hour)
		mustAdd(t, ix, key, "token-2", hour)
		mustAdd(t, ix, key, "token-1", hour) // a set: no duplicates
		assertTokens(t, mustTake(t, ix, key), "token-1", "token-2")
		assertTokens(t, mustTake(t, ix, key)) // forgotten
	})

	t.Run("keys are independent", func(t *testing.T) {
		t.Parallel()
		ix, a, b := newIndex(t), uniqueKey("sid"), uniqueKey("sub")
		mustAdd(t, ix, a, "token-a", hour)
		mustAdd(t, ix, b, "token-b", hour)
		assertTokens(t, mustTake(t, ix, a), "token-a")
		assertTokens(t, mustTake(t, ix, b), "token-b")
	})

	// A local logout removes its session: a later logout token for the
	// same sid or sub finds only the others.
	t.Run("remove forgets one token", func(t *testing.T) {
		t.Parallel()
		ix, key := newIndex(t), uniqueKey("sid")
		mustAdd(t, ix, key, "token-1", hour)
		mustAdd(t, ix, key, "token-2", hour)
		for _, token := range []string{"token-1", "token-1", "token-unknown"} { // twice, or unknown: no error
			if err := ix.Remove(ctx, key, token); err != nil {
				t.Fatalf("Remove(%s): %v", token, err)
			}
		}
		if err := ix.Remove(ctx, uniqueKey("sid"), "token-1"); err != nil {
			t.Fatalf("Remove from an unknown key: %v", err)
		}
		assertTokens(t, mustTake(t, ix, key), "token-2")
		mustAdd(t, ix, key, "token-3", hour)
		if err := ix.Remove(ctx, key, "token-3"); err != nil {
			t.Fatal(err)
		}
		assertTokens(t, mustTake(t, ix, key)) // the last one removed: empty
	})

	t.Run("unknown key is empty, not an error", func(t *testing.T) {
		t.Parallel()
		assertTokens(t, mustTake(t, newIndex(t), uniqueKey("sid")))
	})

	t.Run("an entry already expired is not found", func(t *testing.T) {
		t.Parallel()
		ix, key := newIndex(t), uniqueKey("sid")
		mustAdd(t, ix, key, "token-old", time.Now().Add(-time.Minute))
		assertTokens(t, mustTake(t, ix, key))
	})

	t.Run("entries are gone after their expiry", func(t *testing.T) {
		t.Parallel()
		ix, key := newIndex(t), uniqueKey("sid")
		mustAdd(t, ix, key, "token-short", time.Now().Add(shortTTL))
		time.Sleep(2 * shortTTL)
		assertTokens(t, mustTake(t, ix, key))
	})

	// A short session added after a long one must not make the index forget
	// the long one (in Redis: the set's expiry only moves later).
	t.Run("a later expiry is kept, whatever the order", func(t *testing.T) {
		t.Parallel()
		ix, first, second := newIndex(t), uniqueKey("sub"), uniqueKey("sub")
		mustAdd(t, ix, first, "token-long", hour)
		mustAdd(t, ix, first, "token-short", time.Now().Add(shortTTL))
		mustAdd(t, ix, second, "token-short", time.Now().Add(shortTTL))
		mustAdd(t, ix, second, "token-long", hour)
		time.Sleep(2 * shortTTL)
		for _, key := range []string{first, second} {
			// token-short may or may not still be listed (Redis expires the
			// set as a whole); deleting an expired session is harmless.
			if got := mustTake(t, ix, key); !slices.Contains(got, "token-long") {
				t.Errorf("Take(%s) = %q, lost token-long", key, got)
			}
		}
	})

	// Two replicas receiving the same logout at once: every token is
	// returned, and to one caller only.
	t.Run("concurrent takes share out the tokens", func(t *testing.T) {
		t.Parallel()
		ix, key := newIndex(t), uniqueKey("sid")
		var want []string
		for i := range 20 {
			want = append(want, fmt.Sprintf("token-%02d", i))
			mustAdd(t, ix, key, want[i], hour)
		}
		var mu sync.Mutex
		var got []string
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				tokens, err := ix.Take(ctx, key)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				got = append(got, tokens...)
				mu.Unlock()
			})
		}
		wg.Wait()
		assertTokens(t, got, want...) // sorted comparison: no duplicates
	})
}

func testMarksContract(t *testing.T, newMarks func(t *testing.T) session.Marks) {
	ctx := context.Background()
	hour := time.Now().Add(time.Hour)

	t.Run("first mark is first, the next are not", func(t *testing.T) {
		t.Parallel()
		m, key := newMarks(t), uniqueKey("jti")
		if marked := mustMarked(t, m, key); marked {
			t.Error("Marked before Mark = true")
		}
		if first := mustMark(t, m, key, hour); !first {
			t.Error("first Mark = false, want true")
		}
		if first := mustMark(t, m, key, hour); first {
			t.Error("second Mark = true, want false (a replayed jti)")
		}
		if marked := mustMarked(t, m, key); !marked {
			t.Error("Marked after Mark = false")
		}
		if marked := mustMarked(t, m, uniqueKey("jti")); marked {
			t.Error("another key is Marked")
		}
	})

	t.Run("a mark expires", func(t *testing.T) {
		t.Parallel()
		m, key := newMarks(t), uniqueKey("ended:sid")
		mustMark(t, m, key, time.Now().Add(shortTTL))
		time.Sleep(2 * shortTTL)
		if mustMarked(t, m, key) {
			t.Error("Marked after its expiry = true")
		}
		if !mustMark(t, m, key, hour) {
			t.Error("Mark after expiry = false, want true")
		}
	})

	t.Run("a mark already expired is not kept", func(t *testing.T) {
		t.Parallel()
		m, key := newMarks(t), uniqueKey("jti")
		if !mustMark(t, m, key, time.Now().Add(-time.Minute)) {
			t.Error("Mark with a past expiry = false, want true")
		}
		if mustMarked(t, m, key) {
			t.Error("Marked with a past expiry = true")
		}
	})

	// The same logout token delivered to two replicas at once: only one may
	// act on it (Back-Channel Logout 1.0, section 2.6).
	t.Run("concurrent marks: exactly one first", func(t *testing.T) {
		t.Parallel()
		m, key := newMarks(t), uniqueKey("jti")
		var mu sync.Mutex
		firsts := 0
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				first, err := m.Mark(ctx, key, hour)
				if err != nil {
					t.Error(err)
				}
				if first {
					mu.Lock()
					firsts++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if firsts != 1 {
			t.Errorf("%d concurrent Marks were first, want exactly 1", firsts)
		}
	})
}

// uniqueKey returns a key no other test uses (the Redis tests share one
// server).
func uniqueKey(kind string) string { return kind + ":" + rand.Text() }

func mustAdd(t *testing.T, ix session.Index, key, token string, expiry time.Time) {
	t.Helper()
	if err := ix.Add(context.Background(), key, token, expiry); err != nil {
		t.Fatalf("Add(%s): %v", key, err)
	}
}

func mustTake(t *testing.T, ix session.Index, key string) []string {
	t.Helper()
	tokens, err := ix.Take(context.Background(), key)
	if err != nil {
		t.Fatalf("Take(%s): %v", key, err)
	}
	return tokens
}

func mustMark(t *testing.T, m session.Marks, key string, until time.Time) bool {
	t.Helper()
	first, err := m.Mark(context.Background(), key, until)
	if err != nil {
		t.Fatalf("Mark(%s): %v", key, err)
	}
	return first
}

func mustMarked(t *testing.T, m session.Marks, key string) bool {
	t.Helper()
	marked, err := m.Marked(context.Background(), key)
	if err != nil {
		t.Fatalf("Marked(%s): %v", key, err)
	}
	return marked
}

func assertTokens(t *testing.T, got []string, want ...string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("tokens = %q, want %q", got, want)
	}
}

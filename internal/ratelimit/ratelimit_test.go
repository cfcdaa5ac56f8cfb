package ratelimit_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/ratelimit"
)

var start = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// A client gets perMinute at once, then one every minute/perMinute; another
// client has a bucket of its own.
func TestEachClientHasItsOwnBucket(t *testing.T) {
	limit := ratelimit.New(6, 100) // 6 at once, then one every 10 s
	for i := range 6 {
		if ok, _ := limit.Allow("a", start); !ok {
			t.Fatalf("request %d of a burst of 6 refused", i+1)
		}
	}
	ok, retryAfter := limit.Allow("a", start)
	if ok {
		t.Fatal("the 7th request at once was allowed")
	}
	if retryAfter <= 9*time.Second || retryAfter > 10*time.Second {
		t.Errorf("retry after %s, want 10 s (one token per 10 s)", retryAfter)
	}
	if ok, _ := limit.Allow("b", start); !ok {
		t.Error("another client was refused: the bucket is not per client")
	}
	if ok, _ := limit.Allow("a", start.Add(9*time.Second)); ok {
		t.Error("a token came back before its 10 s")
	}
	if ok, _ := limit.Allow("a", start.Add(10*time.Second)); !ok {
		t.Error("no token after 10 s")
	}
}

// A client not seen for a minute is forgotten (its bucket would be full
// again), and no more than maxClients are ever held.
func TestTheTableStaysBounded(t *testing.T) {
	limit := ratelimit.New(3, 1000)
	for i := range 100_000 {
		limit.Allow(fmt.Sprint("flood-", i), start)
	}
	if n := limit.Clients(); n != 1000 {
		t.Fatalf("%d clients held after 100,000 addresses, want the cap of 1000", n)
	}
	// A minute later the idle ones are gone: one new client is all there is.
	limit.Allow("later", start.Add(time.Minute))
	if n := limit.Clients(); n != 1 {
		t.Errorf("%d clients held a minute after the flood, want 1", n)
	}
	// A client seen a moment ago stays (forgetting it would refill it).
	for range 3 {
		limit.Allow("busy", start.Add(time.Minute))
	}
	limit.Allow("other", start.Add(time.Minute+59*time.Second))
	if ok, _ := limit.Allow("busy", start.Add(time.Minute+time.Second)); ok {
		t.Error("an exhausted client was forgotten and refilled before a minute had passed")
	}
}

// Beyond the cap, new clients share one bucket: a flood from more
// addresses than the table holds is still limited as a whole.
func TestClientsBeyondTheCapShareOneBucket(t *testing.T) {
	limit := ratelimit.New(5, 10)
	for i := range 10 {
		limit.Allow(fmt.Sprint("resident-", i), start)
	}
	allowed := 0
	for i := range 1000 {
		if ok, _ := limit.Allow(fmt.Sprint("newcomer-", i), start); ok {
			allowed++
		}
	}
	if allowed != 5 {
		t.Errorf("%d of 1000 new clients allowed while the table was full, want 5 (one shared bucket)", allowed)
	}
	if ok, _ := limit.Allow("resident-3", start); !ok {
		t.Error("a client in the table lost its own bucket to the flood")
	}
}

// Memory under a flood of new addresses stays flat once the table is full.
func TestMemoryStaysFlatUnderAFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	const maxClients = 10_000
	limit := ratelimit.New(120, maxClients)
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	for i := range maxClients {
		limit.Allow(fmt.Sprint("2001:db8:", i, "::/64"), start)
	}
	full := heap()
	for i := range 20 * maxClients {
		limit.Allow(fmt.Sprint("2001:db8:ffff:", i, "::/64"), start.Add(time.Second))
	}
	after := heap()
	perClient := float64(full-before) / maxClients
	t.Logf("%.0f heap bytes per client held; table full: %d KiB; after 200,000 more addresses: %+d KiB",
		perClient, (full-before)/1024, (int64(after)-int64(full))/1024)
	if growth := int64(after) - int64(full); growth > 256<<10 {
		t.Errorf("the heap grew %d KiB under a flood of new addresses once the table was full", growth/1024)
	}
	runtime.KeepAlive(limit)
}

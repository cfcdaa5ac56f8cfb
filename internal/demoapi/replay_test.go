package demoapi

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// The replay cache on its own (replay.go): expiry by time, its bounds, and
// what it costs.

const proofLife = ProofMaxAge + proofSkew

func testKey(i int) keyID { return keyID(sha256.Sum256(fmt.Appendf(nil, "key-%d", i))) }

func TestReplayCacheRefusesAReplayUntilTheProofExpires(t *testing.T) {
	c := newReplayCache(proofLife, 100, 10)
	now := time.Unix(1_700_000_000, 0)
	until := now.Add(ProofMaxAge)
	if got := c.remember(testKey(1), "jti-1", until, now); got != firstUse {
		t.Fatalf("first use: %v", got)
	}
	// The same jti by another key is another proof.
	if got := c.remember(testKey(2), "jti-1", until, now); got != firstUse {
		t.Errorf("the same jti by another key: %v, want firstUse", got)
	}
	for _, at := range []time.Duration{0, time.Second, ProofMaxAge / 2, ProofMaxAge} {
		if got := c.remember(testKey(1), "jti-1", until, now.Add(at)); got != replayed {
			t.Errorf("replayed %s later (the proof is valid until %s): %v, want replayed", at, ProofMaxAge, got)
		}
	}
	// Once the proof is too old for checkProof, the cache lets it go: its
	// generation is dropped whole when its time has passed.
	if got := c.size(now.Add(ProofMaxAge + replaySpan)); got != 0 {
		t.Errorf("%d proofs remembered after they all expired, want 0", got)
	}
}

func TestReplayCacheBounds(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	until := now.Add(ProofMaxAge)
	t.Run("one key", func(t *testing.T) {
		c := newReplayCache(proofLife, MaxSeenProofs, MaxProofsPerKey)
		for i := range MaxProofsPerKey {
			if got := c.remember(testKey(1), fmt.Sprint(i), until, now); got != firstUse {
				t.Fatalf("proof %d of one key: %v", i, got)
			}
		}
		// One key tries to fill the whole cache: refused past its quota
		// ...
		for i := range MaxSeenProofs {
			if got := c.remember(testKey(1), fmt.Sprint("more-", i), until, now); got != keyOverQuota {
				t.Fatalf("proof %d of one key: %v, want keyOverQuota", MaxProofsPerKey+i, got)
			}
		}
		// ... and everyone else is served.
		if got := c.remember(testKey(2), "jti", until, now); got != firstUse {
			t.Errorf("another key after the flood: %v, want firstUse", got)
		}
		if got := c.size(now); got != MaxProofsPerKey+1 {
			t.Errorf("%d proofs remembered, want %d", got, MaxProofsPerKey+1)
		}
	})
	t.Run("all keys", func(t *testing.T) {
		c := newReplayCache(proofLife, 1000, 10)
		for i := range 1000 {
			if got := c.remember(testKey(i/10), fmt.Sprint(i), until, now); got != firstUse {
				t.Fatalf("proof %d: %v", i, got)
			}
		}
		if got := c.remember(testKey(1000), "jti", until, now); got != cacheFull {
			t.Errorf("a proof past the cache's bound: %v, want cacheFull", got)
		}
		// Time frees it.
		later := now.Add(ProofMaxAge + replaySpan)
		if got := c.remember(testKey(1000), "jti", later.Add(ProofMaxAge), later); got != firstUse {
			t.Errorf("after the proofs expired: %v, want firstUse", got)
		}
	})
}

// A flood of valid proofs, at the cache's bound, for ten minutes: the
// cache never holds more than MaxSeenProofs, and the heap after five
// minutes is the heap after ten (nothing accumulates: old generations are
// let go).
func TestReplayCacheMemoryStaysFlatUnderAFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("remembers 1.8 million proofs")
	}
	c := newReplayCache(proofLife, MaxSeenProofs, MaxProofsPerKey)
	now := time.Unix(1_700_000_000, 0)
	const perSecond = 3000 // 3,000 proofs a second from 100 keys: over the bound
	var atFive int64
	jti := 0
	for second := 1; second <= 600; second++ {
		for i := range perSecond {
			jti++
			c.remember(testKey(i%100), fmt.Sprint(jti), now.Add(ProofMaxAge), now)
		}
		now = now.Add(time.Second)
		if n := c.size(now); n > MaxSeenProofs {
			t.Fatalf("second %d: %d proofs remembered, more than %d", second, n, MaxSeenProofs)
		}
		if second == 300 {
			atFive = heapAlloc()
		}
	}
	atTen := heapAlloc()
	runtime.KeepAlive(c)
	t.Logf("heap after 5 minutes %.1f MiB, after 10 minutes %.1f MiB", float64(atFive)/(1<<20), float64(atTen)/(1<<20))
	if atTen > atFive+atFive/5+(1<<20) {
		t.Errorf("the heap grew from %.1f MiB (5 minutes) to %.1f MiB (10 minutes) under a steady flood",
			float64(atFive)/(1<<20), float64(atTen)/(1<<20))
	}
}

func heapAlloc() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkReplayCacheBytesPerProof fills a cache to MaxSeenProofs (100
// keys) and reports the heap it holds per remembered proof.
func BenchmarkReplayCacheBytesPerProof(b *testing.B) {
	now := time.Unix(1_700_000_000, 0)
	jtis := make([]string, MaxSeenProofs)
	for i := range jtis {
		jtis[i] = fmt.Sprintf("%043d", i) // as long as the app's (32 random bytes, base64url)
	}
	var perProof float64
	for b.Loop() {
		before := heapAlloc()
		c := newReplayCache(proofLife, MaxSeenProofs, MaxProofsPerKey)
		for i, jti := range jtis {
			c.remember(testKey(i%100), jti, now.Add(ProofMaxAge), now)
		}
		perProof = float64(heapAlloc()-before) / float64(c.size(now))
		runtime.KeepAlive(c)
	}
	b.ReportMetric(perProof, "bytes/proof")
}

// BenchmarkReplayCacheRemember is the time of one remember in a steady
// state: 1,000 new proofs a second from 1,000 keys, about 70,000 remembered.
func BenchmarkReplayCacheRemember(b *testing.B) {
	now := time.Unix(1_700_000_000, 0)
	c := newReplayCache(proofLife, MaxSeenProofs, MaxProofsPerKey)
	keys := make([]keyID, 1000)
	for i := range keys {
		keys[i] = testKey(i)
	}
	i := 0
	for b.Loop() {
		if c.remember(keys[i%len(keys)], fmt.Sprintf("%043d", i), now.Add(ProofMaxAge), now) != firstUse {
			b.Fatal("refused")
		}
		i++
		if i%1000 == 0 {
			now = now.Add(time.Second)
		}
	}
}

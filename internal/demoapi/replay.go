package demoapi

import (
	"crypto/sha256"
	"sync"
	"time"
)

// The DPoP replay cache. RFC 9449 section 11.1: servers "can store the jti
// value of each DPoP proof for the time window in which the respective DPoP
// proof JWT would be accepted", and "in order to guard against memory
// exhaustion attacks, a server that is tracking jti values should reject
// DPoP proof JWTs with unnecessarily large jti values or store only a hash
// thereof". This cache does both, and bounds the rest:
//
//   - size: each proof is remembered as a fixed 32 bytes, the SHA-256 of the
//     key's thumbprint and the jti (checkProof refuses a jti longer than
//     MaxJTILength before it gets here);
//   - time: a proof is forgotten once its iat is too old for checkProof to
//     accept it. Proofs are kept in generations by when they expire, each
//     covering replaySpan; a generation whose time has passed is dropped
//     whole (one map let go), so nothing is ever scanned under the lock;
//   - count: MaxSeenProofs in all, and MaxProofsPerKey for one DPoP key, so
//     that one client (one key: an access token bound to it, issued by the
//     realm) cannot fill the cache and make everyone else's proofs fail.

// The cache's limits.
const (
	// MaxJTILength: a longer jti is refused (the app's are 43 characters).
	MaxJTILength = 256
	// MaxSeenProofs: proofs remembered at once, all keys together.
	MaxSeenProofs = 100_000
	// MaxProofsPerKey: proofs remembered at once for one DPoP key: about 75
	// requests a second through the proof window, per client.
	MaxProofsPerKey = 5_000
	// replaySpan: how much expiry time one generation covers.
	replaySpan = 10 * time.Second
)

// proofID is what the cache keeps of a proof: SHA-256(thumbprint || jti).
// The thumbprint is 32 bytes, so the two parts cannot run into each other.
type proofID [32]byte

// keyID is the key's JWK SHA-256 thumbprint (RFC 7638).
type keyID [32]byte

// verdict is what remember decided.
type verdict int

const (
	firstUse     verdict = iota // new: remembered
	replayed                    // seen before: refuse
	keyOverQuota                // this key has MaxProofsPerKey proofs remembered
	cacheFull                   // MaxSeenProofs remembered in all
)

// replayCache remembers proofs until they expire. It is safe for
// concurrent use.
type replayCache struct {
	mu     sync.Mutex
	ring   []generation // generation i lives in ring[i % len(ring)]
	max    int
	perKey int
}

// generation holds the proofs that expire within one replaySpan.
type generation struct {
	index  int64 // expiry time / replaySpan; 0 = empty slot
	proofs map[proofID]struct{}
	perKey map[keyID]int
}

// newReplayCache returns a cache for proofs that live at most maxLife
// after they are checked (ProofMaxAge plus the clock skew allowed).
func newReplayCache(maxLife time.Duration, max, perKey int) *replayCache {
	// Live generations run from now's to now+maxLife's: that many spans,
	// plus one for the partial span at each end.
	slots := int(maxLife/replaySpan) + 2
	return &replayCache{ring: make([]generation, slots), max: max, perKey: perKey}
}

func generationOf(t time.Time) int64 { return t.UnixNano() / int64(replaySpan) }

// remember records the proof (key, jti) as used until the time until, if
// it is new and the limits allow.
func (c *replayCache) remember(key keyID, jti string, until, now time.Time) verdict {
	id := proofID(sha256.Sum256(append(key[:], jti...)))
	current, expiry := generationOf(now), generationOf(until)

	c.mu.Lock()
	defer c.mu.Unlock()
	total, forKey := 0, 0
	for i := range c.ring {
		g := &c.ring[i]
		if g.index < current {
			*g = generation{} // expired: dropped whole, never scanned
			continue
		}
		if _, seen := g.proofs[id]; seen {
			return replayed
		}
		total += len(g.proofs)
		forKey += g.perKey[key]
	}
	switch {
	case forKey >= c.perKey:
		return keyOverQuota
	case total >= c.max:
		return cacheFull
	case expiry < current || expiry >= current+int64(len(c.ring)):
		// Cannot happen: checkProof refused the proof's iat. Refusing
		// is safer than putting it where it would be dropped too soon.
		return cacheFull
	}
	g := &c.ring[expiry%int64(len(c.ring))]
	if g.index != expiry {
		*g = generation{index: expiry, proofs: map[proofID]struct{}{}, perKey: map[keyID]int{}}
	}
	g.proofs[id] = struct{}{}
	g.perKey[key]++
	return firstUse
}

// size is the number of proofs remembered (for tests).
func (c *replayCache) size(now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, g := range c.ring {
		if g.index >= generationOf(now) {
			n += len(g.proofs)
		}
	}
	return n
}

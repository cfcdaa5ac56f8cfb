// Package ratelimit limits how often each client may do something: a token
// bucket per client (golang.org/x/time/rate), kept in a table whose size is
// bounded, so that a flood from many addresses cannot grow it without end.
package ratelimit

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// PerClient allows each client perMinute actions at once, then one every
// minute/perMinute: a bucket of perMinute tokens that refills in a minute.
//
// Memory is bounded two ways. A client not seen for a minute is forgotten:
// its bucket would be full again, so forgetting it changes nothing. And the
// table holds at most maxClients clients: beyond that, new clients share one
// bucket (overflow) until old ones are forgotten, so a flood from more
// addresses than that is still limited, as a whole.
type PerClient struct {
	perMinute  int
	maxClients int

	mu       sync.Mutex
	clients  map[string]*list.Element // values are *client
	byAge    *list.List               // front: seen last; back: the longest unseen
	overflow *rate.Limiter
}

type client struct {
	key      string
	bucket   *rate.Limiter
	lastSeen time.Time
}

// forgetAfter is how long an unseen client's bucket takes to fill up again.
const forgetAfter = time.Minute

// New returns a PerClient; perMinute and maxClients must be positive.
func New(perMinute, maxClients int) *PerClient {
	p := &PerClient{perMinute: perMinute, maxClients: maxClients, clients: map[string]*list.Element{}, byAge: list.New()}
	p.overflow = p.newBucket()
	return p
}

func (p *PerClient) newBucket() *rate.Limiter {
	return rate.NewLimiter(rate.Limit(float64(p.perMinute)/forgetAfter.Seconds()), p.perMinute)
}

// Allow takes a token from key's bucket at now. When there is none, it
// returns false and how long until there is one.
func (p *PerClient) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forgetUnseen(now)
	bucket := p.bucketOf(key, now)
	if bucket.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - bucket.TokensAt(now)
	return false, time.Duration(missing / float64(bucket.Limit()) * float64(time.Second))
}

// Clients is how many clients the table holds now.
func (p *PerClient) Clients() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.clients)
}

// forgetUnseen drops the clients not seen for forgetAfter. They are at the
// back of byAge, so this stops at the first recent one: no scan.
func (p *PerClient) forgetUnseen(now time.Time) {
	for oldest := p.byAge.Back(); oldest != nil; oldest = p.byAge.Back() {
		c := oldest.Value.(*client)
		if now.Sub(c.lastSeen) < forgetAfter {
			return
		}
		p.byAge.Remove(oldest)
		delete(p.clients, c.key)
	}
}

// bucketOf returns key's bucket, making one if there is room, or else the
// shared overflow bucket.
func (p *PerClient) bucketOf(key string, now time.Time) *rate.Limiter {
	if e, ok := p.clients[key]; ok {
		c := e.Value.(*client)
		c.lastSeen = now
		p.byAge.MoveToFront(e)
		return c.bucket
	}
	if len(p.clients) >= p.maxClients {
		return p.overflow
	}
	c := &client{key: key, bucket: p.newBucket(), lastSeen: now}
	p.clients[key] = p.byAge.PushFront(c)
	return c.bucket
}

// Package testclock is a clock that tests move by hand: session expiry,
// pending-login timeouts and JWKS refetch limits are tested without waiting.
package testclock

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock that starts at now.
func New(now time.Time) *Clock { return &Clock{now: now} }

// Now is the clock's time; pass it where the code takes a func() time.Time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

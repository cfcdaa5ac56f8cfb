package session

import (
	"context"
	"net/url"

	"github.com/alexedwards/scs/redisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
)

// Stores are where sessions live: the scs session store, the back-channel
// logout index, the marks and the attachments. They go together: replicas that share
// sessions must share the index and the marks too, or a back-channel
// logout received by one replica would miss the sessions of another.
type Stores struct {
	Store       scs.Store
	Index       Index
	Marks       Marks
	Attachments Attachments
	// Description names the stores for the log, without any password.
	Description string

	ping  func(context.Context) error
	close func() error
}

// NewStores builds the stores named by SESSION_STORE (checked by
// internal/config): nil ("memory") keeps everything in this process (one
// replica; a restart logs everyone out), a redis:// or rediss:// URL keeps
// it in that Redis (any number of replicas; sessions survive restarts of the
// app). Redis is not contacted here: the app starts while Redis is still
// starting, and a request that needs it meanwhile gets the "sessions
// unavailable" page.
func NewStores(redisURL *url.URL) *Stores {
	if redisURL == nil {
		// The cleanup goroutine lives as long as the process; it is not
		// stopped in Close because scs's StopCleanup races with its start.
		return &Stores{
			Store:       memstore.New(),
			Index:       NewMemoryIndex(),
			Marks:       NewMemoryMarks(),
			Attachments: NewMemoryAttachments(),
			Description: "memory",
			ping:        func(context.Context) error { return nil },
			close:       func() error { return nil },
		}
	}
	pool := newRedisPool(redisURL.String())
	return &Stores{
		Store:       redisstore.NewWithPrefix(pool, KeyPrefix+"session:"),
		Index:       NewRedisIndex(pool, KeyPrefix+"index:"),
		Marks:       NewRedisMarks(pool, KeyPrefix+"mark:"),
		Attachments: NewRedisAttachments(pool, KeyPrefix+"attachment:"),
		Description: redacted(redisURL),
		ping: func(ctx context.Context) error {
			_, err := do(ctx, pool, "PING")
			return err
		},
		close: pool.Close,
	}
}

// Ping checks that the stores answer (always true for memory).
func (s *Stores) Ping(ctx context.Context) error { return s.ping(ctx) }

// Close releases the stores' connections. Sessions in Redis stay there.
func (s *Stores) Close() error { return s.close() }

// redacted is the URL without its user info: a password never reaches the
// log. (A lone user name is a password too: redis://secret@host.)
func redacted(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.UserPassword("", "xxxxx")
	}
	return c.String()
}

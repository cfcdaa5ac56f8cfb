package session

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gomodule/redigo/redis"
)

// Attachments keep data that belongs beside the sessions but is not needed
// on every request: the flow inspector's records (internal/inspector owns
// their keys and their life). They stay out of the session record, which
// every request loads and saves. Each expires at the time it was given.
type Attachments interface {
	Put(ctx context.Context, token string, data []byte, expiry time.Time) error
	Get(ctx context.Context, token string) (data []byte, ok bool, err error)
	Delete(ctx context.Context, token string) error
}

// MemoryAttachments keeps attachments in this process (one replica only).
type MemoryAttachments struct {
	mu      sync.Mutex
	entries map[string]attachment
	sweepAt int
}

type attachment struct {
	data   []byte
	expiry time.Time
}

// NewMemoryAttachments returns an empty in-memory attachment store.
func NewMemoryAttachments() *MemoryAttachments {
	return &MemoryAttachments{entries: map[string]attachment{}}
}

func (s *MemoryAttachments) Put(_ context.Context, token string, data []byte, expiry time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Sweep expired entries when the map has doubled since the last
	// sweep: memory follows live sessions at O(1) per Put on average.
	if len(s.entries) >= s.sweepAt {
		now := time.Now()
		for k, a := range s.entries {
			if now.After(a.expiry) {
				delete(s.entries, k)
			}
		}
		s.sweepAt = max(2*len(s.entries), 64)
	}
	s.entries[token] = attachment{data: data, expiry: expiry}
	return nil
}

func (s *MemoryAttachments) Get(_ context.Context, token string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.entries[token]
	if !ok || time.Now().After(a.expiry) {
		return nil, false, nil
	}
	return a.data, true, nil
}

func (s *MemoryAttachments) Delete(_ context.Context, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, token)
	return nil
}

// RedisAttachments keeps attachments in Redis, shared by every replica;
// Redis expires each one with its session's lifetime.
type RedisAttachments struct {
	pool   *redis.Pool
	prefix string
}

// NewRedisAttachments returns attachments stored in Redis under prefix (for
// example KeyPrefix + "attachment:").
func NewRedisAttachments(pool *redis.Pool, prefix string) *RedisAttachments {
	return &RedisAttachments{pool: pool, prefix: prefix}
}

func (s *RedisAttachments) Put(ctx context.Context, token string, data []byte, expiry time.Time) error {
	if !expiry.After(time.Now()) {
		return nil
	}
	if _, err := do(ctx, s.pool, "SET", s.prefix+token, data, "PXAT", expiry.UnixMilli()); err != nil {
		return fmt.Errorf("redis attachment put: %w", err)
	}
	return nil
}

func (s *RedisAttachments) Get(ctx context.Context, token string) ([]byte, bool, error) {
	data, err := redis.Bytes(do(ctx, s.pool, "GET", s.prefix+token))
	if err == redis.ErrNil {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redis attachment get: %w", err)
	}
	return data, true, nil
}

func (s *RedisAttachments) Delete(ctx context.Context, token string) error {
	if _, err := do(ctx, s.pool, "DEL", s.prefix+token); err != nil {
		return fmt.Errorf("redis attachment delete: %w", err)
	}
	return nil
}

package session

import (
	"context"
	"fmt"
	"time"

	"github.com/gomodule/redigo/redis"
)

// Redis keys of this app all start with KeyPrefix, so the app can share a
// Redis with others:
//
//	authcode:session:<token>   a session (scs redisstore), expires with it
//	authcode:index:sid:<sid>   SET of session tokens of a provider session
//	authcode:index:sub:<sub>   SET of session tokens of a user
//	authcode:mark:jti:<jti>    a used logout token id, until it expires
//	authcode:mark:ended:sid:<sid>  a provider session ended by back-channel logout
//	authcode:attachment:<token>    the flow inspector's record of a session's login
//	authcode:mark:ended:token:<sha256>  a session ended by a logout (ended.go)
const KeyPrefix = "authcode:"

// redisTimeout bounds every Redis call: connecting, writing, reading.
// A Redis that does not answer within it is treated as gone (the user gets
// the "sessions unavailable" page), rather than holding requests open.
const redisTimeout = 2 * time.Second

// RedisIndex is an Index kept in Redis, shared by every replica of the app.
// Each key is a Redis SET of session tokens that expires with the last of
// its sessions. It needs Redis 7.0 or newer (PEXPIREAT ... NX / GT).
type RedisIndex struct {
	pool   *redis.Pool
	prefix string
}

// NewRedisIndex returns an Index stored in Redis under prefix (for example
// KeyPrefix + "index:").
func NewRedisIndex(pool *redis.Pool, prefix string) *RedisIndex {
	return &RedisIndex{pool: pool, prefix: prefix}
}

// Add records token under key. The set's expiry only ever moves later: a
// short-lived session added after a long-lived one must not make Redis
// forget the long-lived one early.
func (ix *RedisIndex) Add(ctx context.Context, key, token string, expiry time.Time) error {
	if !expiry.After(time.Now()) {
		return nil // already expired: nothing to find later
	}
	k, at := ix.prefix+key, expiry.UnixMilli()
	_, err := transaction(ctx, ix.pool,
		cmd("SADD", k, token),
		cmd("PEXPIREAT", k, at, "NX"), // a new set: its first expiry
		cmd("PEXPIREAT", k, at, "GT"), // an existing set: only extended
	)
	if err != nil {
		return fmt.Errorf("redis index add: %w", err)
	}
	return nil
}

// Take returns the tokens recorded for key and deletes the set, in one
// transaction: two replicas taking the same key at once (a logout token
// delivered twice) never both get a token.
func (ix *RedisIndex) Take(ctx context.Context, key string) ([]string, error) {
	k := ix.prefix + key
	replies, err := transaction(ctx, ix.pool,
		cmd("SMEMBERS", k),
		cmd("DEL", k),
	)
	if err != nil {
		return nil, fmt.Errorf("redis index take: %w", err)
	}
	tokens, err := redis.Strings(replies[0], nil)
	if err != nil {
		return nil, fmt.Errorf("redis index take: %w", err)
	}
	return tokens, nil
}

// Remove deletes token from key's set (SREM); Redis drops an empty set.
func (ix *RedisIndex) Remove(ctx context.Context, key, token string) error {
	if _, err := do(ctx, ix.pool, "SREM", ix.prefix+key, token); err != nil {
		return fmt.Errorf("redis index remove: %w", err)
	}
	return nil
}

// RedisMarks is a Marks set kept in Redis, shared by every replica: a
// logout token used at one replica is refused at every other one.
type RedisMarks struct {
	pool   *redis.Pool
	prefix string
}

// NewRedisMarks returns a Marks set stored in Redis under prefix (for
// example KeyPrefix + "mark:").
func NewRedisMarks(pool *redis.Pool, prefix string) *RedisMarks {
	return &RedisMarks{pool: pool, prefix: prefix}
}

// Mark sets key until the given time with SET NX (only if absent) PXAT
// (expire at, in Unix milliseconds): Redis does the check and the write in
// one step, so of two replicas marking the same key only one gets first.
func (s *RedisMarks) Mark(ctx context.Context, key string, until time.Time) (bool, error) {
	if !until.After(time.Now()) {
		return true, nil // expires at once: never seen again
	}
	reply, err := do(ctx, s.pool, "SET", s.prefix+key, 1, "NX", "PXAT", until.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("redis mark: %w", err)
	}
	return reply != nil, nil // OK: set now; nil: NX found the key there
}

// Marked reports whether key is set. Redis removes it when it expires.
func (s *RedisMarks) Marked(ctx context.Context, key string) (bool, error) {
	n, err := redis.Int(do(ctx, s.pool, "EXISTS", s.prefix+key))
	if err != nil {
		return false, fmt.Errorf("redis marked: %w", err)
	}
	return n == 1, nil
}

// newRedisPool returns a connection pool for a redis:// or rediss:// URL.
// Connections are made when needed, so the app starts while Redis is down
// and recovers by itself when Redis comes back.
func newRedisPool(rawURL string) *redis.Pool {
	return &redis.Pool{
		DialContext: func(ctx context.Context) (redis.Conn, error) {
			return redis.DialURLContext(ctx, rawURL,
				redis.DialConnectTimeout(redisTimeout),
				redis.DialReadTimeout(redisTimeout),
				redis.DialWriteTimeout(redisTimeout))
		},
		MaxIdle:     16,
		MaxActive:   128, // beyond: an error (a 503 page), not an unbounded queue
		IdleTimeout: 5 * time.Minute,
		// A connection idle for a while may have been cut (Redis restarted):
		// check it before use, so the request gets a fresh one instead of an
		// error.
		TestOnBorrowContext: func(ctx context.Context, c redis.Conn, lastUsed time.Time) error {
			if time.Since(lastUsed) < time.Second {
				return nil
			}
			_, err := redis.DoContext(c, ctx, "PING")
			return err
		},
	}
}

type command struct {
	name string
	args []any
}

func cmd(name string, args ...any) command { return command{name, args} }

// do runs one command on a pooled connection, bounded by redisTimeout.
func do(ctx context.Context, pool *redis.Pool, name string, args ...any) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	conn, err := pool.GetContext(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return redis.DoContext(conn, ctx, name, args...)
}

// transaction runs commands in MULTI/EXEC: Redis runs them one after the
// other with no other client's command in between. It returns one reply
// per command.
func transaction(ctx context.Context, pool *redis.Pool, cmds ...command) ([]any, error) {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	conn, err := pool.GetContext(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.Send("MULTI"); err != nil {
		return nil, err
	}
	for _, c := range cmds {
		if err := conn.Send(c.name, c.args...); err != nil {
			return nil, err
		}
	}
	replies, err := redis.Values(redis.DoContext(conn, ctx, "EXEC"))
	if err != nil {
		return nil, err
	}
	if len(replies) != len(cmds) {
		return nil, fmt.Errorf("EXEC returned %d replies for %d commands", len(replies), len(cmds))
	}
	for i, r := range replies {
		if e, ok := r.(redis.Error); ok {
			return nil, fmt.Errorf("%s: %w", cmds[i].name, e)
		}
	}
	return replies, nil
}

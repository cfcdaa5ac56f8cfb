package session_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gomodule/redigo/redis"

	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/internal/testkit/redistest"
)

// SESSION_STORE itself is checked by internal/config (TestLoadSessionStore).
func TestNewStoresMemory(t *testing.T) {
	stores := session.NewStores(nil)
	if stores.Description != "memory" || stores.Ping(context.Background()) != nil {
		t.Errorf("NewStores(nil) = %q, want memory that pings", stores.Description)
	}
	if err := stores.Close(); err != nil {
		t.Error(err)
	}
}

func TestNewStoresNeverShowsThePassword(t *testing.T) {
	for _, spec := range []string{
		"redis://:s3cret-pw@127.0.0.1:1/0",
		"redis://app:s3cret-pw@127.0.0.1:1/0", // ACL user
		"redis://s3cret-pw@127.0.0.1:1/0",     // a lone user name is the password
	} {
		u, err := url.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		stores := session.NewStores(u)
		defer stores.Close()
		if strings.Contains(stores.Description, "s3cret-pw") || !strings.Contains(stores.Description, "127.0.0.1:1/0") {
			t.Errorf("Description = %q for %s", stores.Description, spec)
		}
		// Nothing listens on port 1: the error says so without the URL.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = stores.Ping(ctx)
		cancel()
		if err == nil || strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("Ping = %v, want an error without the password", err)
		}
	}
}

// Every key the app writes starts with authcode:, and nothing is kept
// without an expiry: Redis forgets sessions, index sets and marks by itself.
func TestRedisKeysArePrefixedAndExpire(t *testing.T) {
	srv := redistest.Start(t)
	stores := redisStores(t, srv.URL())
	ctx := context.Background()
	expiry := time.Now().Add(time.Hour)

	if err := stores.Store.Commit("tok", []byte("data"), expiry); err != nil {
		t.Fatal(err)
	}
	if err := stores.Index.Add(ctx, "sid:s1", "tok", expiry); err != nil {
		t.Fatal(err)
	}
	if _, err := stores.Marks.Mark(ctx, "jti:j1", expiry); err != nil {
		t.Fatal(err)
	}

	conn, err := redis.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	keys, err := redis.Strings(conn.Do("KEYS", "*"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"authcode:session:tok": true, "authcode:index:sid:s1": true, "authcode:mark:jti:j1": true}
	if len(keys) != len(want) {
		t.Errorf("keys = %q, want %d keys", keys, len(want))
	}
	for _, k := range keys {
		if !want[k] {
			t.Errorf("unexpected key %q", k)
		}
		at, err := redis.Int64(conn.Do("PEXPIRETIME", k))
		if err != nil {
			t.Fatal(err)
		}
		if d := time.UnixMilli(at).Sub(expiry); d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("%s expires at %v, want %v", k, time.UnixMilli(at), expiry)
		}
	}
}

// Redis going away makes calls fail quickly (no hang), and the pool
// reconnects by itself when Redis is back: no restart of the app.
func TestRedisStoresRecoverWhenRedisReturns(t *testing.T) {
	srv := redistest.Start(t)
	stores := redisStores(t, srv.URL())
	ctx := context.Background()
	hour := time.Now().Add(time.Hour)

	if _, err := stores.Marks.Mark(ctx, "jti:before", hour); err != nil {
		t.Fatal(err)
	}
	srv.Stop()

	start := time.Now()
	if _, err := stores.Marks.Marked(ctx, "jti:before"); err == nil {
		t.Error("Marked succeeded with Redis stopped")
	}
	if _, _, err := stores.Store.Find("tok"); err == nil {
		t.Error("Find succeeded with Redis stopped")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("failing calls took %v, want them bounded by the timeouts", elapsed)
	}

	srv.Restart()
	var marked bool
	var err error
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if marked, err = stores.Marks.Marked(ctx, "jti:before"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || !marked {
		t.Fatalf("after Redis returned: Marked = %v, %v; want true (saved before the stop)", marked, err)
	}
}

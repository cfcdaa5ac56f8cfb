// Package redistest starts a real redis-server for a test, on a free
// loopback port with its own temporary directory, and stops it when the
// test ends. Tests use it to check the Redis session stores against Redis
// itself rather than a fake. It is not used by the app.
//
// redis-server comes from Debian's package (apt-get install redis-server).
// Without it the test is skipped with that hint, or fails when CI=true.
package redistest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gomodule/redigo/redis"
)

// Server is a redis-server process owned by one test.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	port int

	mu  sync.Mutex
	cmd *exec.Cmd
	out *syncBuffer
	// exited is closed when the current process has exited.
	exited chan struct{}
}

// Start starts redis-server and waits until it answers PING. It is stopped
// in t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		const hint = "redis-server is not installed: apt-get install -y redis-server"
		if os.Getenv("CI") == "true" {
			t.Fatal(hint + " (.ci/run installs it)")
		}
		t.Skip(hint + ", then run the test again")
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(s.kill)
	// A free port can be taken between asking and binding: try a few.
	var lastErr error
	for range 3 {
		s.port = freePort(t)
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("starting redis-server: %v", lastErr)
	return nil
}

// Addr is host:port of the server.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the SESSION_STORE value for the server (database 0).
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Stop shuts the server down as a Redis with persistence restarts: it saves
// its data to its directory first (SHUTDOWN SAVE), so Restart comes back
// with every key. Clients get errors until then.
func (s *Server) Stop() {
	s.t.Helper()
	conn, err := redis.Dial("tcp", s.Addr(), redis.DialConnectTimeout(2*time.Second),
		redis.DialReadTimeout(5*time.Second))
	if err != nil {
		s.t.Fatalf("redis-server: %v", err)
	}
	// On success the server exits without a reply: the error is expected.
	conn.Do("SHUTDOWN", "SAVE")
	conn.Close()
	s.mu.Lock()
	exited := s.exited
	s.mu.Unlock()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		s.t.Fatalf("redis-server did not exit after SHUTDOWN:\n%s", s.out.String())
	}
}

// Restart starts the server again on the same port and directory, and
// waits until it answers.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("restarting redis-server: %v", err)
	}
}

func (s *Server) start() error {
	out := &syncBuffer{}
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "", // no snapshots in the background (Stop saves once)
		"--appendonly", "no",
		"--dir", s.dir,
		"--daemonize", "no",
		"--logfile", "", // to stdout, shown when something fails
	)
	cmd.Stdout, cmd.Stderr = out, out
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.out, s.exited = cmd, out, exited
	s.mu.Unlock()

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited:\n%s", out.String())
		default:
		}
		if ping(s.Addr()) == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.kill()
	return fmt.Errorf("redis-server did not answer PING within 10s:\n%s", out.String())
}

// kill stops the current process, if it still runs (no save).
func (s *Server) kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

func ping(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := redis.DialContext(ctx, "tcp", addr, redis.DialReadTimeout(time.Second))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Do("PING")
	return err
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

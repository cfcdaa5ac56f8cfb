// Command loadrun is a reproducible load run of authcode-demo, on loopback
// only, bounded in requests and time. See BENCHMARKS.md for the figures and
// how to read them.
//
//	go run ./cmd/loadrun                 # 200 users, 20 profile views each, 10,000 sessions
//	go run ./cmd/loadrun -users 50 -sessions 1000 -rounds 1   # a quick one
//
// It runs three processes, so that each figure belongs to one of them:
//
//   - this process: the real app (handlers.App wired as main.go wires it,
//     memstore sessions) and, beside it, a bare net/http handler that
//     writes the same bytes as a profile page;
//   - a provider process: internal/testkit/testprovider, the in-process OpenID
//     Provider of the tests, with its request counters;
//   - a client process: the load generator, one cookie jar per user.
//
// This process's CPU time (getrusage) during the login phase is therefore
// the app's alone: the provider's signing and the client's work happen in
// the other processes. The same binary plays every role (-role).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadrun:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	role     string // "" (the app and the run), "provider" or "client": internal
	users    int
	profiles int
	workers  int
	sessions int
	rounds   int
	timeout  time.Duration
	cpuprof  string // CPU profile of the app process, for go tool pprof
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var o options
	flags := flag.NewFlagSet(args[0], flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.IntVar(&o.users, "users", 200, "distinct users who log in through the whole flow, then browse")
	flags.IntVar(&o.profiles, "profiles", 20, "GET /profile per user and round (and as many to the bare handler)")
	flags.IntVar(&o.workers, "workers", 16, "concurrent requests (bounded concurrency)")
	flags.IntVar(&o.sessions, "sessions", 10000, "further logged-in sessions created to measure memory (0: skip)")
	flags.IntVar(&o.rounds, "rounds", 3, "browse rounds, each /profile then the bare handler")
	flags.DurationVar(&o.timeout, "timeout", 10*time.Minute, "the run stops with an error after this long")
	flags.StringVar(&o.cpuprof, "cpuprofile", "", "write a CPU profile of the app process (this one) to this file")
	flags.StringVar(&o.role, "role", "", "internal: the role of a child process (provider or client)")
	if err := flags.Parse(args[1:]); err != nil {
		return err
	}
	if o.users < 1 || o.profiles < 1 || o.workers < 1 || o.rounds < 1 || o.sessions < 0 {
		return errors.New("-users, -profiles, -workers and -rounds must be at least 1, -sessions at least 0")
	}

	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	switch o.role {
	case "":
		return runApp(ctx, o, stdout, stderr)
	case "provider":
		return runProvider(ctx, stdin, stdout)
	case "client":
		return runClient(ctx, o, stdin, stdout)
	}
	return fmt.Errorf("unknown -role %q", o.role)
}

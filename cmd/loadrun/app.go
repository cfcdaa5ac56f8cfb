package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/authcode-demo/authcode-demo/app"
	"github.com/authcode-demo/authcode-demo/internal/config"
)

// runApp starts the provider and client processes, serves the app and the
// bare handler in this process, drives the phases and prints the report.
func runApp(ctx context.Context, o options, stdout, stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if o.cpuprof != "" {
		f, err := os.Create(o.cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	// 1. The provider, in its own process.
	provider, err := startChild(ctx, self, stderr, "-role", "provider")
	if err != nil {
		return err
	}
	defer provider.stop()
	var info providerInfo
	if err := provider.out.Decode(&info); err != nil {
		return fmt.Errorf("provider process: %w", err)
	}

	// 2. The app, wired by app/ as main.go wires it, and the bare handler. Log
	// lines are formatted as in production but discarded (no terminal I/O).
	appListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + appListener.Addr().String()
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// The app's configuration: config.example.env's defaults, pointed at
	// the provider process and this listener.
	cfg, err := config.Load(func(name string) string {
		return map[string]string{
			"BASE_URL":           base,
			"OIDC_ISSUER":        info.Issuer,
			"OIDC_CLIENT_ID":     "demo-app",    // testprovider's client
			"OIDC_CLIENT_SECRET": "test-secret", // testprovider's demo secret
			"TOKEN_PAGES":        "on",
			// Every simulated user logs in from 127.0.0.1.
			"LOGIN_RATE_LIMIT": "off",
		}[name]
	}, nil)
	if err != nil {
		return err
	}
	web, err := app.New(cfg, app.Options{Logger: logger}) // as main.go
	if err != nil {
		return err
	}
	defer web.Stores.Close()
	if err := web.Auth.Discover(ctx); err != nil {
		return err
	}
	stopApp := serve(appListener, web.Handler)
	defer stopApp()

	// One login from here first: discovery, JWKS and connections are warm,
	// as in a running app, and its profile page is what the bare handler
	// serves (same bytes, same length).
	page, err := warmUp(ctx, base)
	if err != nil {
		return fmt.Errorf("warm-up login: %w", err)
	}
	bareListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	bareURL := "http://" + bareListener.Addr().String()
	stopBare := serve(bareListener, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	defer stopBare()

	// 3. The client, in its own process.
	client, err := startChild(ctx, self, stderr, "-role", "client", "-workers", strconv.Itoa(o.workers))
	if err != nil {
		return err
	}
	defer client.stop()
	phase := func(cmd command) (phaseResult, error) {
		var res phaseResult
		if err := json.NewEncoder(client.in).Encode(cmd); err != nil {
			return res, err
		}
		if err := client.out.Decode(&res); err != nil {
			if ctx.Err() != nil {
				return res, fmt.Errorf("%s phase stopped: %w (-timeout %s, or interrupted)", cmd.Op, ctx.Err(), o.timeout)
			}
			return res, fmt.Errorf("client process: %w", err)
		}
		if res.Errors > 0 {
			return res, fmt.Errorf("%s: %d errors, first: %s", cmd.Op, res.Errors, res.FirstError)
		}
		return res, nil
	}
	counters := func() (providerCounters, error) { return fetchCounters(ctx, info.Control) }

	rep := report{opts: o, page: len(page)}

	// Phase 1: o.users log in at once (o.workers at a time).
	pc0, err := counters()
	if err != nil {
		return err
	}
	cpu0, _ := appCPU()
	if rep.login, err = phase(command{Op: "login", Base: base, From: 0, Count: o.users, Keep: true}); err != nil {
		return err
	}
	cpu1, _ := appCPU()
	pc1, err := counters()
	if err != nil {
		return err
	}
	rep.loginCPU = (cpu1 - cpu0) / time.Duration(o.users)
	rep.loginProviderCalls = pc1.minus(pc0)

	// Phase 2: they browse; the bare handler is hit the same way. Rounds
	// alternate, so both see the same machine state.
	for round := range o.rounds {
		c0, _ := appCPU()
		prof, err := phase(command{Op: "browse", Base: base, PerUser: o.profiles, Check: round == 0})
		if err != nil {
			return err
		}
		c1, _ := appCPU()
		bare, err := phase(command{Op: "browse", Base: bareURL, PerUser: o.profiles})
		if err != nil {
			return err
		}
		c2, _ := appCPU()
		rep.profile = append(rep.profile, prof)
		rep.bare = append(rep.bare, bare)
		rep.profileCPU = append(rep.profileCPU, (c1-c0)/time.Duration(prof.Ops))
		rep.bareCPU = append(rep.bareCPU, (c2-c1)/time.Duration(bare.Ops))
	}
	pc2, err := counters()
	if err != nil {
		return err
	}
	rep.browseProviderCalls = pc2.minus(pc1)

	// Phase 3: o.sessions more users log in; their sessions stay in the
	// store. Live heap after GC, before and after, gives bytes per session.
	if o.sessions > 0 {
		heap0, rss0 := liveHeap(), rss()
		cpu2, _ := appCPU()
		if rep.sessionLogins, err = phase(command{Op: "login", Base: base, From: o.users, Count: o.sessions}); err != nil {
			return err
		}
		cpu3, _ := appCPU()
		rep.sessionLoginCPU = (cpu3 - cpu2) / time.Duration(o.sessions)
		heap1, rss1 := liveHeap(), rss()
		rep.bytesPerSession = float64(int64(heap1)-int64(heap0)) / float64(o.sessions)
		rep.heapBefore, rep.heapAfter, rep.rssBefore, rep.rssAfter = heap0, heap1, rss0, rss1
		debug.FreeOSMemory() // return freed pages now rather than when the scavenger gets to them
		rep.rssReturned = rss()
		rep.liveSessions = 1 + o.users + o.sessions
	}

	rep.print(stdout)
	return nil
}

// serve runs h on l until the returned function is called.
func serve(l net.Listener, h http.Handler) (stop func()) {
	srv := &http.Server{ // main.go's settings
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	go srv.Serve(l)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
}

// warmUp logs "warmup" in and returns their profile page.
func warmUp(ctx context.Context, base string) ([]byte, error) {
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if err := loginAs(ctx, b, base, "warmup"); err != nil {
		return nil, err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/profile", nil)
	resp, err := b.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err == nil && (resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "sub-warmup")) {
		err = fmt.Errorf("GET /profile: status %d, not warmup's page", resp.StatusCode)
	}
	return page, err
}

// child is a provider or client process: JSON lines in and out.
type child struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *json.Decoder
}

func startChild(ctx context.Context, self string, stderr io.Writer, args ...string) (*child, error) {
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stderr = stderr
	cmd.WaitDelay = 5 * time.Second
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &child{cmd: cmd, in: in, out: json.NewDecoder(bufio.NewReader(out))}, nil
}

// stop closes the child's stdin, which ends it, and waits for it.
func (c *child) stop() {
	c.in.Close()
	c.cmd.Wait()
}

func fetchCounters(ctx context.Context, control string) (providerCounters, error) {
	var c providerCounters
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, control+"/counters", nil)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return c, fmt.Errorf("provider counters: %w", err)
	}
	defer resp.Body.Close()
	return c, json.NewDecoder(resp.Body).Decode(&c)
}

// appCPU is this process's CPU time so far, user + system (getrusage):
// the app's in the parent, the load generator's in the client process.
func appCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC() // a second cycle also frees what the first one's finalizers released
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// rss is this process's resident set size (VmRSS in /proc/self/status),
// in bytes; 0 where /proc is not available.
func rss() uint64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// report is everything the run measured.
type report struct {
	opts                options
	page                int
	login               phaseResult
	loginCPU            time.Duration
	loginProviderCalls  providerCounters
	profile, bare       []phaseResult
	profileCPU, bareCPU []time.Duration // this process's CPU per request
	browseProviderCalls providerCounters

	sessionLogins         phaseResult
	sessionLoginCPU       time.Duration
	bytesPerSession       float64
	heapBefore, heapAfter uint64
	rssBefore, rssAfter   uint64
	rssReturned           uint64 // after debug.FreeOSMemory
	liveSessions          int
}

func (r report) print(w io.Writer) {
	o := r.opts
	mib := func(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	fmt.Fprintf(w, "loadrun: %d users, %d workers, %d x %d profile views per round, %d rounds, %d extra sessions; GOMAXPROCS %d, %s\n",
		o.users, o.workers, o.users, o.profiles, o.rounds, o.sessions, runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintf(w, "\nlogin (GET /login, provider /authorize, GET /callback; %d users)\n", o.users)
	fmt.Fprintf(w, "  logins/s            %8.0f\n", r.login.perSecond())
	fmt.Fprintf(w, "  latency p50 / p99   %8.2f / %.2f ms\n", r.login.P50ms, r.login.P99ms)
	fmt.Fprintf(w, "  app CPU per login   %8.0f µs   (this process, getrusage; provider and client run in other processes)\n",
		float64(r.loginCPU.Microseconds()))
	fmt.Fprintf(w, "  app -> provider     token %d, userinfo %d, discovery %d, keys %d\n",
		r.loginProviderCalls.Token, r.loginProviderCalls.UserInfo, r.loginProviderCalls.Discovery, r.loginProviderCalls.Keys)

	fmt.Fprintf(w, "\nbrowse (GET /profile, %d-byte page; bare handler: the same bytes)\n", r.page)
	fmt.Fprintf(w, "  round   /profile req/s  p50 ms  p99 ms  CPU µs/req   bare req/s  p50 ms  p99 ms  CPU µs/req   ratio\n")
	var ratios []float64
	for i := range r.profile {
		p, b := r.profile[i], r.bare[i]
		ratio := p.perSecond() / b.perSecond()
		ratios = append(ratios, ratio)
		fmt.Fprintf(w, "  %5d   %14.0f  %6.2f  %6.2f  %10.1f   %10.0f  %6.2f  %6.2f  %10.1f   %5.2f\n",
			i+1, p.perSecond(), p.P50ms, p.P99ms, float64(r.profileCPU[i].Nanoseconds())/1000,
			b.perSecond(), b.P50ms, b.P99ms, float64(r.bareCPU[i].Nanoseconds())/1000, ratio)
	}
	slices.Sort(ratios)
	fmt.Fprintf(w, "  median ratio /profile : bare = %.2f   (CPU µs/req: the app process, server side only)\n", ratios[len(ratios)/2])
	var clientP, clientB float64
	for i := range r.profile {
		clientP += r.profile[i].ClientCPU / float64(r.profile[i].Ops)
		clientB += r.bare[i].ClientCPU / float64(r.bare[i].Ops)
	}
	fmt.Fprintf(w, "  load generator CPU µs/req: %.1f for /profile, %.1f for bare (mean of the rounds; the same machine)\n",
		clientP*1e6/float64(len(r.profile)), clientB*1e6/float64(len(r.bare)))
	fmt.Fprintf(w, "  app -> provider while browsing: %d requests (token %d, userinfo %d, discovery %d, keys %d)\n",
		r.browseProviderCalls.total(), r.browseProviderCalls.Token, r.browseProviderCalls.UserInfo,
		r.browseProviderCalls.Discovery, r.browseProviderCalls.Keys)

	if o.sessions > 0 {
		fmt.Fprintf(w, "\nsessions (%d more users log in and stay logged in)\n", o.sessions)
		fmt.Fprintf(w, "  logins/s            %8.0f   (p50 %.2f ms, p99 %.2f ms)\n",
			r.sessionLogins.perSecond(), r.sessionLogins.P50ms, r.sessionLogins.P99ms)
		fmt.Fprintf(w, "  app CPU per login   %8.0f µs\n", float64(r.sessionLoginCPU.Microseconds()))
		fmt.Fprintf(w, "  live heap           %s -> %s\n", mib(r.heapBefore), mib(r.heapAfter))
		fmt.Fprintf(w, "  bytes per session   %8.0f   (live heap after GC: store, back-channel index, /flow attachment)\n", r.bytesPerSession)
		fmt.Fprintf(w, "  process RSS         %s -> %s with %d logged-in sessions (%s after debug.FreeOSMemory)\n",
			mib(r.rssBefore), mib(r.rssAfter), r.liveSessions, mib(r.rssReturned))
	}
}

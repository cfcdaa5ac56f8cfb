package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// command is one phase the parent asks the client process to run.
type command struct {
	Op      string `json:"op"`       // "login" or "browse"
	Base    string `json:"base"`     // the server: the app, or the bare handler
	From    int    `json:"from"`     // users From .. From+Count-1 (login_hint=user<n>)
	Count   int    `json:"count"`    //
	Keep    bool   `json:"keep"`     // login: keep the cookie jars for browse
	PerUser int    `json:"per_user"` // browse: GET /profile this many times per user
	Check   bool   `json:"check"`    // browse: each user's first page must be theirs
}

// phaseResult is what the client measured during one phase.
type phaseResult struct {
	Ops        int     `json:"ops"` // logins or requests that succeeded
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	Bytes      int64   `json:"bytes"`      // response bodies read
	ClientCPU  float64 `json:"client_cpu"` // seconds of the client process's CPU time
}

func (r phaseResult) perSecond() float64 { return float64(r.Ops) / r.Seconds }

// runClient is the load generator: it reads commands on stdin and writes
// one phaseResult per command on stdout, until stdin closes.
func runClient(ctx context.Context, o options, stdin io.Reader, stdout io.Writer) error {
	transport := &http.Transport{
		Proxy:               nil, // loopback only, never a proxy
		MaxIdleConnsPerHost: o.workers,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	c := &client{workers: o.workers, transport: transport, browsers: map[int]*http.Client{}}
	lines := bufio.NewScanner(stdin)
	out := json.NewEncoder(stdout)
	for lines.Scan() {
		var cmd command
		if err := json.Unmarshal(lines.Bytes(), &cmd); err != nil {
			return fmt.Errorf("client: bad command: %w", err)
		}
		var res phaseResult
		switch cmd.Op {
		case "login":
			res = c.login(ctx, cmd)
		case "browse":
			res = c.browse(ctx, cmd)
		default:
			return fmt.Errorf("client: unknown op %q", cmd.Op)
		}
		if err := out.Encode(res); err != nil {
			return err
		}
	}
	return lines.Err()
}

type client struct {
	workers   int
	transport *http.Transport
	mu        sync.Mutex
	browsers  map[int]*http.Client // user number -> their browser (cookie jar)
}

// newBrowser is a cookie-keeping client that does not follow redirects, so
// each hop of the flow is checked.
func (c *client) newBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:       jar,
		Transport: c.transport,
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// login runs the whole flow for each user, cmd.Count at a time through
// c.workers workers: GET /login, the provider's /authorize (which logs the
// user named by login_hint in at once), GET /callback.
func (c *client) login(ctx context.Context, cmd command) phaseResult {
	users := make([]int, cmd.Count)
	for i := range users {
		users[i] = cmd.From + i
	}
	return c.parallel(ctx, users, func(user int) (int64, error) {
		b := c.newBrowser()
		if err := loginAs(ctx, b, cmd.Base, fmt.Sprintf("user%d", user)); err != nil {
			return 0, err
		}
		if cmd.Keep {
			c.mu.Lock()
			c.browsers[user] = b
			c.mu.Unlock()
		}
		return 0, nil
	})
}

func loginAs(ctx context.Context, b *http.Client, app, hint string) error {
	location, err := expectRedirect(ctx, b, app+"/login?next=%2Fprofile", http.StatusFound)
	if err != nil {
		return fmt.Errorf("GET /login: %w", err)
	}
	location, err = expectRedirect(ctx, b, location+"&login_hint="+url.QueryEscape(hint), http.StatusFound)
	if err != nil {
		return fmt.Errorf("provider /authorize: %w", err)
	}
	location, err = expectRedirect(ctx, b, location, http.StatusSeeOther)
	if err != nil {
		return fmt.Errorf("GET /callback: %w", err)
	}
	if location != "/profile" {
		return fmt.Errorf("callback redirected to %q, want /profile", location)
	}
	return nil
}

func expectRedirect(ctx context.Context, b *http.Client, target string, want int) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", err
	}
	resp, err := b.Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return "", fmt.Errorf("status %d, want %d", resp.StatusCode, want)
	}
	return resp.Header.Get("Location"), nil
}

// browse has every kept user GET cmd.Base+"/profile" cmd.PerUser times,
// users interleaved, through c.workers workers.
func (c *client) browse(ctx context.Context, cmd command) phaseResult {
	c.mu.Lock()
	users := make([]int, 0, len(c.browsers)*cmd.PerUser)
	for range cmd.PerUser {
		for user := range c.browsers {
			users = append(users, user)
		}
	}
	c.mu.Unlock()
	checked := sync.Map{} // user -> already checked
	return c.parallel(ctx, users, func(user int) (int64, error) {
		c.mu.Lock()
		b := c.browsers[user]
		c.mu.Unlock()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cmd.Base+"/profile", nil)
		if err != nil {
			return 0, err
		}
		resp, err := b.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET /profile: status %d", resp.StatusCode)
		}
		if _, done := checked.LoadOrStore(user, true); cmd.Check && !done {
			body, err := io.ReadAll(resp.Body)
			want := fmt.Sprintf(`data-testid="sub">sub-user%d<`, user)
			if err == nil && !strings.Contains(string(body), want) {
				err = fmt.Errorf("user%d's /profile is not about user%d", user, user)
			}
			return int64(len(body)), err
		}
		return io.Copy(io.Discard, resp.Body)
	})
}

// parallel runs do once per job through c.workers workers and measures it.
func (c *client) parallel(ctx context.Context, jobs []int, do func(int) (int64, error)) phaseResult {
	queue := make(chan int)
	type workerResult struct {
		latencies []time.Duration
		errors    int
		firstErr  error
		bytes     int64
	}
	results := make([]workerResult, c.workers)
	var wg sync.WaitGroup
	cpu0, _ := appCPU() // this (client) process's CPU time
	start := time.Now()
	for w := range c.workers {
		wg.Go(func() {
			r := &results[w]
			for job := range queue {
				t0 := time.Now()
				n, err := do(job)
				if err != nil {
					r.errors++
					if r.firstErr == nil {
						r.firstErr = err
					}
					continue
				}
				r.latencies = append(r.latencies, time.Since(t0))
				r.bytes += n
			}
		})
	}
feed:
	for _, job := range jobs {
		select {
		case queue <- job:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, _ := appCPU()

	var res phaseResult
	var all []time.Duration
	var errs []error
	for _, r := range results {
		all = append(all, r.latencies...)
		res.Errors += r.errors
		res.Bytes += r.bytes
		if r.firstErr != nil {
			errs = append(errs, r.firstErr)
		}
	}
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	if len(errs) > 0 {
		res.FirstError = errors.Join(errs...).Error()
	}
	slices.Sort(all)
	res.Ops = len(all)
	res.Seconds = elapsed.Seconds()
	res.ClientCPU = (cpu1 - cpu0).Seconds()
	res.P50ms = percentile(all, 50)
	res.P99ms = percentile(all, 99)
	return res
}

// percentile is the nearest-rank percentile of sorted durations, in ms.
func percentile(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n), 1-based
	return float64(sorted[max(rank, 1)-1].Microseconds()) / 1000
}

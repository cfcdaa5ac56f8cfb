package handlers_test

// Several replicas of the app behind one load balancer, sharing sessions in
// Redis (SESSION_STORE=redis://...): a browser may reach any replica at any
// request, replicas restart, Redis restarts. These tests run two apps
// against a real redis-server (internal/testkit/redistest) and one test provider.
// Both replicas listen on 127.0.0.1 (on different ports): cookies are not
// port-specific, so the browser sends its session cookie to both, as it
// would to one host name behind a load balancer.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/internal/testkit/redistest"
	"github.com/authcode-demo/authcode-demo/internal/testkit/testprovider"
)

// replicaSet is two apps sharing one provider and one Redis.
type replicaSet struct {
	t        *testing.T
	redis    *redistest.Server
	provider *testprovider.Provider
}

func newReplicaSet(t *testing.T) *replicaSet {
	t.Helper()
	rs := &replicaSet{t: t, redis: redistest.Start(t), provider: testprovider.New()}
	t.Cleanup(rs.provider.Close)
	return rs
}

// start starts one replica with its own connection pool to the shared
// Redis, as a separate process would have.
func (rs *replicaSet) start() *testApp {
	rs.t.Helper()
	stores := redisStoresAt(rs.t, rs.redis.URL())
	return newTestApp(rs.t, func(o *appOptions) {
		o.provider = rs.provider
		o.stores = stores
	})
}

// on returns a browser that shares b's cookie jar but sends its requests
// to app: the same person, reaching another replica.
func (b *browser) on(app *testApp) *browser {
	return &browser{t: b.t, client: b.client, app: app}
}

func TestReplicasShareTheSession(t *testing.T) {
	rs := newReplicaSet(t)
	a, b := rs.start(), rs.start()
	viaA := a.newBrowser()
	viaB := viaA.on(b)

	viaA.mustLogin("/profile") // login, callback and session write at A
	for _, via := range []*browser{viaB, viaA, viaB} {
		profile := via.get("/profile")
		if profile.StatusCode != http.StatusOK || !strings.Contains(profile.Body, "alice@example.com") {
			t.Fatalf("GET %s/profile: status %d, want 200 with the user's profile", via.app.URL, profile.StatusCode)
		}
	}
	if !strings.Contains(a.logs.String(), "login succeeded") || strings.Contains(b.logs.String(), "login succeeded") {
		t.Error("the login did not happen at replica A only")
	}
}

// A logout token may reach any replica: it must end the session wherever
// the browser goes next, and a replay at another replica is still refused.
func TestBackchannelLogoutAtOneReplicaEndsTheSessionOnAnother(t *testing.T) {
	rs := newReplicaSet(t)
	a, b := rs.start(), rs.start()
	viaA := a.newBrowser()
	viaB := viaA.on(b)
	other := b.newBrowser() // another session, of another provider session
	other.mustLogin("/profile")
	viaA.mustLogin("/profile")
	if !viaB.loggedIn() {
		t.Fatal("replica B does not see the session started at A")
	}

	sub, sid := lastLoginSession(t, rs.provider)
	token := rs.provider.Sign(rs.provider.LogoutToken(sub, sid))
	if status := postLogoutTokenTo(t, a.URL, token); status != http.StatusOK {
		t.Fatalf("logout token at A: status %d, want 200\n%s", status, a.logs.String())
	}
	if viaB.loggedIn() {
		t.Error("replica B still serves the session that a logout at replica A ended")
	}
	if viaA.loggedIn() {
		t.Error("replica A still serves the ended session")
	}
	if !other.loggedIn() {
		t.Error("another provider session was ended too")
	}
	// Section 2.6: the jti is remembered in Redis, so every replica knows it.
	if status := postLogoutTokenTo(t, b.URL, token); status != http.StatusBadRequest {
		t.Errorf("the same logout token replayed at B: status %d, want 400", status)
	}
}

// Replicas are replaced (deploys, crashes): sessions live in Redis, so the
// new ones still know everyone.
func TestSessionsSurviveReplicaRestarts(t *testing.T) {
	rs := newReplicaSet(t)
	a, b := rs.start(), rs.start()
	browser := a.newBrowser()
	browser.mustLogin("/profile")
	a.server.Close()
	b.server.Close()

	a2, b2 := rs.start(), rs.start() // new App, session managers, pools
	for _, app := range []*testApp{a2, b2} {
		if !browser.on(app).loggedIn() {
			t.Errorf("the session did not survive the restart (replica %s)", app.URL)
		}
	}
}

// Redis going away is not a crash: pages that need the session answer 503
// with the "sessions unavailable" page, the rest of the app works, and when
// Redis is back the same session works again without restarting the app.
func TestRedisDownShowsAnErrorPageAndRecovers(t *testing.T) {
	rs := newReplicaSet(t)
	app := rs.start()
	browser := app.newBrowser()
	browser.mustLogin("/profile")

	rs.redis.Stop()
	down := browser.get("/profile")
	if down.StatusCode != http.StatusServiceUnavailable || !strings.Contains(down.Body, "Sessions are unavailable") {
		t.Errorf("GET /profile with Redis down: status %d, want 503 with the sessions-unavailable page\n%s", down.StatusCode, down.Body)
	}
	if strings.Contains(down.Body, "127.0.0.1:") || strings.Contains(down.Body, "connection refused") {
		t.Errorf("the error page shows internal details:\n%s", down.Body)
	}
	if !strings.Contains(app.logs.String(), "session store error") {
		t.Error("the store error was not logged")
	}
	if health := browser.get("/healthz"); health.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz with Redis down: %d, want 200 (the process is fine)", health.StatusCode)
	}

	rs.redis.Restart()
	start := time.Now()
	for {
		resp := browser.get("/profile")
		if resp.StatusCode == http.StatusOK && strings.Contains(resp.Body, "alice@example.com") {
			t.Logf("serving again %v after Redis answered", time.Since(start).Round(time.Millisecond))
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("GET /profile after Redis returned: status %d, want 200 with the same session", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The session loads, but the check for an ended provider session (a Redis
// call of its own) fails: still the 503 page, not a 500.
func TestMarksFailureShowsTheSessionsUnavailablePage(t *testing.T) {
	marks := &failingMarks{Marks: session.NewMemoryMarks()}
	app := newTestApp(t, func(o *appOptions) {
		o.stores = &session.Stores{Store: memstore.NewWithCleanupInterval(0), Index: session.NewMemoryIndex(), Marks: marks, Attachments: session.NewMemoryAttachments()}
	})
	browser := app.newBrowser()
	browser.mustLogin("/profile")
	marks.failing.Store(true)
	if resp := browser.get("/profile"); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(resp.Body, "Sessions are unavailable") {
		t.Errorf("GET /profile with Marked failing: status %d, want 503 with the sessions-unavailable page", resp.StatusCode)
	}
	marks.failing.Store(false)
	if !browser.loggedIn() {
		t.Error("the session did not work again after the store recovered")
	}
}

type failingMarks struct {
	session.Marks
	failing atomic.Bool
}

func (m *failingMarks) Marked(ctx context.Context, key string) (bool, error) {
	if m.failing.Load() {
		return false, errors.New("redis: connection refused")
	}
	return m.Marks.Marked(ctx, key)
}

// lastLoginSession returns the sub and sid of the newest ID token the
// provider issued.
func lastLoginSession(t *testing.T, p *testprovider.Provider) (sub, sid string) {
	t.Helper()
	tokens := p.IDTokens()
	if len(tokens) == 0 {
		t.Fatal("the provider issued no ID token")
	}
	parts := strings.Split(tokens[len(tokens)-1], ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ Sub, Sid string }
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Sid == "" {
		t.Fatalf("ID token claims %s: %v", payload, err)
	}
	return claims.Sub, claims.Sid
}

// postLogoutTokenTo posts a logout token the way a provider does: server
// to server, no cookies.
func postLogoutTokenTo(t *testing.T, appURL, token string) int {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.PostForm(appURL+"/backchannel-logout", url.Values{"logout_token": {token}})
	if err != nil {
		t.Fatalf("POST /backchannel-logout: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

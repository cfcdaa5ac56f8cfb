package handlers_test

// A logout must stay done. scs saves the whole session at the end of every
// request that changed it (a token refresh, or the idle timeout's expiry
// moving forward), so a request that was in flight when the user logged out
// (here: "Refresh now", waiting for the provider's token endpoint) must not
// write the session back or set its cookie again. The same for a back-channel logout, by sid or by sub, and
// on both session stores.

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/internal/testkit/redistest"
)

// storeKinds are the two SESSION_STORE choices, each as a fresh set of stores.
var storeKinds = []struct {
	name      string
	newStores func(t *testing.T) *session.Stores
}{
	{"memory", func(t *testing.T) *session.Stores {
		return &session.Stores{Store: memstore.NewWithCleanupInterval(0), Index: session.NewMemoryIndex(), Marks: session.NewMemoryMarks(), Attachments: session.NewMemoryAttachments()}
	}},
	{"redis", func(t *testing.T) *session.Stores {
		return redisStoresAt(t, redistest.Start(t).URL())
	}},
}

func TestLogoutCannotBeUndoneByARequestInFlight(t *testing.T) {
	logouts := []struct {
		name string
		do   func(t *testing.T, app *testApp, b *browser, sub, sid string)
	}{
		{"POST /logout", func(t *testing.T, app *testApp, b *browser, _, _ string) {
			if resp := b.post("/logout", nil, nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("POST /logout: status %d, want 303", resp.StatusCode)
			}
		}},
		{"back-channel logout by sid", func(t *testing.T, app *testApp, b *browser, sub, sid string) {
			token := app.provider.Sign(app.provider.LogoutToken(sub, sid))
			if status := postLogoutTokenTo(t, app.URL, token); status != http.StatusOK {
				t.Fatalf("logout token: status %d, want 200", status)
			}
		}},
		{"back-channel logout by sub", func(t *testing.T, app *testApp, b *browser, sub, _ string) {
			claims := app.provider.LogoutToken(sub, "")
			delete(claims, "sid")
			if status := postLogoutTokenTo(t, app.URL, app.provider.Sign(claims)); status != http.StatusOK {
				t.Fatalf("logout token: status %d, want 200", status)
			}
		}},
	}
	for _, kind := range storeKinds {
		for _, logout := range logouts {
			t.Run(kind.name+"/"+logout.name, func(t *testing.T) {
				stores := kind.newStores(t)
				hold := &providerCallHold{path: "/token", entered: make(chan struct{}), release: make(chan struct{})}
				app := newTestApp(t, func(o *appOptions) {
					o.stores = stores
					o.providerTransport = hold
				})
				b := app.newBrowser()
				b.t = t
				sub, sid := b.providerSession()
				oldToken := b.cookie("session")

				// "Refresh now" loads the session, then waits for the
				// provider's token endpoint: a request in flight.
				hold.armed.Store(true)
				done := make(chan int, 1)
				go func() {
					req, _ := http.NewRequest(http.MethodPost, app.URL+"/tokens", nil)
					resp, err := b.client.Do(req)
					if err != nil {
						done <- 0
						return
					}
					resp.Body.Close()
					done <- resp.StatusCode
				}()
				select {
				case <-hold.entered:
				case <-time.After(5 * time.Second):
					t.Fatal("the refresh never reached the provider")
				}

				logout.do(t, app, b, sub, sid)
				close(hold.release) // the request in flight finishes now
				if status := <-done; status == 0 {
					t.Fatal("the request in flight failed")
				}

				// The store first: a visit with the old cookie may clean up.
				if _, found, err := stores.Store.Find(oldToken); err != nil || found {
					t.Errorf("the store holds the ended session again (found %v, %v)", found, err)
				}
				if b.loggedIn() {
					t.Error("after the logout, the request in flight logged the browser in again")
				}
				// The old cookie, replayed by hand, is worthless too.
				replay := app.newBrowser()
				req, _ := http.NewRequest(http.MethodGet, app.URL+"/profile", nil)
				req.AddCookie(&http.Cookie{Name: "session", Value: oldToken})
				if resp := replay.do(req); resp.StatusCode == http.StatusOK {
					t.Error("the ended session's cookie still opens /profile")
				}
			})
		}
	}
}

// A local logout takes the session out of the back-channel index: a later
// logout token for the same provider session finds nothing left to end.
func TestLocalLogoutLeavesTheBackchannelIndex(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			app := newTestApp(t, func(o *appOptions) { o.stores = kind.newStores(t) })
			b := app.newBrowser()
			b.t = t
			sub, sid := b.providerSession()
			if resp := b.post("/logout", nil, nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("POST /logout: status %d, want 303", resp.StatusCode)
			}
			offset := app.logOffset()
			if status := postLogoutTokenTo(t, app.URL, app.provider.Sign(app.provider.LogoutToken(sub, sid))); status != http.StatusOK {
				t.Fatalf("logout token: status %d, want 200", status)
			}
			if logs := app.logSince(offset); !strings.Contains(logs, "sessions_ended=0") {
				t.Errorf("a logout token after the local logout still found a session to end:\n%s", logs)
			}
		})
	}
}

// providerCallHold is the app's transport to the provider: once armed, it
// holds the next call to path until release is closed.
type providerCallHold struct {
	path    string
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (h *providerCallHold) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == h.path && h.armed.CompareAndSwap(true, false) {
		close(h.entered)
		<-h.release
	}
	return http.DefaultTransport.RoundTrip(r)
}

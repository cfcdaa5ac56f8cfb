package handlers_test

// A closed tab cannot undo a logout. net/http cancels a request's context
// when the client hangs up; a logout that ran its session end and its
// token revocation on that context stopped halfway (with Redis sessions:
// still logged in; on either store: the refresh token alive). The tests
// here hang up at the worst moment, on both session stores: while the
// refresh token is being revoked (POST /logout), and while a back-channel
// logout is ending the sessions (the provider hanging up).

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/session"
)

func TestClosedTabCannotUndoALogout(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			stores := kind.newStores(t)
			revocation := &providerCallHold{path: "/revoke", entered: make(chan struct{}), release: make(chan struct{})}
			app := newTestApp(t, func(o *appOptions) {
				o.stores = stores
				o.providerTransport = revocation
			})
			b := app.newBrowser()
			b.t = t
			b.mustLogin("/profile")
			sessionToken := b.cookie("session")

			// POST /logout from the browser, whose tab will close while
			// the refresh token is being revoked.
			tab, closeTab := context.WithCancel(context.Background())
			defer closeTab()
			req := httptest.NewRequestWithContext(tab, http.MethodPost, "/logout", nil)
			req.AddCookie(&http.Cookie{Name: "session", Value: sessionToken})
			revocation.armed.Store(true)
			done := make(chan int, 1)
			go func() {
				rec := httptest.NewRecorder()
				app.handler.ServeHTTP(rec, req)
				done <- rec.Code
			}()
			select {
			case <-revocation.entered:
			case <-time.After(5 * time.Second):
				t.Fatal("the logout never called the revocation endpoint")
			}
			// The session ends first: it is gone before the revocation
			// is even sent.
			if _, found, err := stores.Store.Find(sessionToken); err != nil || found {
				t.Errorf("the session is still stored while the refresh token is being revoked (found %v, %v): the session must end first", found, err)
			}
			closeTab() // as net/http does when the browser hangs up
			close(revocation.release)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the logout did not finish")
			}

			if revoked := app.provider.Revoked(); len(revoked) != 1 {
				t.Errorf("the provider revoked %d refresh tokens, want 1: the closed tab stopped the revocation", len(revoked))
			}
			if _, found, err := stores.Store.Find(sessionToken); err != nil || found {
				t.Errorf("the store holds the session after the logout (found %v, %v)", found, err)
			}
			if b.loggedIn() {
				t.Error("the browser's cookie still opens /profile: the closed tab undid the logout")
			}
		})
	}
}

func TestProviderHangingUpCannotUndoABackchannelLogout(t *testing.T) {
	for _, kind := range storeKinds {
		for _, bySid := range []bool{true, false} {
			name := kind.name + "/by sub"
			if bySid {
				name = kind.name + "/by sid"
			}
			t.Run(name, func(t *testing.T) {
				stores := kind.newStores(t)
				// The provider hangs up right after the app has taken the
				// sessions out of the back-channel index, before it has
				// ended them.
				index := &hangUpAfterTake{Index: stores.Index}
				stores.Index = index
				app := newTestApp(t, func(o *appOptions) { o.stores = stores })
				b := app.newBrowser()
				b.t = t
				sub, sid := b.providerSession()
				sessionToken := b.cookie("session")

				claims := app.provider.LogoutToken(sub, sid)
				if !bySid {
					delete(claims, "sid")
				}
				form := url.Values{"logout_token": {app.provider.Sign(claims)}}
				ctx, hangUp := context.WithCancel(context.Background())
				defer hangUp()
				index.hangUp = hangUp
				req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/backchannel-logout", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				rec := httptest.NewRecorder()
				app.handler.ServeHTTP(rec, req)

				if !index.tookSessions {
					t.Fatal("the back-channel logout never reached the index")
				}
				if _, found, err := stores.Store.Find(sessionToken); err != nil || found {
					t.Errorf("the store holds the session after the back-channel logout (found %v, %v; the app answered %d)", found, err, rec.Code)
				}
				if b.loggedIn() {
					t.Errorf("the session survived a back-channel logout whose sender hung up (the app answered %d)", rec.Code)
				}
			})
		}
	}
}

// hangUpAfterTake is the back-channel index; once it has handed out the
// sessions of a provider session, the request's sender hangs up.
type hangUpAfterTake struct {
	session.Index
	hangUp       func()
	tookSessions bool
}

func (ix *hangUpAfterTake) Take(ctx context.Context, key string) ([]string, error) {
	tokens, err := ix.Index.Take(ctx, key)
	if ix.hangUp != nil && len(tokens) > 0 {
		ix.tookSessions = true
		ix.hangUp()
	}
	return tokens, err
}

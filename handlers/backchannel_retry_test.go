package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/session"
)

// A provider retries a logout token the app could not carry out (503, the
// session store failed). The retry is the same token, same jti: it must end
// the session, not be refused as a replay (Back-Channel Logout 1.0, 2.6
// and 2.8: the jti is used up only by a logout that happened).
func TestBackchannelLogoutRetryAfterStoreFailureIsCarriedOut(t *testing.T) {
	index := &failingIndex{Index: session.NewMemoryIndex()}
	app := newTestApp(t, func(o *appOptions) {
		o.stores = memoryStores(memstore.NewWithCleanupInterval(0), index)
	})
	b := app.newBrowser()
	sub, sid := b.providerSession()
	form := url.Values{"logout_token": {app.provider.Sign(app.provider.LogoutToken(sub, sid))}}

	index.failing.Store(true)
	if status := app.postLogoutToken(t, form); status != http.StatusServiceUnavailable {
		t.Fatalf("logout token while the store fails: status %d, want 503", status)
	}
	index.failing.Store(false)
	if status := app.postLogoutToken(t, form); status != http.StatusOK {
		t.Fatalf("the provider's retry of the same token: status %d, want 200\n%s", status, app.logs.String())
	}
	if b.loggedIn() {
		t.Error("the session survived the retried logout token")
	}
	// Now it is used up.
	if status := app.postLogoutToken(t, form); status != http.StatusBadRequest {
		t.Errorf("a third delivery after the logout was carried out: status %d, want 400 (replay)", status)
	}
}

// failingIndex is an Index whose Take (failing) or Add (failingAdd) fails
// while set, as Redis going away would.
type failingIndex struct {
	session.Index
	failing    atomic.Bool
	failingAdd atomic.Bool
}

func (ix *failingIndex) Add(ctx context.Context, key, token string, expiry time.Time) error {
	if ix.failingAdd.Load() {
		return errors.New("redis: connection refused")
	}
	return ix.Index.Add(ctx, key, token, expiry)
}

func (ix *failingIndex) Take(ctx context.Context, key string) ([]string, error) {
	if ix.failing.Load() {
		return nil, errors.New("redis: connection refused")
	}
	return ix.Index.Take(ctx, key)
}

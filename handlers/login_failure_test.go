package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/session"
)

// The provider logged the user in, but the app fails to record the session
// for back-channel logout (the index write fails). The callback answers 500,
// and that must be the whole story: no session holding the user, so the
// next page is not served as logged in.
func TestLoginThatFailsAfterTheTokensLeavesNoLoggedInSession(t *testing.T) {
	index := &failingIndex{Index: session.NewMemoryIndex()}
	store := memstore.NewWithCleanupInterval(0)
	app := newTestApp(t, func(o *appOptions) {
		o.stores = memoryStores(store, index)
	})
	b := app.newBrowser()
	index.failingAdd.Store(true)
	resp := b.login("/profile")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("callback with the index failing: status %d, want 500", resp.StatusCode)
	}
	if b.cookie("session") != "" {
		if data, found, _ := store.Find(b.cookie("session")); found && strings.Contains(string(data), "alice") {
			t.Error("the store holds a session with the user after the failed login")
		}
	}
	index.failingAdd.Store(false)
	if b.loggedIn() {
		t.Error("a login that answered 500 left the browser logged in")
	}
	if home := b.get("/"); strings.Contains(home.Body, `data-testid="nav-user"`) {
		t.Error("the header names a user after the failed login")
	}
	// Control: the same browser logs in once the store works.
	b.mustLogin("/profile")
	if !b.loggedIn() {
		t.Error("the login after the store recovered did not work")
	}
}

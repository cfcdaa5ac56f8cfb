package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authcode-demo/authcode-demo/internal/session"
)

// The flow inspector's recorder owns its record's whole life, beside the
// session and never in it: what /login sent waits for the callback and is
// taken there; the finished record lives as long as its session, and goes
// at a logout, a back-channel logout and the next login in the browser.
func TestFlowRecordLivesAndEndsWithItsSession(t *testing.T) {
	records := &recordingAttachments{Attachments: session.NewMemoryAttachments()}
	app := newTestApp(t, withMemStore(memstore.NewWithCleanupInterval(0), records))
	logins := func() int { return records.liveKeys("flow:login:") }
	b := app.newBrowser()

	authURL := b.startLogin("/profile")
	if n := records.liveKeys("flow:pending:"); n != 1 {
		t.Fatalf("after GET /login: %d pending records, want 1", n)
	}
	b.get(b.authorize(authURL).String())
	if n := records.liveKeys("flow:pending:"); n != 0 {
		t.Errorf("after the callback: %d pending records, want 0 (taken)", n)
	}
	if logins() != 1 || !strings.Contains(b.get("/flow").Body, `data-testid="check-outcome">passed<`) {
		t.Fatalf("after a login: %d records, and /flow does not show it", logins())
	}

	b.mustLogin("/profile") // the next login in the same browser
	if logins() != 1 {
		t.Errorf("after a second login in the same browser: %d records, want 1 (the first one's went with its session)", logins())
	}

	b.post("/logout", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if logins() != 0 {
		t.Errorf("after logout: %d records, want 0", logins())
	}

	sub, sid := b.providerSession()
	if logins() != 1 {
		t.Fatalf("after logging in again: %d records, want 1", logins())
	}
	token := app.provider.Sign(app.provider.LogoutToken(sub, sid))
	if status := app.postLogoutToken(t, url.Values{"logout_token": {token}}); status != http.StatusOK {
		t.Fatalf("back-channel logout: status %d", status)
	}
	if logins() != 0 {
		t.Errorf("after a back-channel logout: %d records, want 0", logins())
	}
}

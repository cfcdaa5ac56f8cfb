package handlers_test

import (
	"net/http"
	"testing"
)

// /ladder is public and marks the rung this instance runs: the default
// rung for a default app, the FAPI rung with every option on.
func TestLadderPage(t *testing.T) {
	plain := newTestApp(t)
	resp := plain.newBrowser().get("/ladder")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /ladder: %d", resp.StatusCode)
	}
	d := htmlDoc(t, resp).Selection
	for _, rung := range []string{"rung-flask", "rung-default", "rung-fapi"} {
		if d.Find(`[data-testid="`+rung+`"]`).Length() != 1 {
			t.Errorf("no %s", rung)
		}
	}
	if d.Find(`[data-testid="rung-default-this-app"]`).Length() != 1 || d.Find(`[data-testid="rung-fapi-this-app"]`).Length() != 0 {
		t.Error("a default app is not marked as the default rung")
	}
	if n := d.Find(`[data-testid="rung-fapi"] [data-testid="ladder-step-on"]`).Length(); n != 0 {
		t.Errorf("a default app shows %d FAPI options on", n)
	}

	fapi := newTestApp(t, withPAR, withClientKey(newClientKey(t)), withDPoP(newClientKey(t)))
	d = htmlDoc(t, fapi.newBrowser().get("/ladder")).Selection
	if d.Find(`[data-testid="rung-fapi-this-app"]`).Length() != 1 || d.Find(`[data-testid="rung-default-this-app"]`).Length() != 0 {
		t.Error("an app with every FAPI option is not marked as the FAPI rung")
	}
	if n := d.Find(`[data-testid="rung-fapi"] [data-testid="ladder-step-on"]`).Length(); n != 3 {
		t.Errorf("%d FAPI options shown on, want 3", n)
	}
}

package handlers_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/authcode-demo/authcode-demo/internal/auth"
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

// Rung 0 is the seed app as it runs (cmd/seed, client demo-seed on :3004):
// its real authorization request, with no state, nonce or PKCE, and a link
// to run it. The realm requires PKCE of demo-app, so a request without it
// for demo-app could not run at all.
func TestLadderSeedRungIsTheSeedApp(t *testing.T) {
	d := htmlDoc(t, newTestApp(t).newBrowser().get("/ladder")).Selection
	rung := d.Find(`[data-testid="rung-flask"]`)
	request := rung.Find(`[data-testid="rung-flask-request"]`).Text()
	query, err := url.ParseQuery(strings.Join(strings.Fields(request[strings.Index(request, "?")+1:]), ""))
	if err != nil {
		t.Fatalf("rung 0's request %q: %v", request, err)
	}
	want := url.Values{"client_id": {"demo-seed"}, "redirect_uri": {"http://localhost:3004/callback"},
		"response_type": {"code"}, "scope": {"openid"}}
	if !reflect.DeepEqual(query, want) {
		t.Errorf("rung 0's request has %v, want exactly the seed's %v", query, want)
	}
	run := rung.Find(`[data-testid="rung-flask-run"]`)
	if href, _ := run.Find("a").Attr("href"); href != "http://localhost:3004" || !strings.Contains(run.Text(), "deliberately insecure") {
		t.Errorf("rung 0 links %q (%q), want a link to run the seed app at http://localhost:3004 that says it is deliberately insecure", href, run.Text())
	}
	if n := rung.Find(`[data-testid="ladder-flaw"]`).Length(); n < 3 {
		t.Errorf("rung 0 names %d flaws", n)
	}
	for _, wrong := range []string{"demo-app&", "a stolen code is enough", "forged token"} {
		if strings.Contains(rung.Text(), wrong) {
			t.Errorf("rung 0 still says %q", wrong)
		}
	}
}

// Rung 1's ID token row lists the one list of checks (auth.IDTokenChecks),
// each with its section, not a hand-written copy of it.
func TestLadderListsTheIDTokenChecks(t *testing.T) {
	d := htmlDoc(t, newTestApp(t).newBrowser().get("/ladder")).Selection
	shown := d.Find(`[data-testid="rung-default"] [data-testid="ladder-check"]`)
	checks := auth.IDTokenChecks()
	if shown.Length() != len(checks) {
		t.Fatalf("the ladder shows %d ID token checks, the list has %d", shown.Length(), len(checks))
	}
	shown.Each(func(i int, s *goquery.Selection) {
		name, _ := s.Attr("data-check")
		link := s.Find("a")
		href, _ := link.Attr("href")
		if name != checks[i].Name || link.Text() != checks[i].Section || href != checks[i].URL {
			t.Errorf("check %d shown as %q (%q, %s), want %q (%q, %s)", i, name, link.Text(), href, checks[i].Name, checks[i].Section, checks[i].URL)
		}
	})
	back := d.Find(`[data-testid="rung-default-back"]`).Text()
	for _, c := range checks {
		if !strings.Contains(back, c.Name) {
			t.Errorf("rung 1's back channel does not name the check %s: %q", c.Name, back)
		}
	}
}

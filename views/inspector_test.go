package views_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/authcode-demo/authcode-demo/views"
)

var loggedIn = views.Nav{LoggedIn: true, Username: "alice"}

func sampleFlow() views.FlowView {
	step := func(n int, title string) views.StepInfo {
		return views.StepInfo{Number: strconv.Itoa(n), Title: title, At: "2026-11-25 10:00:00 UTC",
			Code:  []views.CodeRef{{File: "internal/auth/login.go", Func: "StartLogin"}},
			Specs: []views.SpecRef{{Name: "RFC 6749 4.1.1", URL: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1"}}}
	}
	return views.FlowView{
		Nav: loggedIn, Recorded: true, LoggedInAt: "2026-11-25 10:00:01 UTC",
		Diagram: []views.SeqMessage{
			{From: views.LaneBrowser, To: views.LaneApp, Step: 1, Label: "GET /login"},
			{From: views.LaneApp, To: views.LaneBrowser, Step: 1, Label: "302", Reply: true},
			{From: views.LaneKeycloak, To: views.LaneBrowser, Label: "login page", Reply: true},
			{From: views.LaneApp, To: views.LaneApp, Step: 5, Label: "check the ID token"},
		},
		Authorization: views.FlowAuthorization{Step: step(1, "The authorization request"),
			URL: "http://kc/auth?state=S&nonce=N", Endpoint: "http://kc/auth",
			Params: []views.Param{{Name: "state", Value: "S", Meaning: "m"}, {Name: "nonce", Value: "N<b>", Meaning: "m"}}},
		Callback:     views.FlowCallback{Step: step(2, "The callback"), Code: "C", State: "S", StateMatches: true, PendingAge: "3 s"},
		TokenRequest: views.FlowTokenRequest{Step: step(3, "The token request"), ClientAuth: "client_secret_basic", ClientID: "demo-app", Verifier: "V", ComputedChallenge: "X", SentChallenge: "X", ChallengeMatches: true},
		TokenResponse: views.FlowTokenResponse{Step: step(4, "The token response"),
			Tokens: []views.TokenArrival{{Name: "id_token", Came: true}}},
		IDToken: views.FlowIDToken{Step: step(5, "The ID token checks"), Algorithm: "RS256", KeyID: "k1",
			Checks: []views.FlowCheck{{Name: "iss", Outcome: "passed", Passed: true, Value: "http://kc", Expected: "http://kc"}}},
		UserInfo: views.FlowUserInfo{Step: step(6, "The userinfo call"), Called: true, Endpoint: "http://kc/userinfo", Subject: "s", IDTokenSubject: "s", Matches: true},
	}
}

func TestInspectorPagesHaveTheFrame(t *testing.T) {
	pages := map[string]templ.Component{
		"flow":         views.Flow(sampleFlow()),
		"flow-none":    views.Flow(views.FlowView{Nav: loggedIn}),
		"tokens":       views.Tokens(views.TokensView{Nav: loggedIn, Tokens: []views.TokenDetail{{Key: "id-token", Title: "ID token", Present: true, Raw: "a.b.c", JWT: true}}}),
		"admin":        views.Admin(views.AdminView{Nav: loggedIn, Role: "admin", RealmRoles: []string{"admin"}}),
		"missing-role": views.MissingRole(views.MissingRoleView{Nav: loggedIn, Role: "admin"}),
		"grants":       views.Grants(views.GrantsView{}),
	}
	for name, c := range pages {
		t.Run(name, func(t *testing.T) {
			doc := render(t, c)
			if lang, _ := doc.Find("html").Attr("lang"); lang != "en" {
				t.Errorf("html lang = %q", lang)
			}
			if n := doc.Find("h1").Length(); n != 1 {
				t.Errorf("%d h1, want 1", n)
			}
			for _, sel := range []string{"main#main", `meta[name="viewport"]`, `nav[aria-label="Main"] a[href="/flow"]`, `nav[aria-label="Main"] a[href="/grants"]`} {
				if doc.Find(sel).Length() == 0 {
					t.Errorf("no %s", sel)
				}
			}
			if doc.Find("script, style, [style]").Length() != 0 {
				t.Error("a script, a style element or an inline style (the CSP forbids them)")
			}
			// Headings must not skip levels (h1, then h2, then h3).
			level := 1
			doc.Find("main h1, main h2, main h3, main h4").Each(func(_ int, h *goquery.Selection) {
				l := int(goquery.NodeName(h)[1] - '0')
				if l > level+1 {
					t.Errorf("heading %q (h%d) follows an h%d", strings.TrimSpace(h.Text()), l, level)
				}
				level = l
			})
		})
	}
}

// Every arrow with a step links to that step's section; the diagram says
// the direction in words for screen readers.
func TestFlowDiagramLinksToSteps(t *testing.T) {
	doc := render(t, views.Flow(sampleFlow()))
	links := byTestID(doc, "seq-link")
	if links.Length() != 3 {
		t.Fatalf("%d linked arrows, want 3", links.Length())
	}
	links.Each(func(_ int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		if doc.Find(href).Length() != 1 {
			t.Errorf("arrow links to %q: no such element", href)
		}
	})
	msgs := byTestID(doc, "seq-message")
	if got := strings.TrimSpace(msgs.Eq(0).Find(".visually-hidden").Text()); got != "Browser to App:" {
		t.Errorf("first arrow's direction = %q", got)
	}
	if class, _ := msgs.Eq(1).Attr("class"); class != "seq-msg seq-1-2 seq-left seq-reply" {
		t.Errorf("an answer from App to Browser has class %q", class)
	}
	if class, _ := msgs.Eq(3).Attr("class"); class != "seq-msg seq-self seq-on-2" {
		t.Errorf("the App's own step has class %q", class)
	}
	if msgs.Eq(2).Find("a").Length() != 0 {
		t.Error("an arrow without a step is a link")
	}
}

func TestFlowShowsValuesEscapedAndTheSecretMasked(t *testing.T) {
	doc := render(t, views.Flow(sampleFlow()))
	if got := byTestID(doc, "auth-param-nonce").Text(); got != "N<b>" {
		t.Errorf("nonce shown as %q", got)
	}
	if got := byTestID(doc, "client-secret").Text(); got != views.SecretMask {
		t.Errorf("client secret shown as %q, want the mask", got)
	}
	if byTestID(doc, "flow-not-recorded").Length() != 0 {
		t.Error("a recorded login says it is not recorded")
	}
	none := render(t, views.Flow(views.FlowView{Nav: loggedIn}))
	if byTestID(none, "flow-not-recorded").Length() != 1 || byTestID(none, "seq-diagram").Length() != 0 {
		t.Error("without a record the page should say so, and draw no diagram")
	}
}

func TestTokensPage(t *testing.T) {
	doc := render(t, views.Tokens(views.TokensView{
		Nav:        loggedIn,
		CanRefresh: true,
		Refreshed:  &views.RefreshResult{Before: views.Expiry{At: "10:00", Relative: "in 1 min"}, After: views.Expiry{At: "10:05", Relative: "in 5 min"}},
		Tokens: []views.TokenDetail{
			{Key: "id-token", Title: "ID token", Present: true, Raw: "h.p.s", JWT: true,
				Claims: []views.ClaimRow{{Name: "nonce", Value: "N", Meaning: "m"}}},
			{Key: "refresh-token", Title: "Refresh token", Present: true, Raw: "opaque-value"},
			{Key: "access-token", Title: "Access token"},
		},
	}))
	if got := byTestID(doc, "id-token-claim-nonce").Text(); got != "N" {
		t.Errorf("nonce claim = %q", got)
	}
	if byTestID(doc, "refresh-token-opaque").Length() != 1 {
		t.Error("an opaque token is not said to be opaque")
	}
	if byTestID(doc, "access-token-absent").Length() != 1 {
		t.Error("a missing token is not said to be missing")
	}
	textarea := doc.Find(`textarea[data-testid="refresh-token-raw"]`)
	id, _ := textarea.Attr("id")
	if _, ro := textarea.Attr("readonly"); !ro || doc.Find(`label[for="`+id+`"]`).Length() != 1 || textarea.Text() != "opaque-value" {
		t.Error("the raw token is not in a readonly, labelled textarea")
	}
	form := byTestID(doc, "refresh-now").Closest("form")
	if method, _ := form.Attr("method"); method != "post" {
		t.Errorf("Refresh now form method %q, want post", method)
	}
	if action, _ := form.Attr("action"); action != "/tokens" {
		t.Errorf("Refresh now form action %q", action)
	}
	if !strings.Contains(byTestID(doc, "refresh-before").Text(), "in 1 min") || !strings.Contains(byTestID(doc, "refresh-after").Text(), "in 5 min") {
		t.Error("the old and new expiry are not shown")
	}
	if !strings.Contains(byTestID(doc, "tokens-warning").Text(), "production app never displays tokens") {
		t.Error("no warning that production apps never display tokens")
	}
	if byTestID(render(t, views.Tokens(views.TokensView{Nav: loggedIn})), "refresh-now").Length() != 0 {
		t.Error("Refresh now offered without a refresh token")
	}
}

func TestMissingRoleNamesTheRole(t *testing.T) {
	doc := render(t, views.MissingRole(views.MissingRoleView{Nav: loggedIn, Role: "admin", RealmRoles: []string{"user"}}))
	if got := byTestID(doc, "missing-role-name").Text(); got != "admin" {
		t.Errorf("missing role = %q", got)
	}
	if got := byTestID(doc, "role").Text(); got != "user" {
		t.Errorf("roles = %q", got)
	}
	if href, _ := byTestID(doc, "missing-role-tokens").Attr("href"); href != "/tokens" {
		t.Errorf("link to %q, want /tokens", href)
	}
	if byTestID(render(t, views.MissingRole(views.MissingRoleView{Role: "admin"})), "roles-none").Length() != 1 {
		t.Error("no roles: the page does not say None")
	}
}

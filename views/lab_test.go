package views_test

import (
	"strings"
	"testing"

	"github.com/authcode-demo/authcode-demo/views"
)

// A card fires each target as it says: a form POSTing its target, a link,
// or, where the attack cannot be fired, no control but the reason and a
// link to where it can be.
func TestLabCardControls(t *testing.T) {
	doc := render(t, views.Lab(views.LabView{Nav: views.Nav{ShowLab: true}, Cards: []views.LabCard{{
		Name: "demo", Title: "Demo", Attack: "Two sentences. Here.",
		Seed: views.LabRun{Target: "seed", FormAction: "/lab/demo", Label: "Fire", Lands: true, Outcome: "lands"},
		App: views.LabRun{Target: "app", Unavailable: "not here", LinkElsewhere: "http://localhost:3002/lab", LinkElsewhereText: "there",
			Status: 401, Outcome: "refused"},
		Code:  []views.CodeRef{{File: "a.go", Func: "F"}},
		Tests: []views.LabTest{{File: "a_test.go", Func: "TestF", Command: "go test ./ -run '^TestF$'"}},
	}}}))
	card := byTestID(doc, "attack-demo")
	if card.Length() != 1 || card.AttrOr("id", "") != "attack-demo" {
		t.Fatal("no card attack-demo with its anchor")
	}
	form := byTestID(doc, "run-demo-seed").Find("form")
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/lab/demo" ||
		form.Find(`input[name="target"]`).AttrOr("value", "") != "seed" {
		t.Error("the seed's control is not a POST of target=seed to /lab/demo")
	}
	app := byTestID(doc, "run-demo-app")
	if app.Find("form, a.button").Length() != 0 {
		t.Error("an attack that cannot be fired here has a control")
	}
	if byTestID(doc, "elsewhere-demo-app").AttrOr("href", "") != "http://localhost:3002/lab" {
		t.Error("no link to where it can be fired")
	}
	if got := byTestID(doc, "outcome-demo-app").Text(); !strings.Contains(got, "401.") {
		t.Errorf("the refusal's status is not shown: %q", got)
	}
	if byTestID(doc, "nav-lab").AttrOr("href", "") != "/lab" {
		t.Error("the navigation has no Lab link with ShowLab")
	}
	if byTestID(render(t, views.Home(views.HomeView{})), "nav-lab").Length() != 0 {
		t.Error("the navigation links to the lab without ShowLab")
	}
}

// The attacker's pages are pages of another site: a language, one main
// landmark, one h1, a viewport, and none of the app's navigation.
func TestLabEvilPages(t *testing.T) {
	for _, page := range []string{"logout", "landed"} {
		doc := render(t, views.LabEvil(views.LabEvilView{Page: page, Origin: "http://127.0.0.1:3000",
			AppLogoutURL: "http://localhost:3000/logout", SeedLogoutURL: "http://localhost:3004/logout", LabURL: "http://localhost:3000/lab"}))
		if doc.Find("html").AttrOr("lang", "") == "" || doc.Find("main").Length() != 1 || doc.Find("h1").Length() != 1 ||
			doc.Find(`meta[name="viewport"]`).Length() != 1 {
			t.Errorf("%s: the page lacks lang, main, h1 or viewport", page)
		}
		if doc.Find(`nav`).Length() != 0 {
			t.Errorf("%s: the attacker's page has the app's navigation", page)
		}
	}
	doc := render(t, views.LabEvil(views.LabEvilView{Page: "logout", AppLogoutURL: "http://localhost:3000/logout", SeedLogoutURL: "http://localhost:3004/logout"}))
	if doc.Find("form").AttrOr("action", "") != "http://localhost:3000/logout" || doc.Find("form").AttrOr("method", "") != "post" ||
		byTestID(doc, "evil-seed-logout").AttrOr("href", "") != "http://localhost:3004/logout" {
		t.Error("the attacker's logout page does not POST to the app's /logout and link to the seed's")
	}
}

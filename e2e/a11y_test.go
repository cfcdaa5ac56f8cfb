package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axePath is where `npm ci --prefix e2e` puts axe-core (see package.json).
var axePath = filepath.Join("node_modules", "axe-core", "axe.min.js")

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target         json.RawMessage `json:"target"`
		FailureSummary string          `json:"failureSummary"`
	} `json:"nodes"`
}

// Scenario 7: every page of the app passes axe-core without serious or
// critical violations, has a language, a main landmark and a viewport meta
// tag, and does not scroll sideways on a 375 px wide screen.
func TestAccessibility(t *testing.T) {
	requireEnv(t)
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run: npm ci --prefix e2e", err)
	}
	b := newBrowser(t)

	pages := []struct {
		name, path string
		status     int64
		loggedIn   bool
	}{
		{"home", "/", 200, false},
		{"logout confirm (logged out)", "/logout", 200, false},
		{"login error (unknown state)", "/callback?state=bogus", 400, false},
		{"not found", "/no-such-page", 404, false},
		{"grants", "/grants", 200, false},
		{"security ladder", "/ladder", 200, false},
		{"profile", "/profile", 200, true},
		{"api", "/api", 200, true},
		{"flow inspector", "/flow", 200, true},
		{"token viewer", "/tokens", 200, true},
		{"admin (alice has the role)", "/admin", 200, true},
		{"logout confirm (logged in)", "/logout", 200, true},
		{"home (logged in)", "/", 200, true},
	}
	// First, that the harness sees violations: a page with an image
	// without alt text and no lang must fail.
	b.navigate("open a page with known violations (control)", `data:text/html,<!DOCTYPE html><title>x</title><img src="data:,">`)
	var ids []string
	for _, v := range b.axeViolations("the control page", "data:", string(axe)) {
		ids = append(ids, v.ID+"/"+v.Impact)
	}
	t.Logf("control page violations: %v", ids)
	if !slices.Contains(ids, "image-alt/critical") || !slices.Contains(ids, "html-has-lang/serious") {
		t.Fatalf("axe-core did not report image-alt (critical) and html-has-lang (serious) on the control page: %v", ids)
	}

	loggedIn := false
	for _, p := range pages {
		if p.loggedIn && !loggedIn {
			b.login("alice", "alice-password")
			loggedIn = true
		}
		t.Logf("page %s (%s)", p.name, p.path)
		if status := b.navigate("open "+p.name, appURL+p.path); status != p.status {
			t.Errorf("%s: HTTP %d, want %d", p.path, status, p.status)
		}
		b.checkPageStructure(p.path)
		b.runAxe(p.name, p.path, string(axe))
		b.checkNarrowScreen(p.name, p.path)
	}
}

// The 403 page of /admin (bob has no admin role) passes the same checks as
// every page in TestAccessibility.
func TestA11yAdminForbidden(t *testing.T) {
	requireEnv(t)
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run: npm ci --prefix e2e", err)
	}
	b := newBrowser(t)
	b.login("bob", "bob-password")
	if status := b.navigate("open admin (bob lacks the role)", appURL+"/admin"); status != http.StatusForbidden {
		t.Errorf("/admin as bob: HTTP %d, want 403", status)
	}
	b.checkPageStructure("/admin")
	b.runAxe("admin (403)", "/admin", string(axe))
	b.checkNarrowScreen("admin (403)", "/admin")
}

// checkPageStructure checks <html lang>, one <main> and the viewport meta.
func (b *browser) checkPageStructure(path string) {
	b.t.Helper()
	var got struct {
		Lang     string `json:"lang"`
		Mains    int    `json:"mains"`
		Viewport string `json:"viewport"`
		Title    string `json:"title"`
		H1s      int    `json:"h1s"`
	}
	const js = `({
		lang: document.documentElement.getAttribute('lang') || '',
		mains: document.querySelectorAll('main').length,
		viewport: (document.querySelector('meta[name="viewport"]') || {content: ''}).content || '',
		title: document.title,
		h1s: document.querySelectorAll('h1').length,
	})`
	raw := get(b, "the page structure", chromedp.Evaluate[[]byte](js))
	if err := json.Unmarshal(raw, &got); err != nil {
		b.t.Fatalf("%s: decoding the page structure %s: %v", path, raw, err)
	}
	b.t.Logf("  lang=%q, %d <main>, viewport=%q, title=%q, %d <h1>", got.Lang, got.Mains, got.Viewport, got.Title, got.H1s)
	if got.Lang == "" {
		b.t.Errorf("%s: <html> has no lang attribute", path)
	}
	if got.Mains != 1 {
		b.t.Errorf("%s: %d <main> elements, want 1", path, got.Mains)
	}
	if !strings.Contains(got.Viewport, "width=device-width") {
		b.t.Errorf("%s: the viewport meta tag is %q, want one with width=device-width", path, got.Viewport)
	}
	if strings.TrimSpace(got.Title) == "" {
		b.t.Errorf("%s: the page has no <title>", path)
	}
	if got.H1s != 1 {
		b.t.Errorf("%s: %d <h1> elements, want 1", path, got.H1s)
	}
}

// runAxe injects axe-core into the page, runs it, logs every violation and
// fails on serious and critical ones.
func (b *browser) runAxe(name, path, axeSource string) {
	b.t.Helper()
	violations := b.axeViolations(name, path, axeSource)
	serious := 0
	for _, v := range violations {
		var targets []string
		for _, n := range v.Nodes {
			targets = append(targets, string(n.Target))
		}
		msg := fmt.Sprintf("%s: axe violation %s (impact %s): %s; targets %s", path, v.ID, v.Impact, v.Help, strings.Join(targets, " "))
		if v.Impact == "serious" || v.Impact == "critical" {
			serious++
			b.t.Error(msg)
			for _, n := range v.Nodes {
				b.t.Logf("    %s: %s", n.Target, strings.ReplaceAll(n.FailureSummary, "\n", " / "))
			}
		} else {
			b.t.Log(msg)
		}
	}
	b.t.Logf("  axe-core: %d violations, %d serious or critical", len(violations), serious)
}

// axeViolations injects axe-core and returns its violations. It fails the
// test if axe-core checked nothing (so a broken injection cannot pass).
func (b *browser) axeViolations(name, path, axeSource string) []axeViolation {
	b.t.Helper()
	b.do("run axe-core on "+name, chromedp.Evaluate[chromedp.Void](axeSource))
	const run = `axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify({
		version: axe.version, violations: r.violations, passes: r.passes.length}))`
	out := get(b, "the axe-core result", chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	var result struct {
		Version    string         `json:"version"`
		Violations []axeViolation `json:"violations"`
		Passes     int            `json:"passes"`
	}
	if err := json.Unmarshal([]byte(out), &result); err != nil {
		b.t.Fatalf("%s: decoding the axe-core result: %v\n%s", path, err, out)
	}
	b.t.Logf("  axe-core %s: %d rules passed", result.Version, result.Passes)
	if result.Passes == 0 {
		b.t.Fatalf("%s: axe-core %s passed no rule: it did not check the page", path, result.Version)
	}
	return result.Violations
}

// checkNarrowScreen lays the page out 375 px wide and checks that nothing
// makes it scroll sideways.
func (b *browser) checkNarrowScreen(name, path string) {
	b.t.Helper()
	b.do("view "+name+" 375 px wide", chromedp.EmulateViewport(375, 812))
	const js = `new Promise(resolve => requestAnimationFrame(() => resolve({
		scrollWidth: document.documentElement.scrollWidth,
		innerWidth: window.innerWidth,
	})))`
	raw := get(b, "the page widths", chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	var got struct {
		ScrollWidth int `json:"scrollWidth"`
		InnerWidth  int `json:"innerWidth"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		b.t.Fatalf("%s: decoding the page widths %s: %v", path, raw, err)
	}
	b.t.Logf("  at 375 px: scrollWidth %d, innerWidth %d", got.ScrollWidth, got.InnerWidth)
	if got.InnerWidth != 375 {
		b.t.Errorf("%s: the emulated viewport is %d px wide, want 375", path, got.InnerWidth)
	}
	if got.ScrollWidth > got.InnerWidth {
		b.t.Errorf("%s: the page scrolls sideways at 375 px: document.documentElement.scrollWidth %d > window.innerWidth %d", path, got.ScrollWidth, got.InnerWidth)
	}
	if err := chromedp.Do(b.ctx, chromedp.ResetViewport()); err != nil {
		b.t.Fatalf("resetting the viewport: %v", err)
	}
}

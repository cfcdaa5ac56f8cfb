package views_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/authcode-demo/authcode-demo/views"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

func byTestID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

// Every page has the frame accessibility and phones need.
func TestEveryPageHasLangLandmarksAndViewport(t *testing.T) {
	pages := map[string]templ.Component{
		"home":    views.Home(views.HomeView{}),
		"profile": views.Profile(views.ProfileView{Nav: views.Nav{LoggedIn: true, Username: "alice"}}),
		"logout":  views.LogoutConfirm(views.LogoutView{}),
		"error":   views.Error(views.ErrorView{Status: 404, Title: "Page not found"}),
	}
	for name, c := range pages {
		t.Run(name, func(t *testing.T) {
			doc := render(t, c)
			if lang, _ := doc.Find("html").Attr("lang"); lang != "en" {
				t.Errorf("html lang = %q, want en", lang)
			}
			for _, sel := range []string{"header", "nav[aria-label]", "main#main", "footer", "h1", `meta[name="viewport"]`, `link[rel="stylesheet"][href="/static/style.css"]`} {
				if doc.Find(sel).Length() == 0 {
					t.Errorf("no %s", sel)
				}
			}
			if doc.Find("script").Length() != 0 || doc.Find("[style]").Length() != 0 {
				t.Error("page has a script or inline style (the CSP forbids both)")
			}
		})
	}
}

func TestNavShowsLogInOrLogOut(t *testing.T) {
	out := render(t, views.Home(views.HomeView{}))
	if got := strings.TrimSpace(byTestID(out, "nav-login").Text()); got != "Log in" {
		t.Errorf("logged out: nav-login = %q, want Log in", got)
	}
	if byTestID(out, "nav-logout").Length() != 0 {
		t.Error("logged out: a Log out button is shown")
	}

	in := render(t, views.Home(views.HomeView{Nav: views.Nav{LoggedIn: true, Username: "alice"}}))
	logout := byTestID(in, "nav-logout")
	if strings.TrimSpace(logout.Text()) != "Log out" {
		t.Errorf("logged in: nav-logout = %q, want Log out", logout.Text())
	}
	// Logging out is a POST (a GET must not change state).
	form := logout.Closest("form")
	if method, _ := form.Attr("method"); method != "post" {
		t.Errorf("logout form method = %q, want post", method)
	}
	if action, _ := form.Attr("action"); action != "/logout" {
		t.Errorf("logout form action = %q, want /logout", action)
	}
	if got := byTestID(in, "nav-user").Text(); got != "alice" {
		t.Errorf("nav-user = %q, want alice", got)
	}
}

func TestProfileShowsClaimsAndRoles(t *testing.T) {
	doc := render(t, views.Profile(views.ProfileView{
		Nav:               views.Nav{LoggedIn: true, Username: "alice"},
		Name:              "Alice Liddell",
		PreferredUsername: "alice",
		Email:             "alice@example.com",
		EmailVerified:     true,
		Subject:           "sub-123",
		RealmRoles:        []string{"admin", "user"},
		ClientRoles:       []views.ClientRoles{{Client: "demo-app", Roles: []string{"editor"}}},
		AccessTokenExpiry: views.Expiry{At: "2026-11-25 10:00:00 UTC", Relative: "in 4 min"},
		UserInfoJSON:      `{"sub": "sub-123"}`,
	}))
	checks := map[string]string{
		"preferred-username": "alice",
		"name":               "Alice Liddell",
		"email":              "alice@example.com",
		"email-verified":     "verified",
		"sub":                "sub-123",
		"userinfo":           `{"sub": "sub-123"}`,
	}
	for id, want := range checks {
		if got := strings.TrimSpace(byTestID(doc, id).Text()); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	var roles []string
	byTestID(doc, "realm-role").Each(func(_ int, s *goquery.Selection) { roles = append(roles, s.Text()) })
	if strings.Join(roles, ",") != "admin,user" {
		t.Errorf("realm roles = %v, want [admin user]", roles)
	}
	if got := byTestID(doc, "client-role").Text(); got != "editor" {
		t.Errorf("client roles = %q, want editor", got)
	}
	if got := byTestID(doc, "access-token-expiry").Text(); !strings.Contains(got, "in 4 min") {
		t.Errorf("access token expiry = %q, want it to say in 4 min", got)
	}
}

func TestProfileWithoutRolesSaysSo(t *testing.T) {
	doc := render(t, views.Profile(views.ProfileView{Name: "Bob"}))
	if byTestID(doc, "realm-roles-none").Length() != 1 {
		t.Error("no 'No realm roles' text for a user without roles")
	}
	if byTestID(doc, "realm-role").Length() != 0 {
		t.Error("roles listed for a user without roles")
	}
}

// Text from outside (error_description, claims) is escaped, never markup.
func TestErrorPageEscapesMessage(t *testing.T) {
	var buf bytes.Buffer
	err := views.Error(views.ErrorView{
		Status:    400,
		Title:     "Login was not completed",
		Message:   `It said: <script>alert(1)</script>`,
		RequestID: "abc123",
		RetryURL:  "/login",
		RetryText: "Try again",
	}).Render(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if strings.Contains(html, "<script>") {
		t.Fatal("the message was rendered as markup")
	}
	if !strings.Contains(html, "&lt;script&gt;") {
		t.Error("the escaped message is missing")
	}
	doc := render(t, views.Error(views.ErrorView{Status: 400, Title: "T", RequestID: "abc123", RetryURL: "/login", RetryText: "Try again"}))
	if got := byTestID(doc, "error-status").Text(); got != "400" {
		t.Errorf("status = %q, want 400", got)
	}
	if got := byTestID(doc, "request-id").Text(); got != "abc123" {
		t.Errorf("request id = %q", got)
	}
	if href, _ := byTestID(doc, "error-retry").Attr("href"); href != "/login" {
		t.Errorf("retry link = %q, want /login", href)
	}
}

func TestLogoutConfirmIsAPostForm(t *testing.T) {
	doc := render(t, views.LogoutConfirm(views.LogoutView{Nav: views.Nav{LoggedIn: true, Username: "alice"}}))
	form := byTestID(doc, "logout-form")
	if method, _ := form.Attr("method"); method != "post" {
		t.Errorf("method = %q, want post", method)
	}
	if byTestID(doc, "logout-confirm").Length() != 1 {
		t.Error("no confirm button")
	}
	out := render(t, views.LogoutConfirm(views.LogoutView{}))
	if byTestID(out, "not-logged-in").Length() != 1 {
		t.Error("logged out: the page does not say so")
	}
}

func TestHomeLoggedOutNoticeOnlyWhenConfirmed(t *testing.T) {
	if byTestID(render(t, views.Home(views.HomeView{})), "logged-out").Length() != 0 {
		t.Error("logged-out notice shown without a confirmed logout")
	}
	if byTestID(render(t, views.Home(views.HomeView{JustLoggedOut: true})), "logged-out").Length() != 1 {
		t.Error("logged-out notice missing after a confirmed logout")
	}
}

// The security ladder is in the navigation of every page and in the home
// page's guided tour (issue 15, item 6), with TOKEN_PAGES on or off: it
// shows no tokens.
func TestLadderIsInTheNavigationAndTheTour(t *testing.T) {
	for _, hide := range []bool{false, true} {
		doc := render(t, views.Home(views.HomeView{Nav: views.Nav{HideTokenPages: hide}}))
		if doc.Find(`header nav a[href="/ladder"]`).Length() != 1 {
			t.Errorf("HideTokenPages=%v: the navigation does not link /ladder", hide)
		}
		if href, _ := byTestID(doc, "tour-ladder").Attr("href"); href != "/ladder" {
			t.Errorf("HideTokenPages=%v: the guided tour does not link /ladder", hide)
		}
		if got := byTestID(doc, "tour").Find(`a[href="/tokens"], a[href="/flow"]`).Length(); (got == 0) != hide {
			t.Errorf("HideTokenPages=%v: the tour links the token pages %d times", hide, got)
		}
	}
}

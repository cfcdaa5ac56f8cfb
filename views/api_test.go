package views_test

import (
	"strings"
	"testing"

	"github.com/authcode-demo/authcode-demo/views"
)

func apiView() views.APIView {
	return views.APIView{
		Nav:    views.Nav{LoggedIn: true, Username: "bob"},
		APIURL: "http://localhost:4000",
		AccessToken: views.TokenFacts{
			Subject: "bob-sub", PreferredUsername: "bob", AuthorizedParty: "demo-app",
			Audience: []string{"demo-api", "account"}, Scope: "openid profile email", RealmRoles: []string{"user"},
			Expires: views.Expiry{At: "2026-11-25 10:04:05 UTC", Relative: "in 4 min"},
		},
		ServiceEnabled:  true,
		ServiceClientID: "demo-app-service",
	}
}

func TestAPIPageHasTheFrameAndPostForms(t *testing.T) {
	doc := render(t, views.API(apiView()))
	for _, sel := range []string{"html[lang=en]", "main#main", "h1", `meta[name="viewport"]`} {
		if doc.Find(sel).Length() == 0 {
			t.Errorf("no %s", sel)
		}
	}
	if doc.Find("h1").Length() != 1 {
		t.Errorf("%d h1, want 1", doc.Find("h1").Length())
	}
	if doc.Find("script").Length() != 0 || doc.Find("[style]").Length() != 0 {
		t.Error("the page has a script or inline style (the CSP forbids both)")
	}
	for call, button := range map[string]string{"hello": "Call /api/hello", "admin": "Call /api/admin", "app-hello": "Get a token as demo-app-service and call /api/hello"} {
		form := doc.Find(`form:has(input[name="call"][value="` + call + `"])`)
		if method, _ := form.Attr("method"); method != "post" {
			t.Errorf("call %s: form method %q, want post", call, method)
		}
		if action, _ := form.Attr("action"); action != "/api" {
			t.Errorf("call %s: form action %q, want /api", call, action)
		}
		if got := strings.TrimSpace(form.Find("button").Text()); got != button {
			t.Errorf("call %s: button %q, want %q", call, got, button)
		}
	}
	if got := byTestID(doc, "user-token-aud").Text(); got != "demo-api, account" {
		t.Errorf("aud shown %q", got)
	}
	if byTestID(doc, "api-result").Length() != 0 || byTestID(doc, "service-disabled").Length() != 0 {
		t.Error("a result or the disabled notice is shown without reason")
	}
}

func TestAPIPageShowsARefusal(t *testing.T) {
	v := apiView()
	v.Result = &views.APICall{
		Name: "admin", Title: "bob calls GET /api/admin", Method: "GET", URL: "http://localhost:4000/api/admin",
		Authorization: "Bearer eyJhbGciOi…(masked)", Status: 403, StatusText: "403 Forbidden",
		WWWAuthenticate: `Bearer realm="demo-api", error="insufficient_scope"`,
		Body:            `{"error": "insufficient_scope"}`, Duration: "3 ms", Explanation: "403: ...",
	}
	doc := render(t, views.API(v))
	if got := byTestID(doc, "api-result").AttrOr("data-call", ""); got != "admin" {
		t.Errorf("result data-call %q", got)
	}
	checks := map[string]string{
		"api-outcome":          "refused",
		"api-status":           "403 Forbidden",
		"api-authorization":    "Bearer eyJhbGciOi…(masked)",
		"api-www-authenticate": `Bearer realm="demo-api", error="insufficient_scope"`,
		"api-body":             `{"error": "insufficient_scope"}`,
	}
	for id, want := range checks {
		if got := strings.TrimSpace(byTestID(doc, id).Text()); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if got := byTestID(doc, "api-request").Text(); !strings.HasPrefix(got, "GET http://localhost:4000/api/admin\nAuthorization: Bearer") {
		t.Errorf("request shown as %q", got)
	}
	if byTestID(doc, "service-token").Length() != 0 {
		t.Error("service token facts shown for a user's call")
	}
}

func TestAPIPageShowsTheServiceToken(t *testing.T) {
	v := apiView()
	v.Result = &views.APICall{
		Name: "app-hello", Title: "demo-app-service (the app itself) calls GET /api/hello", Status: 200, StatusText: "200 OK",
		Service: &views.ServiceTokenFacts{ClientID: "demo-app-service", Claims: views.TokenFacts{
			Subject: "svc-sub", PreferredUsername: "service-account-demo-app-service",
		}},
	}
	doc := render(t, views.API(v))
	if got := byTestID(doc, "api-outcome").Text(); got != "allowed" {
		t.Errorf("outcome %q", got)
	}
	if byTestID(doc, "api-www-authenticate").Length() != 0 {
		t.Error("an empty WWW-Authenticate is shown")
	}
	if got := byTestID(doc, "service-username").Text(); got != "service-account-demo-app-service" {
		t.Errorf("service username %q", got)
	}
	for _, id := range []string{"service-id-token", "service-refresh-token"} {
		if got := strings.TrimSpace(byTestID(doc, id).Text()); !strings.HasPrefix(got, "none") {
			t.Errorf("%s = %q, want none", id, got)
		}
	}
}

func TestAPIPageWithoutClientCredentialsSaysHowToEnable(t *testing.T) {
	v := apiView()
	v.ServiceEnabled, v.ServiceClientID = false, ""
	doc := render(t, views.API(v))
	got := byTestID(doc, "service-disabled").Text()
	for _, want := range []string{"OIDC_SERVICE_CLIENT_ID=demo-app-service", "OIDC_SERVICE_CLIENT_SECRET"} {
		if !strings.Contains(got, want) {
			t.Errorf("the notice %q does not mention %s", got, want)
		}
	}
	if doc.Find(`input[value="app-hello"]`).Length() != 0 {
		t.Error("the client credentials form is shown although it is off")
	}
}

package lab

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// formProvider is a login page shaped like Keycloak's: GET /auth sets a
// session cookie and shows form#kc-form-login (an action with &amp; in it,
// a hidden input); POST /login-actions needs that cookie and the password,
// then sends the browser to redirect_uri with a code, state and iss. The
// real Keycloak is attacked in e2e/lab_test.go.
func formProvider(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("GET /auth", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "AUTH_SESSION_ID", Value: "s1", Path: "/"})
		action := fmt.Sprintf("%s/login-actions?session_code=abc&amp;tab_id=t1&amp;back=%s",
			srv.URL, url.QueryEscape(r.URL.Query().Get("redirect_uri")+"?state="+r.URL.Query().Get("state")))
		fmt.Fprintf(w, `<!DOCTYPE html><html><body><form id="kc-form-login" action="%s" method="post">
			<input id="username" name="username" value="" type="text">
			<input id="password" name="password" type="password">
			<input type="checkbox" name="rememberMe">
			<input type="hidden" id="id-hidden-input" name="credentialId" value="c0">
			<input type="submit" name="login" value="Sign In"></form></body></html>`, action)
	})
	mux.HandleFunc("POST /login-actions", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("AUTH_SESSION_ID"); err != nil || c.Value != "s1" {
			http.Error(w, "no session cookie", http.StatusBadRequest)
			return
		}
		if r.URL.Query().Get("tab_id") != "t1" || r.PostFormValue("credentialId") != "c0" {
			http.Error(w, "form fields lost", http.StatusBadRequest)
			return
		}
		if r.PostFormValue("username") != "mallory" || r.PostFormValue("password") != "mallory-password" {
			// Keycloak shows the form again, with an error.
			http.Redirect(w, r, srv.URL+"/auth?redirect_uri=x", http.StatusFound)
			return
		}
		back, _ := url.Parse(r.URL.Query().Get("back"))
		q := back.Query()
		q.Set("code", "mallorys-code")
		q.Set("iss", srv.URL)
		back.RawQuery = q.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// The attacker's browser types mallory's password into the login form and
// stops at the redirect to the target's callback, keeping the code.
func TestCodeFromLogsInThroughTheLoginForm(t *testing.T) {
	p := formProvider(t)
	l := New(Settings{Timeout: 5 * time.Second})
	callback := "http://localhost:1/callback" // never visited: the lab stops before it
	start := p.URL + "/auth?redirect_uri=" + url.QueryEscape(callback) + "&state=s-42"

	got, err := l.CodeFrom(context.Background(), start, callback, Credentials{"mallory", "mallory-password"})
	if err != nil {
		t.Fatalf("CodeFrom: %v", err)
	}
	if endpoint(got) != callback || got.Query().Get("code") != "mallorys-code" || got.Query().Get("state") != "s-42" || got.Query().Get("iss") != p.URL {
		t.Errorf("CodeFrom returned %s, want the callback with mallory's code, the state and iss", got)
	}

	_, err = l.CodeFrom(context.Background(), start, callback, Credentials{"mallory", "wrong"})
	if err == nil || !strings.Contains(err.Error(), "showed its login form again") {
		t.Errorf("a wrong password: %v, want the login form shown again", err)
	}
	if err != nil && strings.Contains(err.Error(), "session_code") {
		t.Errorf("the error names the form's query (codes): %v", err)
	}
}

// A page that is neither a redirect nor a login form ends the attempt.
func TestCodeFromStopsAtAnErrorPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "invalid redirect_uri", http.StatusBadRequest)
	}))
	defer srv.Close()
	l := New(Settings{Timeout: 5 * time.Second})
	_, err := l.CodeFrom(context.Background(), srv.URL+"/auth?x=secret-query", "http://localhost:1/callback", Credentials{"m", "p"})
	if err == nil || !strings.Contains(err.Error(), "HTTP 400") || strings.Contains(err.Error(), "secret-query") {
		t.Errorf("an error page: %v, want HTTP 400 named without the query", err)
	}
}

// The attacker's pages live at the app's other address: localhost and
// 127.0.0.1 are two sites for the browser, the port the same.
func TestOtherSite(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:3000":      "http://127.0.0.1:3000",
		"http://127.0.0.1:3002/":     "http://localhost:3002",
		"http://[::1]:3000/x?y#z":    "http://localhost:3000",
		"https://localhost/app/path": "https://127.0.0.1",
	} {
		u, _ := url.Parse(in)
		if got := OtherSite(u).String(); got != want {
			t.Errorf("OtherSite(%s) = %s, want %s", in, got, want)
		}
	}
}

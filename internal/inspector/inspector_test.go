package inspector_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/inspector"
)

// The transport records what a context from Listen sends and receives, with
// the client secret, the Authorization header and whole tokens redacted, and
// hands the caller the response exactly as the server sent it.
func TestTransportRecordsRedactedExchanges(t *testing.T) {
	const secret = "s3cret-client-secret"
	const accessToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZw"
	const refreshToken = "opaque-refresh-token-value-0123456789"
	answer := `{"access_token":"` + accessToken + `","refresh_token":"` + refreshToken + `","token_type":"Bearer","expires_in":300}`
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer)
	}))
	defer server.Close()
	client := &http.Client{Transport: &inspector.Transport{}}

	ctx, wire := inspector.Listen(t.Context())
	form := url.Values{"grant_type": {"authorization_code"}, "code": {"the-code"}, "client_secret": {secret}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, server.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("demo-app", secret)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != answer {
		t.Errorf("the caller got %q, want the server's answer unchanged", body)
	}

	got := wire.Exchanges()
	if len(got) != 1 {
		t.Fatalf("%d exchanges recorded, want 1", len(got))
	}
	e := got[0]
	if e.Method != "POST" || e.URL != server.URL+"/token" || e.Status != 200 {
		t.Errorf("recorded %s %s → %d", e.Method, e.URL, e.Status)
	}
	if !strings.Contains(e.RequestBody, "code=the-code") || !strings.Contains(e.RequestBody, "grant_type=authorization_code") {
		t.Errorf("request body %q lacks the form", e.RequestBody)
	}
	if !strings.Contains(e.ResponseBody, `"expires_in": 300`) {
		t.Errorf("response body %q lacks expires_in", e.ResponseBody)
	}
	all := e.RequestBody + e.ResponseBody
	for _, h := range append(e.RequestHeader, e.ResponseHeader...) {
		all += h.Name + ": " + h.Value + "\n"
	}
	basic := base64.StdEncoding.EncodeToString([]byte("demo-app:" + secret))
	for _, leak := range []string{secret, basic, accessToken, refreshToken, refreshToken[:10]} {
		if strings.Contains(all, leak) {
			t.Errorf("the record holds %q:\n%s", leak, all)
		}
	}
	if !strings.Contains(all, "Authorization: Basic "+inspector.Redacted) {
		t.Errorf("the Authorization header is not shown redacted:\n%s", all)
	}
	if !strings.Contains(all, accessToken[:16]+"…") {
		t.Errorf("the access token's start is not shown:\n%s", all)
	}
}

// Without Listen nothing is recorded, and requests pass through.
func TestTransportRecordsOnlyWhenListening(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer server.Close()
	client := &http.Client{Transport: &inspector.Transport{}}
	_, wire := inspector.Listen(t.Context())
	resp, err := client.Get(server.URL) // not with the listening context
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := len(wire.Exchanges()); n != 0 {
		t.Errorf("%d exchanges recorded for a request made without the context", n)
	}
}

// A large response reaches the caller whole, though the record keeps only
// its start.
func TestTransportPassesLargeBodiesWhole(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) }))
	defer server.Close()
	ctx, wire := inspector.Listen(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server.URL, nil)
	resp, err := (&http.Client{Transport: &inspector.Transport{}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != big {
		t.Errorf("the caller got %d bytes, want %d", len(body), len(big))
	}
	if kept := len(wire.Exchanges()[0].ResponseBody); kept >= len(big) {
		t.Errorf("the record kept %d bytes of a %d-byte body", kept, len(big))
	}
}

// The ID token report lists every check, in the order the login makes them.
func TestReportIDTokenListsEveryCheck(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	raw := enc([]byte(`{"alg":"RS256","kid":"k1"}`)) + "." +
		enc([]byte(`{"iss":"https://op","aud":"demo-app","exp":1800000300,"sub":"alice","iat":1800000000,"nonce":"n-1","at_hash":"h"}`)) + ".sig"
	r := inspector.ReportIDToken(raw, inspector.Expected{Issuer: "https://op", ClientID: "demo-app", Nonce: "n-1"}, time.Unix(1800000010, 0))
	var names []string
	for _, c := range r.Checks {
		names = append(names, c.Name+"="+c.Outcome)
	}
	want := "signature=passed iss=passed aud=passed exp=passed sub=passed iat=passed azp=not applicable nonce=passed at_hash=passed"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("checks:\n got %s\nwant %s", got, want)
	}
	if r.Algorithm != "RS256" || r.KeyID != "k1" {
		t.Errorf("alg %q kid %q", r.Algorithm, r.KeyID)
	}
}

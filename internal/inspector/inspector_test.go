package inspector_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/display"
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
	if got := e.Request.Text(); !strings.Contains(got, "code=the-code") || !strings.Contains(got, "grant_type=authorization_code") {
		t.Errorf("request body %q lacks the form", got)
	}
	if got := e.Response.Text(); !strings.Contains(got, `"expires_in": 300`) {
		t.Errorf("response body %q lacks expires_in", got)
	}
	all := e.Request.Text() + e.Response.Text()
	for _, h := range append(e.RequestHeader, e.ResponseHeader...) {
		all += h.Name + ": " + h.Value + "\n"
	}
	basic := base64.StdEncoding.EncodeToString([]byte("demo-app:" + secret))
	for _, leak := range []string{secret, basic, accessToken, refreshToken, refreshToken[:10]} {
		if strings.Contains(all, leak) {
			t.Errorf("the record holds %q:\n%s", leak, all)
		}
	}
	if !strings.Contains(all, "Authorization: Basic "+display.Redacted) {
		t.Errorf("the Authorization header is not shown redacted:\n%s", all)
	}
	if !strings.Contains(all, accessToken[:10]+"…") {
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

// A large response reaches the caller whole, and the record keeps none of
// it (fails closed): a token response over 32 KiB, from a realm with many
// roles, is not shown cut in the middle of a token.
func TestTransportKeepsNothingOfALargeBody(t *testing.T) {
	token := "eyJhbGciOiJSUzI1NiJ9." + strings.Repeat("A", 40<<10) + ".c2lnbmF0dXJl"
	big := `{"access_token":"` + token + `","token_type":"Bearer"}`
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		io.WriteString(w, big)
	}))
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
	kept := wire.Exchanges()[0].Response
	if len(kept.Fields) != 0 || !strings.Contains(kept.NotKept, "not recorded") || !strings.Contains(kept.NotKept, strconv.Itoa(len(big))+" bytes") {
		t.Errorf("the record of a %d-byte body: %+v, want only its size and why", len(big), kept)
	}
	if text := kept.Text(); strings.Contains(text, "AAAA") || strings.Contains(text, "eyJ") {
		t.Errorf("the record shows part of the token: %.200s", text)
	}
}

// Only fields on the inspector's list are shown; of others, only the name.
// A body that is not what it should be is not kept.
func TestTransportKeepsOnlyListedFields(t *testing.T) {
	answer := `{"token_type":"Bearer","access_token":"opaque-secret-token","session_state":"s","x_secret":"do-not-show"}`
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			io.WriteString(w, `{"access_token": "half`)
			return
		}
		io.WriteString(w, answer)
	}))
	defer server.Close()
	ctx, wire := inspector.Listen(t.Context())
	client := &http.Client{Transport: &inspector.Transport{}}
	form := url.Values{"grant_type": {"authorization_code"}, "x_private": {"do-not-show-either"}}
	for _, path := range []string{"/token", "/broken"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, server.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	got := wire.Exchanges()
	text := got[0].Request.Text() + got[0].Response.Text()
	for _, leak := range []string{"do-not-show", "opaque-secret-token"} {
		if strings.Contains(text, leak) {
			t.Errorf("the record shows %q:\n%s", leak, text)
		}
	}
	for _, name := range []string{"x_secret", "x_private", "session_state"} {
		if !strings.Contains(text, name) {
			t.Errorf("the record does not even name %s:\n%s", name, text)
		}
	}
	if broken := got[1].Response; len(broken.Fields) != 0 || !strings.Contains(broken.NotKept, "not a JSON object") {
		t.Errorf("an unparsable answer: %+v, want not kept", broken)
	}
}

// The ID token step shows as passed only the checks the protocol code
// reported (auth.Login.Checked): a check the code did not make is "not
// performed", whatever the token says.
func TestAnalyzeReportsOnlyTheChecksMade(t *testing.T) {
	rec := inspector.Record{
		IDToken: inspector.IDTokenFacts{Algorithm: "RS256", KeyID: "k1",
			Claims: map[string]string{"iss": "https://op", "aud": "demo-app", "nonce": "n", "sub": "s"}},
		Checked: []string{auth.CheckSignature, auth.CheckIssuer, auth.CheckAudience},
	}
	outcomes := map[string]string{}
	for _, c := range inspector.Analyze(rec, inspector.Expected{Issuer: "https://op", ClientID: "demo-app"}).IDToken.Checks {
		outcomes[c.Name] = c.Outcome
	}
	want := map[string]string{
		auth.CheckSignature: inspector.CheckPassed, auth.CheckIssuer: inspector.CheckPassed, auth.CheckAudience: inspector.CheckPassed,
		auth.CheckNonce: inspector.CheckNotPerformed, auth.CheckSubject: inspector.CheckNotPerformed,
		auth.CheckAZP: inspector.CheckNotApplicable, auth.CheckAtHash: inspector.CheckNotApplicable,
	}
	for name, outcome := range want {
		if outcomes[name] != outcome {
			t.Errorf("check %s: %q, want %q", name, outcomes[name], outcome)
		}
	}
	if len(outcomes) != len(auth.IDTokenChecks()) {
		t.Errorf("%d checks shown, want every one of the list (%d)", len(outcomes), len(auth.IDTokenChecks()))
	}
}

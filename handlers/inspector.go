package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/views"
)

// handleFlow is the flow inspector: the user's own most recent login, step
// by step, from the record (auth.LoginTrace) the callback kept in the
// session. requireLogin has run, so the user is in the context.
func (app *App) handleFlow(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r)
	v := views.FlowView{Nav: navFor(u)}
	if trace, ok := app.sessions.LoginTrace(r.Context()); ok {
		v = flowView(u, trace)
	}
	app.render(w, r, http.StatusOK, views.Flow(v))
}

// Specification sections the flow inspector links to.
var (
	rfc6749Authorization = views.SpecRef{Name: "RFC 6749 4.1.1", URL: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1"}
	rfc6749Response      = views.SpecRef{Name: "RFC 6749 4.1.2", URL: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2"}
	rfc6749CSRF          = views.SpecRef{Name: "RFC 6749 10.12", URL: "https://www.rfc-editor.org/rfc/rfc6749#section-10.12"}
	rfc6749TokenRequest  = views.SpecRef{Name: "RFC 6749 4.1.3", URL: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3"}
	rfc6749ClientAuth    = views.SpecRef{Name: "RFC 6749 2.3.1", URL: "https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1"}
	rfc6749TokenResponse = views.SpecRef{Name: "RFC 6749 4.1.4 and 5.1", URL: "https://www.rfc-editor.org/rfc/rfc6749#section-5.1"}
	rfc7636Challenge     = views.SpecRef{Name: "RFC 7636 4.1 to 4.3", URL: "https://www.rfc-editor.org/rfc/rfc7636#section-4.1"}
	rfc7636CodeIssued    = views.SpecRef{Name: "RFC 7636 4.4", URL: "https://www.rfc-editor.org/rfc/rfc7636#section-4.4"}
	rfc7636Verifier      = views.SpecRef{Name: "RFC 7636 4.5 and 4.6", URL: "https://www.rfc-editor.org/rfc/rfc7636#section-4.5"}
	oidcAuthRequest      = views.SpecRef{Name: "OpenID Connect Core 3.1.2.1", URL: "https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest"}
	oidcTokenResponse    = views.SpecRef{Name: "OpenID Connect Core 3.1.3.3", URL: "https://openid.net/specs/openid-connect-core-1_0.html#TokenResponse"}
	oidcIDTokenCheck     = views.SpecRef{Name: "OpenID Connect Core 3.1.3.7", URL: "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation"}
	oidcAtHash           = views.SpecRef{Name: "OpenID Connect Core 3.1.3.8", URL: "https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowTokenValidation"}
	oidcSub              = views.SpecRef{Name: "OpenID Connect Core 2", URL: "https://openid.net/specs/openid-connect-core-1_0.html#IDToken"}
	oidcUserInfo         = views.SpecRef{Name: "OpenID Connect Core 5.3", URL: "https://openid.net/specs/openid-connect-core-1_0.html#UserInfo"}
)

// The code that does each step. TestFlowCodeRefsExist checks that every
// function named here exists in the file named.
var (
	codeLogin = []views.CodeRef{
		{File: "handlers/login.go", Func: "handleLogin"},
		{File: "internal/auth/login.go", Func: "StartLogin"},
		{File: "internal/session/pending.go", Func: "AddPendingLogin"},
	}
	codeCallback = []views.CodeRef{
		{File: "handlers/callback.go", Func: "handleCallback"},
		{File: "internal/session/pending.go", Func: "TakePendingLogin"},
	}
	codeExchange = []views.CodeRef{{File: "internal/auth/login.go", Func: "completeLogin"}}
	codeIDToken  = []views.CodeRef{{File: "internal/auth/login.go", Func: "verifyIDToken"}, {File: "internal/auth/login.go", Func: "completeLogin"}}
	codeUserInfo = []views.CodeRef{{File: "internal/auth/login.go", Func: "fetchUserInfo"}}
	flowCodeRefs = [][]views.CodeRef{codeLogin, codeCallback, codeExchange, codeIDToken, codeUserInfo}
	flowDiagram  = []views.SeqMessage{
		{From: views.LaneBrowser, To: views.LaneApp, Step: 1, Label: "GET /login"},
		{From: views.LaneApp, To: views.LaneBrowser, Step: 1, Label: "302 to Keycloak", Reply: true},
		{From: views.LaneBrowser, To: views.LaneKeycloak, Step: 1, Label: "GET authorization endpoint ?response_type=code&state&nonce&code_challenge…"},
		{From: views.LaneKeycloak, To: views.LaneBrowser, Label: "login page", Reply: true},
		{From: views.LaneBrowser, To: views.LaneKeycloak, Label: "your username and password (only Keycloak sees them)"},
		{From: views.LaneKeycloak, To: views.LaneBrowser, Step: 2, Label: "302 to /callback?code&state", Reply: true},
		{From: views.LaneBrowser, To: views.LaneApp, Step: 2, Label: "GET /callback?code&state"},
		{From: views.LaneApp, To: views.LaneKeycloak, Step: 3, Label: "POST token endpoint: code, code_verifier, client credentials"},
		{From: views.LaneKeycloak, To: views.LaneApp, Step: 4, Label: "ID, access and refresh tokens", Reply: true},
		{From: views.LaneApp, To: views.LaneApp, Step: 5, Label: "check the ID token"},
		{From: views.LaneApp, To: views.LaneKeycloak, Step: 6, Label: "GET userinfo (Bearer access token)"},
		{From: views.LaneKeycloak, To: views.LaneApp, Step: 6, Label: "your claims", Reply: true},
		{From: views.LaneApp, To: views.LaneBrowser, Label: "303 to your page, new session cookie", Reply: true},
	}
)

// What each parameter of the authorization request is for.
var authParamMeaning = map[string]string{
	"response_type":         "code: ask for an authorization code (the code flow), not for tokens in the URL.",
	"client_id":             "Who is asking: this app's registration at Keycloak.",
	"redirect_uri":          "Where Keycloak sends the browser back. It must exactly match a URI registered for the client.",
	"scope":                 "What is asked for: openid makes it an OpenID Connect login (an ID token); profile and email ask for those claims.",
	"state":                 "Random, kept in your server-side session: the callback must bring it back, or it is refused (login CSRF).",
	"nonce":                 "Random, kept in your session: it must come back inside the ID token, which ties the token to this login (replay).",
	"code_challenge":        "BASE64URL(SHA256(code_verifier)). The verifier itself stays on the server until step 3.",
	"code_challenge_method": "S256: the challenge is a SHA-256 hash of the verifier (never \"plain\").",
}

// What each check of the ID token is for, and where the spec asks for it.
var checkMeaning = map[string]struct {
	meaning string
	spec    views.SpecRef
}{
	"signature": {"signed by Keycloak, with one of the keys it publishes (JWKS), and not altered since", withStep(oidcIDTokenCheck, "step 6")},
	"iss":       {"the issuer is the configured Keycloak realm", withStep(oidcIDTokenCheck, "step 2")},
	"aud":       {"the token was made for this app", withStep(oidcIDTokenCheck, "step 3")},
	"exp":       {"the token has not expired", withStep(oidcIDTokenCheck, "step 9")},
	"sub":       {"it names a user", oidcSub},
	"iat":       {"it says when it was issued", withStep(oidcIDTokenCheck, "step 10")},
	"azp":       {"when present, the authorized party is this app", withStep(oidcIDTokenCheck, "steps 4 and 5")},
	"nonce":     {"the nonce is the one this login sent in step 1 (no replay)", withStep(oidcIDTokenCheck, "step 11")},
	"at_hash":   {"the access token of the same response belongs to this ID token", oidcAtHash},
}

func withStep(s views.SpecRef, step string) views.SpecRef {
	s.Name += " " + step
	return s
}

// flowView shapes the login's trace for display.
func flowView(u session.User, t auth.LoginTrace) views.FlowView {
	authURL, params := splitURL(t.Authorization.URL)
	sent := map[string]string{}
	for i, p := range params {
		sent[p.Name] = p.Value
		params[i].Meaning = authParamMeaning[p.Name]
	}

	v := views.FlowView{
		Nav:        navFor(u),
		Recorded:   true,
		LoggedInAt: formatTime(u.LoggedInAt),
		Diagram:    flowDiagram,
	}

	v.Authorization = views.FlowAuthorization{
		Step: views.StepInfo{Number: 1, Title: "The authorization request", At: formatTime(t.Authorization.SentAt),
			Code: codeLogin, Specs: []views.SpecRef{rfc6749Authorization, rfc7636Challenge, oidcAuthRequest}},
		URL:      t.Authorization.URL,
		Endpoint: authURL,
		Params:   params,
	}

	redirect := t.TokenRequest.RedirectURI
	if parsed, err := url.Parse(redirect); err == nil {
		redirect = parsed.Path
	}
	age := t.Callback.ReceivedAt.Sub(t.Authorization.SentAt).Round(time.Second)
	v.Callback = views.FlowCallback{
		Step: views.StepInfo{Number: 2, Title: "The callback", At: formatTime(t.Callback.ReceivedAt),
			Code: codeCallback, Specs: []views.SpecRef{rfc6749Response, rfc6749CSRF, rfc7636CodeIssued}},
		Request:      "GET " + redirect + "?code=" + url.QueryEscape(t.Callback.Code) + "&state=" + url.QueryEscape(t.Callback.State),
		Code:         t.Callback.Code,
		State:        t.Callback.State,
		StateMatches: t.Callback.State != "" && t.Callback.State == sent["state"],
		PendingAge:   humanDuration(max(age, 0)),
	}

	q := t.TokenRequest
	computed := oauth2.S256ChallengeFromVerifier(q.CodeVerifier)
	v.TokenRequest = views.FlowTokenRequest{
		Step: views.StepInfo{Number: 3, Title: "The token request (back channel)", At: formatTime(q.SentAt),
			Code: codeExchange, Specs: []views.SpecRef{rfc6749TokenRequest, rfc7636Verifier, rfc6749ClientAuth}},
		Endpoint: q.Endpoint,
		Params: []views.Param{
			{Name: "grant_type", Value: q.GrantType, Meaning: "Trade an authorization code for tokens."},
			{Name: "code", Value: q.Code, Meaning: "The code from step 2."},
			{Name: "redirect_uri", Value: q.RedirectURI, Meaning: "The same as in step 1: Keycloak checks they are equal."},
			{Name: "code_verifier", Value: q.CodeVerifier, Meaning: "The PKCE secret made at /login, sent now for the first time."},
		},
		ClientID:          q.ClientID,
		ClientAuth:        q.ClientAuth,
		Verifier:          q.CodeVerifier,
		ComputedChallenge: computed,
		SentChallenge:     sent["code_challenge"],
		ChallengeMatches:  computed == sent["code_challenge"],
	}

	r := t.TokenResponse
	fields := []views.Param{{Name: "token_type", Value: r.TokenType, Meaning: "Bearer: whoever holds the access token can use it, so it must be kept secret."}}
	if r.ExpiresIn != "" {
		fields = append(fields, views.Param{Name: "expires_in", Value: r.ExpiresIn, Meaning: "How many seconds the access token is valid."})
	}
	if r.RefreshExpiresIn != "" {
		fields = append(fields, views.Param{Name: "refresh_expires_in", Value: r.RefreshExpiresIn, Meaning: "Keycloak's addition: how many seconds the refresh token is valid (without activity)."})
	}
	scope := views.Param{Name: "scope", Value: r.Scope, Meaning: "The scopes granted."}
	if r.Scope == "" {
		scope.Value, scope.Meaning = "(not in the response)", "Then the scopes granted are the ones requested."
	}
	fields = append(fields, scope)
	v.TokenResponse = views.FlowTokenResponse{
		Step: views.StepInfo{Number: 4, Title: "The token response", At: formatTime(r.ReceivedAt),
			Code: codeExchange, Specs: []views.SpecRef{rfc6749TokenResponse, oidcTokenResponse}},
		Fields: fields,
		Tokens: []views.TokenArrival{
			{Name: "access_token", Came: r.AccessToken, Meaning: "for calling APIs on your behalf"},
			{Name: "id_token", Came: r.IDToken, Meaning: "who you are, for this app (OpenID Connect)"},
			{Name: "refresh_token", Came: r.RefreshToken, Meaning: "for getting new tokens without asking you again"},
		},
	}

	i := t.IDToken
	v.IDToken = views.FlowIDToken{
		Step: views.StepInfo{Number: 5, Title: "The ID token checks", At: formatTime(i.CheckedAt),
			Code: codeIDToken, Specs: []views.SpecRef{oidcIDTokenCheck}},
		Algorithm: i.Algorithm,
		KeyID:     i.KeyID,
	}
	for _, c := range i.Checks {
		m := checkMeaning[c.Name]
		v.IDToken.Checks = append(v.IDToken.Checks, views.FlowCheck{
			Name: c.Name, Meaning: m.meaning, Value: c.Value, Expected: c.Expected,
			Outcome: c.Outcome, Passed: c.Outcome == auth.CheckPassed, Spec: m.spec,
		})
	}

	ui := t.UserInfo
	v.UserInfo = views.FlowUserInfo{
		Step: views.StepInfo{Number: 6, Title: "The userinfo call",
			Code: codeUserInfo, Specs: []views.SpecRef{oidcUserInfo}},
		Called:         ui.Endpoint != "",
		Endpoint:       ui.Endpoint,
		Subject:        ui.Subject,
		IDTokenSubject: u.Claims.Subject,
		Matches:        ui.SubjectMatches && ui.Subject == u.Claims.Subject,
	}
	return v
}

// splitURL returns the URL without its query, and the query's parameters
// in the order they appear (url.Values would sort them).
func splitURL(raw string) (string, []views.Param) {
	base, query, _ := strings.Cut(raw, "?")
	var params []views.Param
	for part := range strings.SplitSeq(query, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if v, err := url.QueryUnescape(value); err == nil {
			value = v
		}
		params = append(params, views.Param{Name: name, Value: value})
	}
	return base, params
}

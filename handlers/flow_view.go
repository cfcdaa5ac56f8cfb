package handlers

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/views"
)

// This file shapes a login's record (internal/inspector) for the flow
// inspector's page: the steps, what each parameter means, which code does
// it and which specification asks for it.

// Specification sections the flow inspector links to.
var (
	rfc6749Authorization = views.SpecRef{Name: "RFC 6749 4.1.1", URL: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1"}
	rfc6749Response      = views.SpecRef{Name: "RFC 6749 4.1.2", URL: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2"}
	rfc9207Issuer        = views.SpecRef{Name: "RFC 9207 2.4", URL: "https://www.rfc-editor.org/rfc/rfc9207#section-2.4"}
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
		{File: "internal/auth/login.go", Func: "CheckIssuer"},
	}
	codeExchange = []views.CodeRef{{File: "internal/auth/login.go", Func: "CompleteLogin"}}
	codeIDToken  = []views.CodeRef{{File: "internal/auth/login.go", Func: "CompleteLogin"}, {File: "internal/auth/login.go", Func: "verifyIDToken"}}
	codeUserInfo = []views.CodeRef{{File: "internal/auth/login.go", Func: "fetchUserInfo"}}
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
	"request_uri":           "With PAR: the reference Keycloak gave the app for the pushed request (step 1a). The browser carries only this and client_id.",
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

// What the token request's fields are for.
var tokenParamMeaning = map[string]string{
	"grant_type":    "Trade an authorization code for tokens.",
	"code":          "The code from step 2.",
	"redirect_uri":  "The same as in step 1: Keycloak checks they are equal.",
	"code_verifier": "The PKCE secret made at /login, sent now for the first time.",
	"client_id":     "Who is asking (with client_secret_basic it is also in the Authorization header).",
	// private_key_jwt (step 3a).
	"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer: the client proves who it is with a signed JWT (private_key_jwt).",
	"client_assertion":      "The client assertion (step 3a): a JWT the app signed with its own key. Its signature is not kept in this record.",
}

// flowView shapes the login's record for display.
func flowView(u session.User, rec inspector.Record) views.FlowView {
	authURL, params := splitURL(rec.AuthorizationURL)
	sent := map[string]string{}
	for i, p := range params {
		sent[p.Name] = p.Value
		params[i].Meaning = authParamMeaning[p.Name]
	}
	// With PAR the browser's URL holds a reference; the request itself
	// went over the back channel (fapi_view.go).
	pushed := pushedView(rec.Pushed)
	if pushed != nil {
		for _, p := range pushed.Params {
			sent[p.Name] = p.Value
		}
	}
	tokenCall, userInfoCall := findCalls(rec.Exchanges)
	tokenForm := formParams(tokenCall.RequestBody)

	v := views.FlowView{
		Nav:        navFor(u),
		Recorded:   true,
		LoggedInAt: formatTime(u.LoggedInAt),
		Diagram:    flowDiagram,
		Pushed:     pushed,
	}

	v.Authorization = views.FlowAuthorization{
		Step: views.StepInfo{Number: "1", Title: "The authorization request", At: formatTime(rec.StartedAt),
			Code: codeLogin, Specs: []views.SpecRef{rfc6749Authorization, rfc7636Challenge, oidcAuthRequest}},
		URL:      rec.AuthorizationURL,
		Endpoint: authURL,
		Params:   params,
	}

	redirect := sent["redirect_uri"]
	if parsed, err := url.Parse(redirect); err == nil {
		redirect = parsed.Path
	}
	cb := rec.Callback
	age := cb.ReceivedAt.Sub(rec.StartedAt).Round(time.Second)
	request := "GET " + redirect + "?code=" + url.QueryEscape(cb.Code) + "&state=" + url.QueryEscape(cb.State)
	if cb.Issuer != "" {
		request += "&iss=" + url.QueryEscape(cb.Issuer)
	}
	v.Callback = views.FlowCallback{
		Step: views.StepInfo{Number: "2", Title: "The callback", At: formatTime(cb.ReceivedAt),
			Code: codeCallback, Specs: []views.SpecRef{rfc6749Response, rfc6749CSRF, rfc9207Issuer, rfc7636CodeIssued}},
		Request:      request,
		Code:         cb.Code,
		State:        cb.State,
		StateMatches: cb.State != "" && cb.State == sent["state"],
		PendingAge:   humanDuration(max(age, 0)),
		Issuer:       cb.Issuer,
	}

	verifier := tokenForm.get("code_verifier")
	computed := oauth2.S256ChallengeFromVerifier(verifier)
	v.TokenRequest = views.FlowTokenRequest{
		Step: views.StepInfo{Number: "3", Title: "The token request (back channel)", At: formatTime(tokenCall.SentAt),
			Code: codeExchange, Specs: []views.SpecRef{rfc6749TokenRequest, rfc7636Verifier, rfc6749ClientAuth}},
		Endpoint:          tokenCall.URL,
		Params:            tokenForm.params,
		ClientID:          sent["client_id"],
		ClientAuth:        clientAuthMethod(tokenCall),
		Verifier:          verifier,
		ComputedChallenge: computed,
		SentChallenge:     sent["code_challenge"],
		ChallengeMatches:  computed == sent["code_challenge"],
		Wire:              requestWire(tokenCall),
	}

	v.ClientAssertion = assertionView(tokenForm.get("client_assertion"), append(rec.Pushed, rec.Exchanges...))

	var answer map[string]any
	json.Unmarshal([]byte(tokenCall.ResponseBody), &answer)
	tokenTypeMeaning := "Bearer: whoever holds the access token can use it, so it must be kept secret."
	if strings.EqualFold(jsonText(answer["token_type"]), "DPoP") {
		tokenTypeMeaning = "DPoP: the access token is bound to the app's DPoP key; each use needs a fresh proof signed by it (step 3b)."
	}
	v.DPoP = dpopView(rec.Exchanges, jsonText(answer["token_type"]))
	fields := []views.Param{{Name: "token_type", Value: jsonText(answer["token_type"]), Meaning: tokenTypeMeaning}}
	if s := jsonText(answer["expires_in"]); s != "" {
		fields = append(fields, views.Param{Name: "expires_in", Value: s, Meaning: "How many seconds the access token is valid."})
	}
	if s := jsonText(answer["refresh_expires_in"]); s != "" {
		fields = append(fields, views.Param{Name: "refresh_expires_in", Value: s, Meaning: "Keycloak's addition: how many seconds the refresh token is valid (without activity)."})
	}
	scope := views.Param{Name: "scope", Value: jsonText(answer["scope"]), Meaning: "The scopes granted."}
	if scope.Value == "" {
		scope.Value, scope.Meaning = "(not in the response)", "Then the scopes granted are the ones requested."
	}
	fields = append(fields, scope)
	v.TokenResponse = views.FlowTokenResponse{
		Step: views.StepInfo{Number: "4", Title: "The token response", At: formatTime(tokenCall.ReceivedAt),
			Code: codeExchange, Specs: []views.SpecRef{rfc6749TokenResponse, oidcTokenResponse}},
		Fields: fields,
		Tokens: []views.TokenArrival{
			{Name: "access_token", Came: answer["access_token"] != nil, Meaning: "for calling APIs on your behalf"},
			{Name: "id_token", Came: answer["id_token"] != nil, Meaning: "who you are, for this app (OpenID Connect)"},
			{Name: "refresh_token", Came: answer["refresh_token"] != nil, Meaning: "for getting new tokens without asking you again"},
		},
		Wire: responseWire(tokenCall),
	}

	i := rec.IDToken
	v.IDToken = views.FlowIDToken{
		Step: views.StepInfo{Number: "5", Title: "The ID token checks", At: formatTime(i.CheckedAt),
			Code: codeIDToken, Specs: []views.SpecRef{oidcIDTokenCheck}},
		Algorithm: i.Algorithm,
		KeyID:     i.KeyID,
	}
	for _, c := range i.Checks {
		m := checkMeaning[c.Name]
		v.IDToken.Checks = append(v.IDToken.Checks, views.FlowCheck{
			Name: c.Name, Meaning: m.meaning, Value: c.Value, Expected: c.Expected,
			Outcome: c.Outcome, Passed: c.Outcome == inspector.CheckPassed, Spec: m.spec,
		})
	}

	var info struct {
		Subject string `json:"sub"`
	}
	json.Unmarshal([]byte(userInfoCall.ResponseBody), &info)
	v.UserInfo = views.FlowUserInfo{
		Step: views.StepInfo{Number: "6", Title: "The userinfo call", At: formatTime(userInfoCall.SentAt),
			Code: codeUserInfo, Specs: []views.SpecRef{oidcUserInfo}},
		Called:         userInfoCall.URL != "",
		Endpoint:       userInfoCall.URL,
		Subject:        info.Subject,
		IDTokenSubject: u.Claims.Subject,
		// The login completed, so the check passed; shown from the values.
		Matches:  info.Subject != "" && info.Subject == u.Claims.Subject,
		Request:  requestWire(userInfoCall),
		Response: responseWire(userInfoCall),
	}
	return v
}

// findCalls picks the token request (a POST with grant_type
// authorization_code) and the userinfo call (a GET with the access token as
// a Bearer token) from the back-channel calls of the login. Others, such as
// a JWKS fetch to check the ID token's signature, are not steps of their own.
func findCalls(exchanges []inspector.Exchange) (token, userInfo inspector.Exchange) {
	for _, e := range exchanges {
		switch {
		case e.Method == "POST" && formParams(e.RequestBody).get("grant_type") == "authorization_code":
			token = e
		case e.Method == "GET" && hasAccessToken(e.RequestHeader):
			userInfo = e
		}
	}
	return token, userInfo
}

// hasAccessToken: an access token in Authorization, Bearer or DPoP.
func hasAccessToken(hs []inspector.Header) bool {
	for _, h := range hs {
		if h.Name == "Authorization" && (strings.HasPrefix(h.Value, "Bearer ") || strings.HasPrefix(h.Value, "DPoP ")) {
			return true
		}
	}
	return false
}

// clientAuthMethod names how the client proved who it is, with the names of
// OpenID Connect Core 9, from the request as it was sent.
func clientAuthMethod(e inspector.Exchange) string {
	for _, h := range e.RequestHeader {
		if h.Name == "Authorization" && strings.HasPrefix(h.Value, "Basic ") {
			return "client_secret_basic"
		}
	}
	form := formParams(e.RequestBody)
	switch {
	case form.get("client_assertion") != "":
		return "private_key_jwt"
	case form.get("client_secret") != "":
		return "client_secret_post"
	}
	return "none"
}

// orderedForm is a form body's fields in the order they were sent.
type orderedForm struct{ params []views.Param }

func formParams(body string) orderedForm {
	var f orderedForm
	for pair := range strings.SplitSeq(body, "&") {
		name, value, _ := strings.Cut(pair, "=")
		name, _ = url.QueryUnescape(name)
		value, _ = url.QueryUnescape(value)
		if name != "" {
			f.params = append(f.params, views.Param{Name: name, Value: value, Meaning: tokenParamMeaning[name]})
		}
	}
	return f
}

func (f orderedForm) get(name string) string {
	for _, p := range f.params {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

func requestWire(e inspector.Exchange) views.WireMessage {
	if e.URL == "" {
		return views.WireMessage{}
	}
	return views.WireMessage{StartLine: e.Method + " " + e.URL, Headers: wireHeaders(e.RequestHeader), Body: e.RequestBody}
}

func responseWire(e inspector.Exchange) views.WireMessage {
	if e.Status == 0 {
		return views.WireMessage{}
	}
	return views.WireMessage{StartLine: "HTTP " + strconv.Itoa(e.Status), Headers: wireHeaders(e.ResponseHeader), Body: e.ResponseBody}
}

func wireHeaders(hs []inspector.Header) []views.Param {
	var ps []views.Param
	for _, h := range hs {
		ps = append(ps, views.Param{Name: h.Name, Value: h.Value})
	}
	return ps
}

// jsonText is a JSON value of the token response as text: expires_in is a
// number, scope a string; "" when absent.
func jsonText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
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

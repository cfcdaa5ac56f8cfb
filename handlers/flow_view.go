package handlers

import (
	"net/url"
	"strings"

	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/views"
)

// This file maps the inspector's steps of a login (internal/inspector) to
// the flow inspector's page: which code does each step and which
// specification asks for it. What parameters mean is in flow_parts.go.

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
	codeIDToken  = []views.CodeRef{{File: "internal/auth/login.go", Func: "CompleteLogin"}, {File: "internal/auth/login.go", Func: "verifyIDToken"}, {File: "internal/auth/checks.go", Func: "IDTokenChecks"}}
	codeUserInfo = []views.CodeRef{{File: "internal/auth/login.go", Func: "fetchUserInfo"}}
	flowDiagram  = []views.SeqMessage{
		{From: views.LaneBrowser, To: views.LaneApp, Step: 1, Label: "GET /login"},
		{From: views.LaneApp, To: views.LaneBrowser, Step: 1, Label: "302 to Keycloak", Reply: true},
		{From: views.LaneBrowser, To: views.LaneKeycloak, Step: 1, Label: "GET authorization endpoint ?response_type=code&state&nonce&code_challenge…"},
		{From: views.LaneKeycloak, To: views.LaneBrowser, Label: "login page", Reply: true},
		{From: views.LaneBrowser, To: views.LaneKeycloak, Label: "your username and password (only Keycloak sees them)"},
		{From: views.LaneKeycloak, To: views.LaneBrowser, Step: 2, Label: "302 to /callback?code&state&iss", Reply: true},
		{From: views.LaneBrowser, To: views.LaneApp, Step: 2, Label: "GET /callback?code&state&iss"},
		{From: views.LaneApp, To: views.LaneKeycloak, Step: 3, Label: "POST token endpoint: code, code_verifier, client credentials"},
		{From: views.LaneKeycloak, To: views.LaneApp, Step: 4, Label: "ID, access and refresh tokens", Reply: true},
		{From: views.LaneApp, To: views.LaneApp, Step: 5, Label: "check the ID token"},
		{From: views.LaneApp, To: views.LaneKeycloak, Step: 6, Label: "GET userinfo (Bearer access token)"},
		{From: views.LaneKeycloak, To: views.LaneApp, Step: 6, Label: "your claims", Reply: true},
		{From: views.LaneApp, To: views.LaneBrowser, Label: "303 to your page, new session cookie", Reply: true},
	}
)

// flowView shapes a login's steps for display.
func flowView(nav views.Nav, loggedInAt string, f inspector.Flow) views.FlowView {
	v := views.FlowView{
		Nav:             nav,
		Recorded:        true,
		LoggedInAt:      loggedInAt,
		Diagram:         flowDiagram,
		Pushed:          pushedView(f.Pushed),
		ClientAssertion: assertionView(f.ClientAssertion),
		DPoP:            dpopView(f.DPoP),
	}

	a := f.Authorization
	v.Authorization = views.FlowAuthorization{
		Step: views.StepInfo{Number: "1", Title: "The authorization request", At: display.Time(a.At),
			Code: codeLogin, Specs: []views.SpecRef{rfc6749Authorization, rfc7636Challenge, oidcAuthRequest}},
		URL:      a.URL,
		Endpoint: a.Endpoint,
		Params:   params(a.Params, authParamMeaning()),
	}

	cb := f.Callback
	request := "GET " + cb.Path + "?code=" + url.QueryEscape(cb.Code) + "&state=" + url.QueryEscape(cb.State)
	if cb.Issuer != "" {
		request += "&iss=" + url.QueryEscape(cb.Issuer)
	}
	v.Callback = views.FlowCallback{
		Step: views.StepInfo{Number: "2", Title: "The callback", At: display.Time(cb.At),
			Code: codeCallback, Specs: []views.SpecRef{rfc6749Response, rfc6749CSRF, rfc9207Issuer, rfc7636CodeIssued}},
		Request:      request,
		Code:         cb.Code,
		State:        cb.State,
		StateMatches: cb.StateMatches,
		PendingAge:   humanDuration(cb.Took),
		Issuer:       cb.Issuer,
	}

	t := f.TokenRequest
	v.TokenRequest = views.FlowTokenRequest{
		Step: views.StepInfo{Number: "3", Title: "The token request (back channel)", At: display.Time(t.Exchange.SentAt),
			Code: codeExchange, Specs: []views.SpecRef{rfc6749TokenRequest, rfc7636Verifier, rfc6749ClientAuth}},
		Endpoint:          t.Endpoint,
		Params:            params(t.Params, tokenParamMeaning()),
		ClientID:          t.ClientID,
		ClientAuth:        t.ClientAuth,
		Verifier:          t.Verifier,
		ComputedChallenge: t.ComputedChallenge,
		SentChallenge:     t.SentChallenge,
		ChallengeMatches:  t.ChallengeMatches,
		Wire:              requestWire(t.Exchange),
	}

	tr := f.TokenResponse
	tokenTypeMeaning := "Bearer: whoever holds the access token can use it, so it must be kept secret (RFC 6750)."
	if strings.EqualFold(tr.TokenType, "DPoP") {
		tokenTypeMeaning = "DPoP: the access token is bound to the app's DPoP key; each use needs a fresh proof signed by it (step 3b, RFC 9449 section 7)."
	}
	fields := []views.Param{{Name: "token_type", Value: tr.TokenType, Meaning: tokenTypeMeaning}}
	if tr.ExpiresIn != "" {
		fields = append(fields, views.Param{Name: "expires_in", Value: tr.ExpiresIn, Meaning: "How many seconds the access token is valid."})
	}
	if tr.RefreshExpiresIn != "" {
		fields = append(fields, views.Param{Name: "refresh_expires_in", Value: tr.RefreshExpiresIn, Meaning: "Keycloak's addition: how many seconds the refresh token is valid (without activity)."})
	}
	scope := views.Param{Name: "scope", Value: tr.Scope, Meaning: "The scopes granted, space separated (RFC 6749 3.3): what the app may ask the API to do. Keycloak adds the client's default scopes (demo-api.read) to those requested."}
	if scope.Value == "" {
		scope.Value, scope.Meaning = "(not in the response)", "Then the scopes granted are the ones requested (RFC 6749 5.1)."
	}
	v.TokenResponse = views.FlowTokenResponse{
		Step: views.StepInfo{Number: "4", Title: "The token response", At: display.Time(tr.Exchange.ReceivedAt),
			Code: codeExchange, Specs: []views.SpecRef{rfc6749TokenResponse, oidcTokenResponse}},
		Fields: append(fields, scope),
		Tokens: []views.TokenArrival{
			{Name: "access_token", Came: tr.Arrived["access_token"], Meaning: "for calling APIs on your behalf"},
			{Name: "id_token", Came: tr.Arrived["id_token"], Meaning: "who you are, for this app (OpenID Connect)"},
			{Name: "refresh_token", Came: tr.Arrived["refresh_token"], Meaning: "for getting new tokens without asking you again"},
		},
		Wire: responseWire(tr.Exchange),
	}

	id := f.IDToken
	v.IDToken = views.FlowIDToken{
		Step: views.StepInfo{Number: "5", Title: "The ID token checks", At: display.Time(tr.Exchange.ReceivedAt),
			Code: codeIDToken, Specs: []views.SpecRef{oidcIDTokenCheck}},
		Algorithm: id.Algorithm,
		KeyID:     id.KeyID,
	}
	for _, c := range id.Checks {
		v.IDToken.Checks = append(v.IDToken.Checks, views.FlowCheck{
			Name: c.Name, Meaning: c.Stops, Value: c.Value, Expected: c.Expected,
			Outcome: c.Outcome, Passed: c.Outcome == inspector.CheckPassed,
			Spec: views.SpecRef{Name: c.Section, URL: c.URL},
		})
	}

	ui := f.UserInfo
	v.UserInfo = views.FlowUserInfo{
		Step: views.StepInfo{Number: "6", Title: "The userinfo call", At: display.Time(ui.Exchange.SentAt),
			Code: codeUserInfo, Specs: []views.SpecRef{oidcUserInfo}},
		Called:         ui.Called,
		Endpoint:       ui.Endpoint,
		Subject:        ui.Subject,
		IDTokenSubject: ui.IDTokenSubject,
		Matches:        ui.Matches,
		Request:        requestWire(ui.Exchange),
		Response:       responseWire(ui.Exchange),
	}
	return v
}

package handlers

import (
	"net/url"
	"strconv"

	"golang.org/x/oauth2"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/views"
)

// This file shapes a login in slow motion (slow.go) for its page. What came
// back from Keycloak is read as /flow reads a finished login
// (inspector.Analyze, flowView), so both pages say the same about the same
// message; what is about to be sent is built here.

// slowHops names the hops, in order (hop n is slowHops[n-1]).
var slowHops = []string{
	"The authorization request", "The callback", "The token request",
	"The token response", "The ID token checks", "The userinfo request",
}

// The code that does each hop. TestSlowCodeRefsExist checks they exist.
var (
	codeSlowAuthorize = []views.CodeRef{
		{File: "handlers/slow.go", Func: "handleSlowStart"}, {File: "handlers/slow.go", Func: "handleSlowAuthorize"},
		{File: "internal/auth/steps.go", Func: "AuthorizationURL"}, {File: "internal/session/pending.go", Func: "AddPendingLogin"},
	}
	codeSlowCallback = []views.CodeRef{
		{File: "handlers/slow.go", Func: "handleSlowAcceptCallback"},
		{File: "internal/session/pending.go", Func: "TakePendingLogin"}, {File: "internal/auth/login.go", Func: "CheckIssuer"},
	}
	codeSlowToken    = []views.CodeRef{{File: "handlers/slow.go", Func: "handleSlowToken"}, {File: "internal/auth/steps.go", Func: "ExchangeCode"}}
	codeSlowIDToken  = []views.CodeRef{{File: "handlers/slow.go", Func: "handleSlowCheckIDToken"}, {File: "internal/auth/login.go", Func: "CheckIDToken"}}
	codeSlowUserInfo = []views.CodeRef{{File: "handlers/slow.go", Func: "handleSlowUserInfo"}, {File: "internal/auth/steps.go", Func: "FetchUserInfo"}}
	rfc9700Redirect  = views.SpecRef{Name: "RFC 9700 4.1.3", URL: "https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3"}
	rfc6749Error     = views.SpecRef{Name: "RFC 6749 4.1.2.1", URL: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1"}
)

// What changing each value does: the answer the learner will see.
var slowFieldHints = map[string]string{
	"state": "The app keeps the state it made in your session. Keycloak sends back whatever state it got; " +
		"at hop 2 the app looks for a login this browser started under that state, and refuses the callback if there is none (RFC 6749 10.12).",
	"redirect_uri": "Keycloak compares it with the redirect URIs registered for this client, as exact strings (RFC 9700 4.1.3). " +
		"For any other it shows its own error page and does not send the browser there (RFC 6749 4.1.2.1).",
	"scope": "openid makes this an OpenID Connect login: without it Keycloak issues no ID token, and the app refuses the token response. " +
		"A scope Keycloak does not offer this client comes back as an error at hop 2 (RFC 6749 4.1.2.1).",
	"code_challenge": "Keycloak keeps it with the code (RFC 7636 4.4). At hop 3 it hashes the code_verifier the app sends and compares; " +
		"if they differ it refuses the code with invalid_grant (RFC 7636 4.6). A value that is no challenge at all comes back as an error at hop 2.",
	"code":           "The code is redeemed at hop 3. Keycloak refuses a code it did not issue, one already used, or one issued to another client or redirect URI (RFC 6749 4.1.2 and 4.1.3).",
	"callback-state": "The app looks for a login this browser started under this state, and takes it (it works once). None: the callback is refused (RFC 6749 10.12).",
	"code_verifier": "Keycloak computes BASE64URL(SHA256(code_verifier)) and compares it with the code_challenge of hop 1; " +
		"if they differ it refuses with invalid_grant (RFC 7636 4.6). Only the app knew this value.",
}

// slowView is the page of run's current hop (the start page for hop 0).
func (app *App) slowView(nav views.Nav, run slowRun) (views.SlowView, error) {
	v := views.SlowView{Nav: nav, Hop: run.Hop, Hops: slowHops}
	if run.Hop == 0 {
		return v, nil
	}
	endpoints, err := app.auth.Endpoints()
	if err != nil {
		return v, err
	}
	// The request as the browser carries it (without PAR): what the
	// callback, the nonce check and PKCE are compared with.
	authURL, err := app.auth.AuthorizationURL(run.Sent)
	if err != nil {
		return v, err
	}
	record := inspector.Record{
		AuthorizationURL: authURL,
		StartedAt:        run.StartedAt,
		Callback: inspector.Callback{Code: run.Code, State: run.Callback.State, Issuer: run.Callback.Issuer,
			ReceivedAt: run.Callback.ReceivedAt},
		Exchanges: run.Exchanges,
		IDToken:   run.IDToken,
		Checked:   run.Checked,
	}
	flow := flowView(nav, "", inspector.Analyze(record, inspector.Expected{Issuer: app.auth.Issuer(), ClientID: app.auth.ClientID()}))

	switch run.Hop {
	case hopAuthorization:
		v.Authorization = app.slowAuthorization(run, authURL, endpoints)
	case hopCallback:
		v.Callback = slowCallbackView(run)
	case hopTokenRequest:
		v.TokenRequest = app.slowTokenRequest(run, endpoints)
	case hopTokenResponse:
		v.TokenRequestWire = flow.TokenRequest.Wire
		v.TokenResponse = flow.TokenResponse
		v.TokenResponse.Step = slowStep(hopTokenResponse, codeSlowToken, flow.TokenResponse.Step.Specs)
	case hopIDToken:
		v.IDToken = flow.IDToken
		v.IDToken.Step = slowStep(hopIDToken, codeSlowIDToken, flow.IDToken.Step.Specs)
		v.UserInfoRequest = slowUserInfoRequest(run, endpoints)
	case hopUserInfo:
		v.UserInfo = flow.UserInfo
		v.UserInfo.Step = slowStep(hopUserInfo, codeSlowUserInfo, flow.UserInfo.Step.Specs)
	}
	return v, nil
}

func slowStep(hop int, code []views.CodeRef, specs []views.SpecRef) views.StepInfo {
	return views.StepInfo{Number: strconv.Itoa(hop), Title: slowHops[hop-1], Code: code, Specs: specs}
}

// slowAuthorization is hop 1: the request about to be sent, and the values
// the learner may change (none with PAR).
func (app *App) slowAuthorization(run slowRun, authURL string, endpoints auth.Endpoints) views.SlowAuthorization {
	endpoint, query, _ := inspector.CutQuery(authURL)
	fields, _ := inspector.ParseQuery(query)
	a := views.SlowAuthorization{
		Step: slowStep(hopAuthorization, codeSlowAuthorize,
			[]views.SpecRef{rfc6749Authorization, rfc7636Challenge, oidcAuthRequest, rfc9700Redirect}),
		URL:          authURL,
		Endpoint:     endpoint,
		Params:       params(fields, authParamMeaning()),
		PushEndpoint: endpoints.PushedAuthorization,
		SentURL:      run.SentURL,
	}
	if a.PushEndpoint == "" {
		for _, name := range []string{"state", "redirect_uri", "scope", "code_challenge"} {
			a.Fields = append(a.Fields, views.SlowField{Name: name, ID: "edit-" + name,
				Value: inspector.Value(fields, name), Hint: slowFieldHints[name]})
		}
	}
	return a
}

// slowCallbackView is hop 2: the callback as it came, and the values the
// learner may change before the app checks it.
func slowCallbackView(run slowRun) views.SlowCallback {
	cb := run.Callback
	c := views.SlowCallback{
		Step:         slowStep(hopCallback, codeSlowCallback, []views.SpecRef{rfc6749Response, rfc6749CSRF, rfc9207Issuer, rfc6749Error}),
		Request:      "GET " + slowCallbackPath + "?" + cb.Query,
		Code:         cb.Code,
		State:        cb.State,
		SentState:    run.Sent.State,
		StateMatches: cb.State == run.Sent.State,
		Issuer:       cb.Issuer,
		Error:        cb.Error,
		Description:  cb.ErrorDescription,
		Fields: []views.SlowField{
			{Name: "code", ID: "edit-code", Value: cb.Code, Hint: slowFieldHints["code"]},
			{Name: "state", ID: "edit-callback-state", Value: cb.State, Hint: slowFieldHints["callback-state"]},
		},
	}
	return c
}

// slowTokenRequest is hop 3: the token request about to be sent, as
// x/oauth2 and the app's client will send it: the form (sorted by name, as
// url.Values encodes it) and the client's authentication, described, not
// shown (the secret never is).
func (app *App) slowTokenRequest(run slowRun, endpoints auth.Endpoints) views.SlowTokenRequest {
	hardening := app.auth.Hardening()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {run.Code},
		"redirect_uri": {app.slowRedirectURL()}, "code_verifier": {run.Verifier}}
	headers := []views.Param{}
	clientAuth, meaning := "client_secret_basic",
		"HTTP Basic: client_id and client_secret, each form-urlencoded, joined with a colon, base64-encoded (RFC 6749 2.3.1)."
	if hardening.PrivateKeyJWT {
		form.Set("client_id", app.auth.ClientID())
		clientAuth, meaning = "private_key_jwt",
			"No secret: the app signs a fresh client assertion (a short JWT) with its own key as the request leaves (RFC 7523)."
	} else {
		headers = append(headers, views.Param{Name: "Authorization", Value: display.Authorization("Basic x")})
	}
	headers = append(headers, views.Param{Name: "Content-Type", Value: "application/x-www-form-urlencoded"})
	body := form.Encode()
	if hardening.PrivateKeyJWT {
		body += "&client_assertion_type=" + url.QueryEscape(auth.ClientAssertionType) + "&client_assertion=(signed as the request leaves)"
	}
	if hardening.DPoP {
		headers = append(headers, views.Param{Name: "DPoP", Value: "(a proof, signed with the app's DPoP key as the request leaves: RFC 9449)"})
	}
	computed := oauth2.S256ChallengeFromVerifier(run.Verifier)
	return views.SlowTokenRequest{
		Step:              slowStep(hopTokenRequest, codeSlowToken, []views.SpecRef{rfc6749TokenRequest, rfc7636Verifier, rfc6749ClientAuth}),
		Message:           views.WireMessage{StartLine: "POST " + endpoints.Token, Headers: headers, Body: body},
		ClientID:          app.auth.ClientID(),
		ClientAuth:        clientAuth,
		ClientAuthMeaning: meaning,
		Verifier:          views.SlowField{Name: "code_verifier", ID: "edit-code_verifier", Value: run.Verifier, Hint: slowFieldHints["code_verifier"]},
		ComputedChallenge: computed,
		SentChallenge:     run.Sent.CodeChallenge,
		ChallengeMatches:  computed == run.Sent.CodeChallenge,
	}
}

// slowUserInfoRequest is the userinfo request about to be sent at hop 5's
// Continue, the access token abbreviated as /flow shows it.
func slowUserInfoRequest(run slowRun, endpoints auth.Endpoints) views.SlowUserInfoRequest {
	if endpoints.UserInfo == "" {
		return views.SlowUserInfoRequest{}
	}
	headers := []views.Param{{Name: "Authorization", Value: display.Authorization(run.Tokens.TokenType + " " + run.Tokens.AccessToken)}}
	if run.Tokens.TokenType == "DPoP" {
		headers = append(headers, views.Param{Name: "DPoP", Value: "(a proof for this request and this token, signed as the request leaves: RFC 9449 section 7)"})
	}
	return views.SlowUserInfoRequest{Called: true, Message: views.WireMessage{StartLine: "GET " + endpoints.UserInfo, Headers: headers}}
}

// slowRefusalView is the provider's error answer to a hop, as recorded.
func slowRefusalView(hop int, e inspector.Exchange) *views.SlowRefusal {
	return &views.SlowRefusal{
		Hop:         hop,
		HopName:     slowHops[hop-1],
		Status:      e.Status,
		ErrorCode:   e.Response.Get("error"),
		Description: e.Response.Get("error_description"),
		Request:     requestWire(e),
		Response:    responseWire(e),
	}
}

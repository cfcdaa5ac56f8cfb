package handlers

import (
	"net/http"

	"github.com/authcode-demo/authcode-demo/views"
)

// handleLadder is the security ladder (GET /ladder, public): the same login
// as the seed Flask example did it, as this app does by default, and with
// the FAPI 2.0 options (README: "Beyond the basics"). Every protection names
// the test that attacks it; TestLadderTestRefsExist keeps those names true.
func (app *App) handleLadder(w http.ResponseWriter, r *http.Request) {
	h := app.auth.Hardening()
	rungs := ladderRungs()
	for i := range rungs[2].Steps {
		rungs[2].Steps[i].On = []bool{h.PAR, h.PrivateKeyJWT, h.DPoP}[i]
	}
	rungs[1].ThisApp = !h.PAR && !h.PrivateKeyJWT && !h.DPoP
	rungs[2].ThisApp = h.PAR && h.PrivateKeyJWT && h.DPoP
	app.render(w, r, http.StatusOK, views.Ladder(views.LadderView{Nav: app.nav(r), Rungs: rungs}))
}

func spec(name, url string) views.SpecRef { return views.SpecRef{Name: name, URL: url} }

// ladderRungs are the three rungs; the last one's steps are, in order,
// PAR, private_key_jwt and DPoP.
func ladderRungs() []views.LadderRung {
	return []views.LadderRung{
		{
			Key:   "flask",
			Title: "0. The seed Flask example",
			Summary: "Redirects to Keycloak and trades the code for tokens, and trusts whatever comes back. " +
				"No state: an attacker can log you into the attacker's account (login CSRF). No nonce: an ID " +
				"token from another login can be replayed. No verification of the ID token: a forged token " +
				"(alg none, another key, another audience) logs anyone in. No PKCE: a stolen code is enough.",
			Request: "GET /realms/demo/protocol/openid-connect/auth?response_type=code&client_id=demo-app\n" +
				"    &redirect_uri=http://localhost:3000/callback&scope=openid",
			Back: "POST /token  grant_type=authorization_code&code=…  (client secret)\n" +
				"→ tokens, used as they are",
		},
		{
			Key:   "default",
			Title: "1. This app, by default",
			Summary: "The code flow as OAuth 2.0 Security BCP (RFC 9700) and OpenID Connect ask for it: every value " +
				"the browser brings back is checked against what this login started, and every token against " +
				"the provider's keys.",
			Request: "GET /realms/demo/protocol/openid-connect/auth?response_type=code&client_id=demo-app\n" +
				"    &redirect_uri=…/callback&scope=openid profile email\n" +
				"    &state=<256 random bits>&nonce=<random>&code_challenge=<S256 hash>&code_challenge_method=S256",
			Back: "POST /token  code, code_verifier; Authorization: Basic (client secret)\n" +
				"→ tokens: ID token verified (signature, iss, aud, exp, nonce, at_hash); userinfo sub checked",
			Steps: []views.LadderStep{
				{Protection: "state, single use, kept server-side", Stops: "login CSRF: an attacker's code pushed into your session", On: true,
					Spec:  spec("RFC 6749 10.12", "https://www.rfc-editor.org/rfc/rfc6749#section-10.12"),
					Tests: []views.TestRef{{File: "handlers/attacks_callback_test.go", Func: "TestCallbackRefusesStateOfAnotherBrowser"}, {File: "handlers/attacks_callback_test.go", Func: "TestCallbackRefusesReusedState"}}},
				{Protection: "PKCE S256", Stops: "a stolen or injected authorization code", On: true,
					Spec:  spec("RFC 7636", "https://www.rfc-editor.org/rfc/rfc7636"),
					Tests: []views.TestRef{{File: "handlers/attacks_callback_test.go", Func: "TestCallbackRefusesCodeForAnotherVerifier"}}},
				{Protection: "ID token verification and nonce", Stops: "forged, foreign, expired or replayed ID tokens", On: true,
					Spec:  spec("OpenID Connect Core 3.1.3.7", "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation"),
					Tests: []views.TestRef{{File: "handlers/attacks_tokens_test.go", Func: "TestLoginRefusesBadIDTokens"}}},
				{Protection: "iss on the callback", Stops: "mix-up: a code or error from another provider", On: true,
					Spec:  spec("RFC 9207", "https://www.rfc-editor.org/rfc/rfc9207"),
					Tests: []views.TestRef{{File: "handlers/attacks_callback_test.go", Func: "TestCallbackChecksTheIssuer"}}},
				{Protection: "new session id at login", Stops: "session fixation", On: true,
					Spec:  spec("OWASP Session Management", "https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html"),
					Tests: []views.TestRef{{File: "handlers/attacks_session_test.go", Func: "TestSessionFixation"}}},
				{Protection: "refresh token revoked at logout; back-channel logout", Stops: "a session that outlives its logout", On: true,
					Spec:  spec("RFC 7009", "https://www.rfc-editor.org/rfc/rfc7009"),
					Tests: []views.TestRef{{File: "handlers/attacks_logout_test.go", Func: "TestLogoutRevokesTheRefreshToken"}, {File: "handlers/backchannel_test.go", Func: "TestBackchannelLogoutRefusesInvalidTokens"}}},
			},
		},
		{
			Key:   "fapi",
			Title: "2. With the FAPI 2.0 options (client demo-app-fapi, :3002)",
			Summary: "What the FAPI 2.0 security profile adds: the authorization request never travels through the " +
				"browser, the app has no shared secret to leak, and its tokens are worthless without its key.",
			Request: "GET /realms/demo/protocol/openid-connect/auth?client_id=demo-app-fapi\n" +
				"    &request_uri=urn:ietf:params:oauth:request_uri:<single use>",
			Back: "POST /par    the whole request + client_assertion (JWT signed by the app's key) → request_uri\n" +
				"POST /token  code, code_verifier, client_assertion; DPoP: <proof for POST /token>\n" +
				"→ token_type DPoP, access token with cnf.jkt = thumbprint of the app's DPoP key",
			Steps: []views.LadderStep{
				{Protection: "Pushed authorization requests (OIDC_PAR)", Stops: "a request read or changed in the browser (redirect_uri, scope, challenge), and a replayed request_uri",
					Spec: spec("RFC 9126", "https://www.rfc-editor.org/rfc/rfc9126"),
					Tests: []views.TestRef{{File: "handlers/par_test.go", Func: "TestPARIgnoresParametersAddedInTheBrowser"}, {File: "handlers/par_test.go", Func: "TestPARRequestURIWorksOnce"},
						{File: "handlers/par_test.go", Func: "TestPARWhenTheProviderRequiresIt"}, {File: "e2e/fapi_test.go", Func: "TestFAPIPushedAuthorizationRequests"}}},
				{Protection: "private_key_jwt (OIDC_CLIENT_AUTH)", Stops: "a leaked client secret (there is none), a replayed, expired or misdirected client assertion",
					Spec: spec("RFC 7523", "https://www.rfc-editor.org/rfc/rfc7523"),
					Tests: []views.TestRef{{File: "handlers/private_key_jwt_test.go", Func: "TestPrivateKeyJWTAttacksAreRefusedByTheProvider"},
						{File: "handlers/private_key_jwt_test.go", Func: "TestJWKSPublishesOnlyThePublicKey"}, {File: "e2e/fapi_test.go", Func: "TestFAPIPrivateKeyJWT"}}},
				{Protection: "DPoP-bound tokens (OIDC_DPOP)", Stops: "a stolen access token used by someone else: as a bearer token, with a replayed proof, or a proof for another request or key",
					Spec: spec("RFC 9449", "https://www.rfc-editor.org/rfc/rfc9449"),
					Tests: []views.TestRef{{File: "handlers/dpop_test.go", Func: "TestDPoPStolenTokenIsUseless"}, {File: "internal/demoapi/dpop_test.go", Func: "TestDPoPAttacksAreRefused"},
						{File: "handlers/dpop_test.go", Func: "TestDPoPUnboundTokenIsRefused"}, {File: "e2e/fapi_test.go", Func: "TestFAPIDPoP"}}},
			},
		},
	}
}

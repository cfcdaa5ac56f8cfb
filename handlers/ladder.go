package handlers

import (
	"net/http"
	"strings"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/views"
)

// handleLadder is the security ladder (GET /ladder, public): the same login
// as the seed app does it (cmd/seed, deliberately insecure), as this app
// does by default, and with the FAPI 2.0 options. Every protection names
// the test that attacks it, and every flaw of the seed the test that shows
// it; TestLadderTestRefsExist keeps those names true.
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

// seedURL is where the seed app runs (cmd/seed, client demo-seed).
const seedURL = "http://localhost:3004"

// idTokenChecks are the ID token's checks as the ladder shows them: the
// one list (auth.IDTokenChecks), each check with its section.
func idTokenChecks() []views.LadderCheck {
	var checks []views.LadderCheck
	for _, c := range auth.IDTokenChecks() {
		checks = append(checks, views.LadderCheck{Name: c.Name, Spec: spec(c.Section, c.URL)})
	}
	return checks
}

// idTokenCheckNames are the names of the checks, in the order they are made.
func idTokenCheckNames() string {
	var names []string
	for _, c := range auth.IDTokenChecks() {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// ladderRungs are the three rungs; the last one's steps are, in order,
// PAR, private_key_jwt and DPoP.
func ladderRungs() []views.LadderRung {
	seedTests := func(funcs ...string) []views.TestRef {
		refs := make([]views.TestRef, len(funcs))
		for i, f := range funcs {
			refs[i] = views.TestRef{File: "cmd/seed/main_test.go", Func: f}
		}
		return refs
	}
	return []views.LadderRung{
		{
			Key:   "flask",
			Title: "0. The seed app (client demo-seed, :3004): deliberately insecure",
			Summary: "The seed Flask example, ported to Go as it was (cmd/seed). It sends no state, no nonce and no PKCE " +
				"challenge, trades the code for tokens with its client secret, keeps the access token, and from then " +
				"on calls you logged in because it holds an access token. That is its central mistake: an access token " +
				"is for calling APIs, not a statement about who logged in. The ID token that came with it, the one " +
				"token made for the client to learn who logged in, is never read, though \"Clients MUST validate the ID " +
				"Token in the Token Response\" (OpenID Connect Core 1.0, 3.1.3.7).",
			Run: &views.LadderRun{URL: seedURL,
				How: "Start it with docker compose --profile lab up, or scripts/demo.sh start. It is deliberately insecure: " +
					"it exists to be attacked, refuses to start on anything but a loopback address, and must never hold a real account."},
			Request: "GET /realms/demo/protocol/openid-connect/auth?client_id=demo-seed\n" +
				"    &redirect_uri=http%3A%2F%2Flocalhost%3A3004%2Fcallback&response_type=code&scope=openid",
			Back: "POST /token  grant_type=authorization_code, code, redirect_uri; Authorization: Basic (client secret)\n" +
				"→ access, ID and refresh tokens; the seed keeps the access token and never reads the ID token",
			Flaws: []views.LadderStep{
				{Protection: "No state", Stops: "login CSRF: an attacker's code, delivered to the seed's /callback in your browser, " +
					"logs you into the attacker's account. \"The client MUST implement CSRF protection for its redirection URI\".",
					Spec:  spec("RFC 6749 10.12", "https://www.rfc-editor.org/rfc/rfc6749#section-10.12"),
					Tests: seedTests("TestAuthorizationRequestHasNoStateNonceOrPKCE", "TestCallbackWithAnyCodeAndNoStateLogsIn")},
				{Protection: "No PKCE and no nonce", Stops: "authorization code injection: a code from another login (stolen " +
					"from a victim, or the attacker's own) brought to the seed's /callback is redeemed as if this browser had " +
					"asked for it. A stolen code alone gets an attacker no tokens, because the seed is a confidential client " +
					"and the token endpoint also wants its client secret (RFC 6749 4.1.3); so the attacker makes the seed " +
					"redeem the code for them (RFC 9700 4.5). Nothing ties the code to the login that started it.",
					Spec:  spec("RFC 9700 2.1.1 and 4.5", "https://www.rfc-editor.org/rfc/rfc9700#section-4.5"),
					Tests: seedTests("TestAuthorizationRequestHasNoStateNonceOrPKCE", "TestCallbackWithAnyCodeAndNoStateLogsIn")},
				{Protection: "The ID token is never read", Stops: "nothing says who logged in, for which client, at which " +
					"provider, or in answer to which request: holding an access token counts as being logged in, even when " +
					"the provider no longer accepts it.",
					Spec:  spec("OpenID Connect Core 3.1.3.7", "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation"),
					Tests: seedTests("TestAnAccessTokenIsProofEnough", "TestCallbackWithAnyCodeAndNoStateLogsIn")},
				{Protection: "?next= followed anywhere", Stops: "an open redirect: a link to the seed's login sends you on to any " +
					"site afterwards. \"Clients MUST NOT expose open redirectors\".",
					Spec:  spec("RFC 9700 4.11.1", "https://www.rfc-editor.org/rfc/rfc9700#section-4.11.1"),
					Tests: seedTests("TestNextIsFollowedOffSite")},
			},
		},
		{
			Key:   "default",
			Title: "1. This app, by default",
			Summary: "The code flow as OAuth 2.0 Security BCP (RFC 9700) and OpenID Connect ask for it: every value " +
				"the browser brings back is checked against what this login started, and the ID token against " +
				"the provider's keys, this client and this login. The app reads who you are, and your roles, from " +
				"the ID token and userinfo; the access token it only passes on to the API (RFC 9068 section 6).",
			Request: "GET /realms/demo/protocol/openid-connect/auth?response_type=code&client_id=demo-app\n" +
				"    &redirect_uri=…/callback&scope=openid profile email\n" +
				"    &state=<256 random bits>&nonce=<random>&code_challenge=<S256 hash>&code_challenge_method=S256",
			Back: "POST /token  code, code_verifier; Authorization: Basic (client_id:client_secret, each form-urlencoded first)\n" +
				"→ tokens; the ID token checked (" + idTokenCheckNames() + "); userinfo sub checked",
			Steps: []views.LadderStep{
				{Protection: "state, single use, kept server-side", Stops: "login CSRF: an attacker's code pushed into your session", On: true,
					Spec:  spec("RFC 6749 10.12", "https://www.rfc-editor.org/rfc/rfc6749#section-10.12"),
					Tests: []views.TestRef{{File: "handlers/attacks_callback_test.go", Func: "TestCallbackRefusesStateOfAnotherBrowser"}, {File: "handlers/attacks_callback_test.go", Func: "TestCallbackRefusesReusedState"}}},
				{Protection: "PKCE S256", Stops: "authorization code injection: a code from another login (stolen from a victim, " +
					"or the attacker's own) brought to this browser's callback. The token endpoint redeems a code only with the " +
					"code_verifier of the login that asked for it, and that verifier never left this app's server.", On: true,
					Spec:  spec("RFC 9700 4.5.3.1", "https://www.rfc-editor.org/rfc/rfc9700#section-4.5.3.1"),
					Tests: []views.TestRef{{File: "handlers/attacks_callback_test.go", Func: "TestCallbackRefusesCodeForAnotherVerifier"}}},
				{Protection: "ID token verification", Stops: "an ID token not made by this provider, for this client, for this " +
					"login. In the code flow it comes straight from the token endpoint, so what the nonce stops here is a code " +
					"injected from another login (RFC 9700 4.5.3.2). The checks, in order (internal/auth/checks.go):", On: true,
					Checks: idTokenChecks(),
					Spec:   spec("OpenID Connect Core 3.1.3.7", "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation"),
					Tests:  []views.TestRef{{File: "handlers/attacks_tokens_test.go", Func: "TestLoginRefusesBadIDTokens"}}},
				{Protection: "iss on the callback", Stops: "mix-up: a code or error from another provider. A client of a single " +
					"provider, like this one, is not open to mix-up (RFC 9207 section 1); the check costs nothing and is ready for a second", On: true,
					Spec:  spec("RFC 9207 2.4", "https://www.rfc-editor.org/rfc/rfc9207#section-2.4"),
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
			Summary: "What the FAPI 2.0 security profile adds: the authorization request goes to the provider on the back " +
				"channel, so it is integrity-protected and confidential (RFC 9126 section 1), though the answer (code, state, " +
				"iss) still comes back through the browser; the app has no shared secret to leak; and its access token is " +
				"worthless without its key (RFC 9449). With all three on, the app is a FAPI 2.0 client and accepts ID tokens " +
				"signed with PS256, ES256 or EdDSA only (FAPI 2.0 Security Profile, 5.4.1; internal/auth/fapi.go).",
			Request: "GET /realms/demo/protocol/openid-connect/auth?client_id=demo-app-fapi\n" +
				"    &request_uri=urn:ietf:params:oauth:request_uri:<single use>",
			Back: "POST /par    the whole request + client_assertion (JWT signed by the app's key) → request_uri\n" +
				"POST /token  code, code_verifier, client_assertion; DPoP: <proof for POST /token>\n" +
				"→ token_type DPoP, access token with cnf.jkt = thumbprint of the app's DPoP key",
			Steps: []views.LadderStep{
				{Protection: "Pushed authorization requests (OIDC_PAR)", Stops: "a request read or changed in the browser " +
					"(redirect_uri, scope, code_challenge, nonce), and a replayed request_uri. Only the request is protected: " +
					"the code, the state and iss still come back through the browser.",
					Spec: spec("RFC 9126 1, 4 and 7.3", "https://www.rfc-editor.org/rfc/rfc9126#section-1"),
					Tests: []views.TestRef{{File: "handlers/par_test.go", Func: "TestPARIgnoresParametersAddedInTheBrowser"}, {File: "handlers/par_test.go", Func: "TestPARRequestURIWorksOnce"},
						{File: "handlers/par_test.go", Func: "TestPARWhenTheProviderRequiresIt"}, {File: "e2e/fapi_test.go", Func: "TestFAPIPushedAuthorizationRequests"}}},
				{Protection: "private_key_jwt (OIDC_CLIENT_AUTH)", Stops: "a leaked client secret (there is none), an expired or " +
					"misdirected client assertion, and a replayed one where the provider keeps the jti values it has seen " +
					"(RFC 7523 section 3 allows it; Keycloak does)",
					Spec: spec("RFC 7523 3", "https://www.rfc-editor.org/rfc/rfc7523#section-3"),
					Tests: []views.TestRef{{File: "handlers/private_key_jwt_test.go", Func: "TestPrivateKeyJWTAttacksAreRefusedByTheProvider"},
						{File: "handlers/private_key_jwt_test.go", Func: "TestJWKSPublishesOnlyThePublicKey"}, {File: "e2e/fapi_test.go", Func: "TestFAPIPrivateKeyJWT"}}},
				{Protection: "DPoP-bound access token (OIDC_DPOP)", Stops: "a stolen access token used by someone else: as a bearer " +
					"token, with a replayed proof, or a proof for another request or key. The refresh token of this confidential " +
					"client is not bound to the key: it is already tied to the client, which must authenticate to use it (RFC 9449 section 5).",
					Spec: spec("RFC 9449", "https://www.rfc-editor.org/rfc/rfc9449"),
					Tests: []views.TestRef{{File: "handlers/dpop_test.go", Func: "TestDPoPStolenTokenIsUseless"}, {File: "internal/demoapi/dpop_test.go", Func: "TestDPoPAttacksAreRefused"},
						{File: "handlers/dpop_test.go", Func: "TestDPoPUnboundTokenIsRefused"}, {File: "e2e/fapi_test.go", Func: "TestFAPIDPoP"}}},
			},
		},
	}
}

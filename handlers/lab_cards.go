package handlers

import (
	"path"
	"strings"

	"github.com/authcode-demo/authcode-demo/views"
)

// The attack lab's cards: what each attack is, its requests, how it is
// fired at each target and what happens, the code that refuses it here and
// the tests that attack it. TestLabRefsExist keeps every named function
// and test true to the repository.

// labPlace is what the cards say about where they run.
type labPlace struct {
	App, Seed, OtherSite   string // origins: this app, the seed app, the attacker's pages
	Issuer, AttackerIssuer string
	APIURL                 string
	DPoP                   bool   // this instance's tokens are DPoP-bound
	DPoPLabURL             string // the lab of an instance with DPoP
	LoggedIn               bool
}

// labTest names a test and the command that runs it: e2e tests run from
// their own module, against Keycloak.
func labTest(file, fn string) views.LabTest {
	dir := path.Dir(file)
	cmd := "go test ./" + dir + "/ -run '^" + fn + "$'"
	if strings.HasPrefix(file, "e2e/") {
		cmd = "cd e2e && go test -count=1 -run '^" + fn + "$' ."
	}
	return views.LabTest{File: file, Func: fn, Command: cmd}
}

func code(file, fn string) views.CodeRef { return views.CodeRef{File: file, Func: fn} }

func labCards(p labPlace) []views.LabCard {
	landed := p.OtherSite + "/lab/evil/landed"
	cards := []views.LabCard{
		{
			Name:  "login-csrf",
			Title: "Login CSRF",
			Attack: "The attacker logs in to their own account with a browser of their own and keeps the authorization code instead of using it; " +
				"then they make your browser deliver that code to the client's callback, and you end up logged in to the attacker's account " +
				"without noticing, where whatever you enter is theirs to read (RFC 6749 section 10.12, RFC 9700 section 4.7). " +
				"The lab plays the attacker: it logs mallory in at Keycloak and sends your browser to the callback with her code.",
			Requests: []views.LabRequests{
				{Target: "the seed app", Lines: "lab (mallory)  GET  " + p.Seed + "/login → 302 to Keycloak, no state\n" +
					"lab (mallory)  POST Keycloak's login form (mallory's password) → 302 " + p.Seed + "/callback?code=M…&iss=…\n" +
					"your browser   303 → GET " + p.Seed + "/callback?code=M…&iss=…"},
				{Target: "this app", Lines: "lab (mallory)  GET  " + p.App + "/login → 302 to Keycloak, with state Sm, kept in mallory's session here\n" +
					"lab (mallory)  POST Keycloak's login form (mallory's password) → 302 " + p.App + "/callback?state=Sm&code=M…&iss=…\n" +
					"your browser   303 → GET " + p.App + "/callback?state=Sm&code=M…&iss=…"},
			},
			Seed: views.LabRun{Target: "seed", FormAction: "/lab/login-csrf", Label: "Log me in as mallory at the seed app", Lands: true,
				Outcome: "The seed sent no state, so it has nothing to compare: it redeems mallory's code with its client secret, and its " +
					"home page says you are logged in as mallory."},
			App: views.LabRun{Target: "app", FormAction: "/lab/login-csrf", Label: "Log me in as mallory here", Status: 400,
				Outcome: "\"This login cannot be completed\": the state Sm belongs to mallory's session, not yours, so the callback " +
					"finds no login of yours to complete and never uses the code. Your session is left as it was."},
			Code: []views.CodeRef{code("handlers/callback.go", "handleCallback"), code("internal/session/pending.go", "TakePendingLogin")},
			Tests: []views.LabTest{
				labTest("handlers/attacks_callback_test.go", "TestCallbackRefusesStateOfAnotherBrowser"),
				labTest("handlers/lab_test.go", "TestLabLoginCSRF"),
				labTest("e2e/lab_test.go", "TestLabLoginCSRF"),
				labTest("cmd/seed/main_test.go", "TestCallbackWithAnyCodeAndNoStateLogsIn"),
			},
		},
		{
			Name:  "code-injection",
			Title: "Authorization code injection",
			Attack: "Someone who got hold of another person's authorization code injects it into a login of their own at the client, " +
				"to be logged in as that person (RFC 9700 section 4.5). You play that someone: the lab gets a code from mallory's login " +
				"in a session of its own (the stolen code), starts a login in your browser exactly as GET /login does, and delivers " +
				"mallory's code to your callback with your own state.",
			Requests: []views.LabRequests{
				{Target: "the seed app", Lines: "lab (mallory)  GET  " + p.Seed + "/login → Keycloak, mallory's password → " + p.Seed + "/callback?code=M…\n" +
					"your browser   303 → GET " + p.Seed + "/callback?code=M…&iss=…"},
				{Target: "this app", Lines: "lab (mallory)  GET  " + p.App + "/login → Keycloak, mallory's password → code M…, bound to the code_challenge of mallory's login\n" +
					"lab (you)      a login started in your session: state S, nonce and code_verifier V kept on the server\n" +
					"your browser   303 → GET " + p.App + "/callback?state=S&code=M…&iss=…\n" +
					"this app       POST Keycloak's token endpoint  code=M…&code_verifier=V → 400 invalid_grant"},
			},
			Seed: views.LabRun{Target: "seed", FormAction: "/lab/code-injection", Label: "Inject mallory's code at the seed app", Lands: true,
				Outcome: "You are logged in as mallory. Against the seed this is the same request as login CSRF: without state, PKCE or " +
					"nonce, nothing ties a code to the login it was issued for."},
			App: views.LabRun{Target: "app", FormAction: "/lab/code-injection", Label: "Inject mallory's code here", Status: 400,
				Outcome: "\"Login failed\": the state is yours and iss is right, so the code goes to the token endpoint, and Keycloak " +
					"refuses it: it is bound to the code_challenge of mallory's login, and your code_verifier does not hash to it " +
					"(RFC 7636 section 4.6, RFC 9700 section 4.5.3.1). Had it been redeemed, the ID token would carry the nonce of " +
					"mallory's login, not yours, and the nonce check would refuse it (RFC 9700 section 4.5.3.2)."},
			Code: []views.CodeRef{code("internal/auth/login.go", "CompleteLogin"), code("internal/auth/login.go", "checkIDToken")},
			Tests: []views.LabTest{
				labTest("handlers/attacks_callback_test.go", "TestCallbackRefusesCodeForAnotherVerifier"),
				labTest("handlers/attacks_tokens_test.go", "TestLoginRefusesBadIDTokens"),
				labTest("handlers/lab_test.go", "TestLabCodeInjection"),
				labTest("e2e/lab_test.go", "TestLabCodeInjection"),
			},
		},
		{
			Name:  "open-redirect",
			Title: "Open redirect through next",
			Attack: "A link to the client's login carries next=<the attacker's page>; a client that follows next unchecked sends you " +
				"there right after you log in, so the attacker's page seems to come from a login you trust (\"Clients MUST NOT expose " +
				"open redirectors\", RFC 9700 section 4.11.1). The attacker's page is this app at " + p.OtherSite + ", another site for your browser.",
			Requests: []views.LabRequests{
				{Target: "the seed app", Lines: "your browser   GET " + p.Seed + "/login?next=" + landed + " → Keycloak (log in)\n" +
					"               → " + p.Seed + "/callback?code=… → 302 " + landed},
				{Target: "this app", Lines: "your browser   GET " + p.App + "/login?next=" + landed + " → Keycloak (log in)\n" +
					"               → " + p.App + "/callback?state=…&code=… → 303 /profile\n" +
					"(and the same with next=//" + strings.TrimPrefix(p.OtherSite, "http://") + "/lab/evil/landed, a URL without a scheme)"},
			},
			Seed: views.LabRun{Target: "seed", Link: p.Seed + "/login?next=" + landed, Label: "Log in at the seed app with next= the attacker's page", Lands: true,
				Outcome: "After the login the seed redirects to whatever next said: you land on the attacker's page."},
			App: views.LabRun{Target: "app", Link: "/login?next=" + landed, Label: "Log in here with next= the attacker's page",
				LinkElsewhere: "/login?next=//" + strings.TrimPrefix(strings.TrimPrefix(p.OtherSite, "http://"), "https://") + "/lab/evil/landed", LinkElsewhereText: "The same with next=//host (no scheme)",
				Outcome: "next is not a path on this app, so GET /login ignores it (the log says \"ignored unsafe next parameter\") and after " +
					"the login the callback sends you to /profile (303). No error page: the login itself is fine."},
			Code: []views.CodeRef{code("handlers/next.go", "safeNext"), code("handlers/login.go", "handleLogin")},
			Tests: []views.LabTest{
				labTest("handlers/attacks_session_test.go", "TestLoginNextCannotLeaveTheSite"),
				labTest("handlers/next_internal_test.go", "TestSafeNext"),
				labTest("e2e/lab_test.go", "TestLabOpenRedirect"),
				labTest("cmd/seed/main_test.go", "TestNextIsFollowedOffSite"),
			},
		},
		{
			Name:  "id-token-tampering",
			Title: "ID token tampering",
			Attack: "The ID token is how the client learns who logged in: whoever could change it unnoticed could be anyone. Edit your own " +
				"ID token's header or claims (alg none, another key, aud, exp, nonce), and the checks a login makes " +
				"(OpenID Connect Core 1.0, 3.1.3.7) say which one refuses it.",
			Requests: []views.LabRequests{
				{Target: "this app", Lines: "your browser   POST " + p.App + "/lab/tamper  header=…&claims=…&signature=keep|none|lab-key&nonce=mine|other\n" +
					"this app       auth.Client.CheckIDToken(the edited token, your login's nonce, your access token)"},
			},
			Seed: views.LabRun{Target: "seed", Lands: true,
				Unavailable: "Nothing to fire: the seed never reads the ID token in its token response (cmd/seed/seed.go, callback).",
				Outcome: "Any token would \"land\", however forged, because nothing checks it; yet \"Clients MUST validate the ID Token in the " +
					"Token Response\" (OpenID Connect Core 1.0, 3.1.3.7). The seed takes an access token as proof of login instead."},
			App: views.LabRun{Target: "app", Link: "/lab/tamper", Label: "Open the ID token bench", Status: 400,
				Outcome: "The bench names the refusing check. Every edit is refused by the signature check, which the app makes first " +
					"(3.1.3.7 steps 6 and 7): the signature is computed over the header and the claims as sent (RFC 7515 section 5.1). " +
					"Your unchanged token passes; checked as another login's, the nonce check refuses it (step 11)."},
			Code: []views.CodeRef{code("internal/auth/login.go", "checkIDToken"), code("internal/auth/login.go", "verifyIDToken"), code("internal/auth/checks.go", "IDTokenChecks")},
			Tests: []views.LabTest{
				labTest("handlers/attacks_tokens_test.go", "TestLoginRefusesBadIDTokens"),
				labTest("internal/lab/tamper_test.go", "TestForgedIDTokensAreRefusedByTheSignatureCheck"),
				labTest("handlers/lab_test.go", "TestLabIDTokenTampering"),
				labTest("e2e/lab_test.go", "TestLabIDTokenTampering"),
			},
		},
		{
			Name:  "mix-up",
			Title: "Mix-up (a code from another provider)",
			Attack: "A client of two providers sends a login to one and may get the browser back from the other, the attacker's; if it " +
				"cannot tell which one answered, it sends what it got to the wrong place (RFC 9207 section 1, RFC 9700 section 4.4). " +
				"Here the second provider is mallory's: the realm \"attacker\" in the same Keycloak (" + p.AttackerIssuer + "), whose client " +
				"attacker-app may send codes to the demo apps' callbacks.",
			Requests: []views.LabRequests{
				{Target: "the seed app", Lines: "lab (mallory)  GET " + p.AttackerIssuer + "/protocol/openid-connect/auth?client_id=attacker-app&redirect_uri=" + p.Seed + "/callback\n" +
					"               mallory's password → 302 " + p.Seed + "/callback?code=A…&iss=" + p.AttackerIssuer + "\n" +
					"your browser   303 → GET " + p.Seed + "/callback?code=A…&iss=" + p.AttackerIssuer + "\n" +
					"seed app       POST " + p.Issuer + "/protocol/openid-connect/token  code=A… → 400 invalid_grant"},
				{Target: "this app", Lines: "lab (you)      a login started in your session: state S\n" +
					"lab (mallory)  GET " + p.AttackerIssuer + "/protocol/openid-connect/auth?client_id=attacker-app&redirect_uri=" + p.App + "/callback&state=S\n" +
					"               mallory's password → 302 " + p.App + "/callback?state=S&code=A…&iss=" + p.AttackerIssuer + "\n" +
					"your browser   303 → GET " + p.App + "/callback?state=S&code=A…&iss=" + p.AttackerIssuer},
			},
			Seed: views.LabRun{Target: "seed", FormAction: "/lab/mix-up", Label: "Send the seed app a code from mallory's provider", Status: 400,
				Outcome: "It does not land, and not thanks to the seed: the seed never looks at iss, and passes the attacker's code to the " +
					"demo realm's token endpoint, which refuses a code it did not issue (invalid_grant). With one provider there is nothing " +
					"to mix up: \"OAuth clients that interact with only one authorization server are not vulnerable to mix-up attacks\" " +
					"(RFC 9207 section 1). A seed with two providers could not tell them apart."},
			App: views.LabRun{Target: "app", FormAction: "/lab/mix-up", Label: "Send this app a code from mallory's provider", Status: 400,
				Outcome: "\"Login failed\", before the code is used: iss names another issuer than the one this login was sent to, and " +
					"\"clients MUST reject the authorization response\" (RFC 9207 section 2.4)."},
			Code: []views.CodeRef{code("internal/auth/login.go", "CheckIssuer"), code("handlers/callback.go", "handleCallback")},
			Tests: []views.LabTest{
				labTest("handlers/attacks_callback_test.go", "TestCallbackChecksTheIssuer"),
				labTest("handlers/lab_test.go", "TestLabMixUp"),
				labTest("e2e/lab_test.go", "TestLabMixUp"),
			},
		},
		labStolenTokenCard(p),
		{
			Name:  "logout-csrf",
			Title: "Logout CSRF",
			Attack: "A page on another site makes your browser send the client a logout request: if the browser attaches your cookie and " +
				"the client obeys, you are logged out without having asked (a cross-site request forgery; a GET is meant to be safe, " +
				"RFC 9110 section 9.2.1). The attacker's page is this app at " + p.OtherSite + ", another site for your browser.",
			Requests: []views.LabRequests{
				{Target: "the seed app", Lines: "your browser   on " + p.OtherSite + "/lab/evil/logout: follow a link\n" +
					"               GET " + p.Seed + "/logout  (a top-level navigation: the seed's cookie goes along) → logged out"},
				{Target: "this app", Lines: "your browser   on " + p.OtherSite + "/lab/evil/logout: press a button\n" +
					"               POST " + p.App + "/logout  Origin: " + p.OtherSite + ", Sec-Fetch-Site: cross-site → 403"},
			},
			Seed: views.LabRun{Target: "seed", Link: p.OtherSite + "/lab/evil/logout", Label: "Open the attacker's page", Lands: true,
				Outcome: "Its link logs you out of the seed app: the seed logs out on GET, and a top-level navigation carries its cookie " +
					"(no SameSite attribute: Chromium treats it as Lax, which allows top-level GETs). Keycloak's session lives on."},
			App: views.LabRun{Target: "app", Link: p.OtherSite + "/lab/evil/logout", Label: "Open the attacker's page", Status: 403,
				Outcome: "Its button is refused with \"Forbidden\" before the logout handler runs: http.CrossOriginProtection refuses a " +
					"cross-site POST (Sec-Fetch-Site). Your session cookie (SameSite=Lax) was not even sent with it. You are still logged in."},
			Code: []views.CodeRef{code("handlers/middleware.go", "crossOriginProtection"), code("internal/session/session.go", "New")},
			Tests: []views.LabTest{
				labTest("handlers/attacks_session_test.go", "TestLogoutRefusesCrossSiteRequests"),
				labTest("handlers/attacks_session_test.go", "TestSessionCookieAttributes"),
				labTest("e2e/lab_test.go", "TestLabLogoutCSRF"),
				labTest("cmd/seed/main_test.go", "TestGetLogoutLogsOut"),
			},
		},
	}
	if p.AttackerIssuer == "" {
		for i := range cards {
			if cards[i].Name == "mix-up" {
				msg := "This app's provider is not a Keycloak realm, so the lab has no second realm beside it to play the attacker's provider."
				cards[i].Seed.FormAction, cards[i].Seed.Unavailable = "", msg
				cards[i].App.FormAction, cards[i].App.Unavailable = "", msg
			}
		}
	}
	for i := range cards {
		if cards[i].App.Unavailable != "" {
			cards[i].App.FormAction = ""
		}
	}
	return cards
}

// labStolenTokenCard is the stolen access token: bearer at the seed app,
// DPoP-bound at an instance with OIDC_DPOP on.
func labStolenTokenCard(p labPlace) views.LabCard {
	c := views.LabCard{
		Name:  "stolen-dpop-token",
		Title: "A stolen access token, replayed at the API",
		Attack: "An access token leaks (from a log, a proxy, a cookie) and someone else presents it at the API. A bearer token works " +
			"for anyone who holds it (RFC 6750 section 1.2); a DPoP-bound token works only with a fresh proof, signed by the key it " +
			"is bound to, for that very request (RFC 9449 sections 4.3 and 7.1).",
		Requests: []views.LabRequests{
			{Target: "the seed app", Lines: "your browser   POST " + p.App + "/lab/stolen-token/seed  (with seed_session: cookies are not port-specific)\n" +
				"lab            reads the access token out of the cookie (signed, not encrypted)\n" +
				"lab            GET " + p.APIURL + "/api/hello  Authorization: Bearer <the seed's access token> → 200"},
			{Target: "this app", Lines: "lab            GET " + p.APIURL + "/api/hello  Authorization: Bearer <your DPoP-bound token> → 401\n" +
				"lab            GET " + p.APIURL + "/api/hello  Authorization: DPoP <token>, no DPoP proof → 401\n" +
				"lab            GET " + p.APIURL + "/api/hello  Authorization: DPoP <token>, DPoP: <a proof by the lab's own key> → 401"},
		},
		Seed: views.LabRun{Target: "seed", FormAction: "/lab/stolen-token/seed", Label: "Steal the seed app's token and use it", Lands: true,
			Outcome: "The demo API answers 200: a bearer token needs nothing but itself. (Log in at the seed app first; the lab reads " +
				"its cookie, which your browser sends to this app too.)"},
		App: views.LabRun{Target: "app", FormAction: "/lab/stolen-token/app", Label: "Steal this app's token and use it", Status: 401,
			Outcome: "Refused three times with 401 and a DPoP challenge: the token says whose key it is bound to (cnf.jkt, RFC 9449 " +
				"section 6.1), and the thief cannot sign a proof with that key. The app's own calls, from the /api page, still work."},
		Code: []views.CodeRef{code("internal/demoapi/server.go", "checkDPoP"), code("internal/demoapi/dpop.go", "checkProof")},
		Tests: []views.LabTest{
			labTest("internal/demoapi/dpop_test.go", "TestDPoPAttacksAreRefused"),
			labTest("handlers/dpop_test.go", "TestDPoPStolenTokenIsUseless"),
			labTest("handlers/lab_test.go", "TestLabStolenToken"),
			labTest("e2e/lab_test.go", "TestLabStolenDPoPToken"),
		},
	}
	switch {
	case p.APIURL == "":
		c.Seed.FormAction, c.App.FormAction = "", ""
		c.Seed.Unavailable = "No demo API is configured here (API_URL), so there is nowhere to replay a token."
		c.App.Unavailable = c.Seed.Unavailable
	case !p.DPoP:
		c.App.FormAction = ""
		c.App.Unavailable = "This instance's access tokens are bearer tokens (OIDC_DPOP is off): stolen, they work like the seed's. " +
			"The instance with DPoP on has a lab of its own."
		c.App.LinkElsewhere, c.App.LinkElsewhereText = p.DPoPLabURL+"#attack-stolen-dpop-token", "The attack lab with DPoP on ("+p.DPoPLabURL+")"
	case !p.LoggedIn:
		c.App.FormAction = ""
		c.App.Unavailable = "Log in first: the lab replays your own access token."
		c.App.LinkElsewhere, c.App.LinkElsewhereText = "/login?next=%2Flab", "Log in"
	}
	return c
}

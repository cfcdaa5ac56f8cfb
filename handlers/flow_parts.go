package handlers

import (
	"strconv"

	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/views"
)

// What the flow inspector's page (flow_view.go) and its FAPI 2.0 steps
// (fapi_view.go) share: what each parameter and claim means, and how a
// recorded message is shown "on the wire".

// What each parameter of the authorization request is for (RFC 6749
// 4.1.1, RFC 7636 4.3, OpenID Connect Core 3.1.2.1, RFC 9126).
func authParamMeaning() map[string]string {
	return map[string]string{
		"response_type":         "code: ask for an authorization code (the code flow), not for tokens in the URL.",
		"client_id":             "Who is asking: this app's registration at Keycloak.",
		"redirect_uri":          "Where Keycloak sends the browser back. It must exactly match a URI registered for the client.",
		"scope":                 "What is asked for: openid makes it an OpenID Connect login (an ID token); profile and email ask for those claims; demo-api.write, after \"Allow writing\" on /api, asks for the right to write at the demo API (incremental consent).",
		"state":                 "Random, kept in your server-side session: the callback must bring it back, or it is refused (login CSRF, RFC 6749 10.12).",
		"nonce":                 "Random, kept in your server-side session: the ID token must carry it back (Core 3.1.3.7 step 11), so an ID token from another login, brought by an injected code, is refused.",
		"code_challenge":        "BASE64URL(SHA256(code_verifier)) (RFC 7636 4.2). The verifier itself stays on the server until step 3, so the code can only be redeemed for this login.",
		"code_challenge_method": "S256: the challenge is a SHA-256 hash of the verifier. A client that can use S256 MUST (RFC 7636 4.2); \"plain\" would put the verifier itself in the browser's URL.",
		"request_uri":           "With PAR: the reference Keycloak gave the app for the pushed request (step 1a). The browser carries only this and client_id.",
	}
}

// What the token request's fields are for (RFC 6749 4.1.3, RFC 7636 4.5,
// RFC 7523).
func tokenParamMeaning() map[string]string {
	return map[string]string{
		"grant_type":            "Trade an authorization code for tokens.",
		"code":                  "The code from step 2.",
		"redirect_uri":          "The same as in step 1: Keycloak checks they are equal.",
		"code_verifier":         "The PKCE secret made at /login, sent now for the first time.",
		"client_id":             "Who is asking (with client_secret_basic it is also in the Authorization header).",
		"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer: the client proves who it is with a signed JWT (private_key_jwt).",
		"client_assertion":      "The client assertion (step 3a): a JWT the app signed with its own key. Its signature is not kept in this record.",
	}
}

// What the header parameters and claims of the app's own JWTs mean: the
// client assertion (RFC 7523 section 3) and DPoP proofs (RFC 9449 4.2).
func jwtClaimMeaning() map[string]string {
	return map[string]string{
		"alg":   "The signing algorithm: asymmetric, so only the holder of the private key can sign.",
		"kid":   "Which of the app's keys: its JWK thumbprint, found in the app's JWKS.",
		"typ":   "What the JWT is: dpop+jwt for a DPoP proof.",
		"jwk":   "The public key itself (a DPoP proof carries it; the server checks the signature with it and the token's binding against its thumbprint).",
		"iss":   "The client, speaking about itself.",
		"sub":   "The client again (RFC 7523: iss and sub are both the client id).",
		"aud":   "Who may accept it: the provider (its issuer). No other server would.",
		"jti":   "Unique: the receiver may keep the ones it has seen and refuse one again (replay; RFC 7523 section 3, RFC 9449 section 11.1).",
		"iat":   "When it was made.",
		"exp":   "After it, the assertion is worthless.",
		"htm":   "The HTTP method of the request this proof is for.",
		"htu":   "The URL of the request this proof is for (no query).",
		"ath":   "SHA-256 of the access token it accompanies: the proof is for this token only.",
		"nonce": "A value the server asked for (DPoP-Nonce): proves the proof is fresh.",
	}
}

// params shows fields with what each means (meanings may lack some).
func params(fields []inspector.Field, meanings ...map[string]string) []views.Param {
	ps := make([]views.Param, 0, len(fields))
	for _, f := range fields {
		p := views.Param{Name: f.Name, Value: f.Value}
		for _, m := range meanings {
			if meaning, ok := m[f.Name]; ok {
				p.Meaning = meaning
				break
			}
		}
		ps = append(ps, p)
	}
	return ps
}

// requestWire and responseWire show a recorded exchange as it went over
// the wire (redacted by the inspector).
func requestWire(e inspector.Exchange) views.WireMessage {
	if e.URL == "" {
		return views.WireMessage{}
	}
	return views.WireMessage{StartLine: e.Method + " " + e.URL, Headers: params(e.RequestHeader), Body: e.Request.Text()}
}

func responseWire(e inspector.Exchange) views.WireMessage {
	if e.Status == 0 {
		return views.WireMessage{}
	}
	return views.WireMessage{StartLine: "HTTP " + strconv.Itoa(e.Status), Headers: params(e.ResponseHeader), Body: e.Response.Text()}
}

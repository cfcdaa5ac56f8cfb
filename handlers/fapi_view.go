package handlers

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/views"
)

// The flow inspector's steps for the FAPI 2.0 options (views/fapi.templ):
// the pushed authorization request, the client assertion and the DPoP
// proofs, shaped from the login's record. Each is nil when the login did
// not use it.

// pushedView is step 1a, from the exchanges heard during /login.
func pushedView(exchanges []inspector.Exchange) *views.FlowPushed {
	i := slices.IndexFunc(exchanges, func(e inspector.Exchange) bool {
		return e.Method == "POST" && formParams(e.RequestBody).get("response_type") != ""
	})
	if i < 0 {
		return nil
	}
	e := exchanges[i]
	form := formParams(e.RequestBody)
	var params []views.Param
	for _, p := range form.params {
		if m, ok := authParamMeaning[p.Name]; ok {
			p.Meaning = m
		} else {
			p.Meaning = tokenParamMeaning[p.Name]
		}
		params = append(params, p)
	}
	var answer map[string]any
	json.Unmarshal([]byte(e.ResponseBody), &answer)
	return &views.FlowPushed{
		Endpoint:   e.URL,
		Params:     params,
		RequestURI: jsonText(answer["request_uri"]),
		ExpiresIn:  jsonText(answer["expires_in"]),
		Request:    requestWire(e),
		Response:   responseWire(e),
	}
}

// assertionView is step 3a: the token request's client assertion, decoded
// (its signature was never recorded), and where assertions were sent.
func assertionView(assertion string, exchanges []inspector.Exchange) *views.FlowAssertion {
	if assertion == "" {
		return nil
	}
	header, claims := jwtRows(assertion)
	a := &views.FlowAssertion{Header: header, Claims: claims}
	alg, kid := rowValue(header, "alg"), rowValue(header, "kid")
	a.Signature = fmt.Sprintf("%s by the app's key (kid %s)", alg, kid)
	for _, e := range exchanges {
		if formParams(e.RequestBody).get("client_assertion") != "" {
			a.UsedAt = append(a.UsedAt, e.Method+" "+e.URL)
		}
	}
	return a
}

// dpopView is step 3b: every DPoP proof the login sent, decoded.
func dpopView(exchanges []inspector.Exchange, tokenType string) *views.FlowDPoP {
	var d views.FlowDPoP
	for _, e := range exchanges {
		for _, h := range e.RequestHeader {
			if h.Name != "DPoP" {
				continue
			}
			header, claims := jwtRows(h.Value)
			d.Proofs = append(d.Proofs, views.FlowProof{Request: e.Method + " " + e.URL, Header: header, Claims: claims})
		}
	}
	if len(d.Proofs) == 0 {
		return nil
	}
	d.TokenType = tokenType
	return &d
}

// What the header parameters and claims of these JWTs mean.
var fapiClaimMeaning = map[string]string{
	"alg":   "The signing algorithm: asymmetric, so only the holder of the private key can sign.",
	"kid":   "Which of the app's keys: its JWK thumbprint, found in the app's JWKS.",
	"typ":   "What the JWT is: dpop+jwt for a DPoP proof.",
	"jwk":   "The public key itself (a DPoP proof carries it; the server checks the signature with it and the token's binding against its thumbprint).",
	"iss":   "The client, speaking about itself.",
	"sub":   "The client again (RFC 7523: iss and sub are both the client id).",
	"aud":   "Who may accept it: the provider (its issuer). No other server would.",
	"jti":   "Unique: the receiver refuses one it has seen (replay).",
	"iat":   "When it was made.",
	"exp":   "A minute later it is worthless.",
	"htm":   "The HTTP method of the request this proof is for.",
	"htu":   "The URL of the request this proof is for (no query).",
	"ath":   "SHA-256 of the access token it accompanies: the proof is for this token only.",
	"nonce": "A value the server asked for (DPoP-Nonce): proves the proof is fresh.",
}

// jwtRows decodes a JWT's header and claims into rows (no signature check:
// it is a record of what the app itself sent).
func jwtRows(raw string) (header, claims []views.Param) {
	d, err := auth.DecodeJWT(raw)
	if err != nil {
		return nil, nil
	}
	return objectRows(d.Header), objectRows(d.Payload)
}

func objectRows(data []byte) []views.Param {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return nil
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	rows := make([]views.Param, 0, len(names))
	for _, name := range names {
		var v any
		json.Unmarshal(fields[name], &v)
		rows = append(rows, views.Param{Name: name, Value: jsonText(v), Meaning: fapiClaimMeaning[name]})
	}
	return rows
}

func rowValue(rows []views.Param, name string) string {
	for _, r := range rows {
		if r.Name == name {
			return strings.TrimSpace(r.Value)
		}
	}
	return ""
}

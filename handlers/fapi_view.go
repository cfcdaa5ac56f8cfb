package handlers

import (
	"strings"

	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/views"
)

// The flow inspector's steps for the FAPI 2.0 options (views/fapi.templ),
// from the inspector's steps. Each is nil when the login did not use it.

// pushedView is step 1a, the pushed authorization request (RFC 9126).
func pushedView(p *inspector.PushedStep) *views.FlowPushed {
	if p == nil {
		return nil
	}
	return &views.FlowPushed{
		Endpoint:   p.Endpoint,
		Params:     params(p.Params, authParamMeaning(), tokenParamMeaning()),
		RequestURI: p.RequestURI,
		ExpiresIn:  p.ExpiresIn,
		Request:    requestWire(p.Exchange),
		Response:   responseWire(p.Exchange),
	}
}

// assertionView is step 3a, the client assertion of private_key_jwt.
func assertionView(a *inspector.AssertionStep) *views.FlowAssertion {
	if a == nil {
		return nil
	}
	v := &views.FlowAssertion{Header: params(a.Header, jwtClaimMeaning()), Claims: params(a.Claims, jwtClaimMeaning()), UsedAt: a.UsedAt}
	v.Signature = rowValue(v.Header, "alg") + " by the app's key (kid " + rowValue(v.Header, "kid") + ")"
	return v
}

// dpopView is step 3b, the DPoP proofs (RFC 9449).
func dpopView(d *inspector.DPoPStep) *views.FlowDPoP {
	if d == nil {
		return nil
	}
	v := &views.FlowDPoP{TokenType: d.TokenType}
	for _, p := range d.Proofs {
		v.Proofs = append(v.Proofs, views.FlowProof{Request: p.Request,
			Header: params(p.Header, jwtClaimMeaning()), Claims: params(p.Claims, jwtClaimMeaning())})
	}
	return v
}

func rowValue(rows []views.Param, name string) string {
	for _, r := range rows {
		if r.Name == name {
			return strings.TrimSpace(r.Value)
		}
	}
	return ""
}

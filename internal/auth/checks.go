package auth

// The one list of the checks the app makes of an ID token: the protocol code
// (login.go) names each check here as it passes it (Login.Checked), and the
// flow inspector (/flow), the security ladder (/ladder) and the protections
// table in docs/protections.md all read this list. So a page can only
// report a check the code performed, and a check the list does not name
// cannot be reported at all.

// The checks' names, in the order CompleteLogin makes them.
const (
	CheckSignature = "signature"
	CheckIssuer    = "iss"
	CheckAudience  = "aud"
	CheckExpiry    = "exp"
	CheckSubject   = "sub"
	CheckIssuedAt  = "iat"
	CheckAZP       = "azp"
	CheckNonce     = "nonce"
	CheckAtHash    = "at_hash"
)

// IDTokenCheck is one check of an ID token: what it is called, what a token
// that fails it would be, and the section of the specification that asks
// for it.
type IDTokenCheck struct {
	Name    string
	Stops   string // what the check refuses, in a phrase
	Section string // e.g. "OpenID Connect Core 1.0, 3.1.3.7 step 2"
	URL     string // the section, online
}

const (
	coreValidation = "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation"
	coreIDToken    = "https://openid.net/specs/openid-connect-core-1_0.html#IDToken"
	coreAtHash     = "https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowTokenValidation"
)

// IDTokenChecks lists every check, in the order they are made. Sections
// are those of OpenID Connect Core 1.0 incorporating errata set 2.
func IDTokenChecks() []IDTokenCheck {
	return []IDTokenCheck{
		{CheckSignature, "a token Keycloak did not sign, or one changed after signing (alg none, another key, an edited claim). " +
			"Step 6 lets TLS to the token endpoint stand in for this check; the demo talks to Keycloak over plain http, so here the signature is what proves the token",
			"OpenID Connect Core 1.0, 3.1.3.7 steps 6 and 7", coreValidation},
		{CheckIssuer, "a token from another issuer (another realm or provider)",
			"OpenID Connect Core 1.0, 3.1.3.7 step 2", coreValidation},
		{CheckAudience, "a token issued to another client",
			"OpenID Connect Core 1.0, 3.1.3.7 step 3", coreValidation},
		{CheckExpiry, "an expired token",
			"OpenID Connect Core 1.0, 3.1.3.7 step 9", coreValidation},
		{CheckSubject, "a token that names no user (sub is REQUIRED)",
			"OpenID Connect Core 1.0, section 2", coreIDToken},
		{CheckIssuedAt, "a token that does not say when it was issued (iat is REQUIRED)",
			"OpenID Connect Core 1.0, section 2", coreIDToken},
		{CheckAZP, "a token with several audiences but no azp, or an azp naming another client. " +
			"Stricter than the current text (errata set 2): step 3 asks to refuse audiences the client does not trust, and steps 4 and 5 now only concern extensions that use azp; this app keeps errata set 1's rule, which was a SHOULD, and refuses such a token",
			"OpenID Connect Core 1.0, 3.1.3.7 steps 3 to 5", coreValidation},
		{CheckNonce, "an ID token from another login: with a code injected from someone else's login, the token that comes back carries that login's nonce, not the one this browser's login sent (RFC 9700 section 4.5)",
			"OpenID Connect Core 1.0, 3.1.3.7 step 11", coreValidation},
		{CheckAtHash, "an access token that does not belong to this ID token. Optional in the code flow (the client MAY check it); checked when the token carries at_hash",
			"OpenID Connect Core 1.0, 3.1.3.8", coreAtHash},
	}
}

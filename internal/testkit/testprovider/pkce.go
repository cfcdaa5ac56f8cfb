package testprovider

// SetPKCEOptional makes PKCE optional, as Keycloak does for a client whose
// "pkce.code.challenge.method" is not set (the seed app's client demo-seed,
// cmd/seed): an authorization request without a code_challenge is accepted,
// and its code is exchanged without a code_verifier. A request that did
// send a challenge is still held to it, and a verifier for a code issued
// without a challenge is refused (RFC 9700 section 2.1.1, PKCE downgrade).
func (p *Provider) SetPKCEOptional(optional bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pkceOptional = optional
}

// pkceMissingAllowed says whether a request or a code without a
// code_challenge passes: only when PKCE was made optional.
func (p *Provider) pkceMissingAllowed(challenge string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return challenge == "" && p.pkceOptional
}

package testprovider

import (
	"slices"
	"strings"
)

// RegisterRedirectURIs makes the provider accept only these redirect URIs,
// compared as exact strings (RFC 9700 section 4.1.3), as Keycloak does:
// for any other the authorization endpoint answers with an error page and
// does not redirect (RFC 6749 section 4.1.2.1). Without a call, any
// redirect_uri is accepted.
func (p *Provider) RegisterRedirectURIs(uris ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.redirectURIs = slices.Clone(uris)
}

// redirectURIAllowed reports whether uri may be redirected to.
func (p *Provider) redirectURIAllowed(uri string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.redirectURIs) == 0 || slices.Contains(p.redirectURIs, uri)
}

// openIDRequested reports whether a grant's scope asks for an ID token, as
// Keycloak decides: only with openid (OpenID Connect Core 3.1.2.1). A code
// a test made without any scope (IssueCode) counts as an OpenID Connect one.
func openIDRequested(scope string) bool {
	return scope == "" || slices.Contains(strings.Fields(scope), "openid")
}

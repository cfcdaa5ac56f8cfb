package testprovider

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Scopes as Keycloak grants them (keycloak/demo-realm.json): a client's
// default client scopes are in every token, whatever was asked for; its
// optional client scopes only when the authorization request names them;
// openid when asked for; and an unknown scope fails the request with
// invalid_scope. The access token's scope claim and the token response's
// scope parameter both say what was granted (RFC 6749 sections 3.3 and
// 5.1; Keycloak always sends it).

// ClientScopes are the client scopes of the provider's client that go into
// the scope claim (Keycloak's "Include in token scope").
type ClientScopes struct {
	Default  []string
	Optional []string
}

// DemoClientScopes are those of the demo realm's clients that call the
// demo API (demo-app and the others): demo-api.read by default,
// demo-api.write when asked for.
var DemoClientScopes = ClientScopes{
	Default:  []string{"profile", "email", "demo-api.read"},
	Optional: []string{"address", "phone", "offline_access", "microprofile-jwt", "organization", "demo-api.write"},
}

// quietScopes are Keycloak's default scopes that are not in the scope
// claim ("Include in token scope" off): asking for them is no error.
var quietScopes = []string{"roles", "web-origins", "acr", "basic"}

// SetClientScopes changes the client's scopes (DemoClientScopes until
// then); logins from now on are granted by the new ones.
func (p *Provider) SetClientScopes(s ClientScopes) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clientScopes = ClientScopes{Default: slices.Clone(s.Default), Optional: slices.Clone(s.Optional)}
}

// SetOmitResponseScope makes token responses leave the scope parameter
// out (true), as RFC 6749 section 5.1 allows when the scope granted is the
// one requested; the access token still carries its scope claim.
func (p *Provider) SetOmitResponseScope(omit bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.omitResponseScope = omit
}

// grantScope is the scope granted for requested (space separated), and
// the requested scopes the client may not have ("" if none).
func (p *Provider) grantScope(requested string) (granted, unknown string) {
	p.mu.Lock()
	s := p.clientScopes
	p.mu.Unlock()
	asked := strings.Fields(requested)
	var out, bad []string
	if slices.Contains(asked, "openid") {
		out = append(out, "openid")
	}
	for _, scope := range asked {
		switch {
		case scope == "openid" || slices.Contains(s.Default, scope) || slices.Contains(quietScopes, scope):
		case slices.Contains(s.Optional, scope):
			if !slices.Contains(out, scope) {
				out = append(out, scope)
			}
		default:
			bad = append(bad, scope)
		}
	}
	out = append(out, s.Default...)
	return strings.Join(out, " "), strings.Join(bad, " ")
}

// redirectError sends the browser back to the client with an error
// response (RFC 6749 section 4.1.2.1): error, error_description, the state
// and iss (RFC 9207), as Keycloak does.
func redirectError(w http.ResponseWriter, r *http.Request, req AuthRequest, issuer, code, description string) {
	target, err := url.Parse(req.RedirectURI)
	if err != nil {
		http.Error(w, code, http.StatusBadRequest)
		return
	}
	q := target.Query()
	q.Set("error", code)
	q.Set("error_description", description)
	q.Set("state", req.State)
	q.Set("iss", issuer)
	target.RawQuery = q.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

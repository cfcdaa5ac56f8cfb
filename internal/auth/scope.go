package auth

import (
	"slices"
	"strings"

	"golang.org/x/oauth2"
)

// Scopes: what the app asks for, and what the provider granted.
//
// A login asks for the scopes in Settings.Scopes (OIDC_SCOPES), plus, for
// incremental consent, the extra scopes the app passes to StartLogin (from
// an allow-list in the app, never from a request). The provider may grant
// less (RFC 6749 section 3.3: it "MAY fully or partially ignore the scope
// requested by the client"), and then MUST say so in the token response's
// scope parameter. That parameter is where the app learns what was
// granted: it never reads the access token's scope claim, which is for the
// API (RFC 9068 section 6: "The client MUST NOT inspect the content of the
// access token").

// requestedScope is the scope parameter of a login with extra scopes.
func (c *Client) requestedScope(extra []string) string {
	scopes := slices.Clone(c.settings.Scopes)
	for _, s := range extra {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return strings.Join(scopes, " ")
}

// grantedScope is the scope of a token response (RFC 6749 section 5.1:
// "OPTIONAL, if identical to the scope requested by the client;
// otherwise, REQUIRED"): its scope parameter, else the scope requested.
// For a refresh without a scope parameter, requested is the scope granted
// before (RFC 6749 section 6: omitted, it "is treated as equal to the
// scope originally granted by the resource owner").
func grantedScope(token *oauth2.Token, requested string) string {
	if s, ok := token.Extra("scope").(string); ok && s != "" {
		return s
	}
	return requested
}

// Granted reports whether the token response granted scope: the scope is
// a list of space-delimited, case-sensitive strings (RFC 6749 section 3.3).
func (t Tokens) Granted(scope string) bool {
	return scope != "" && slices.Contains(strings.Split(t.Scope, " "), scope)
}

package demoapi

import (
	"net/http"
	"slices"
	"strings"
)

// The scopes of the demo API, as the realm defines them (client scopes in
// keycloak/demo-realm.json): reading needs ScopeRead, writing ScopeWrite.
// A user grants them to an app (on Keycloak's consent screen, for a client
// that asks for consent); the access token carries them in its scope claim
// (RFC 9068 section 2.2.3), and the API reads them there, from the token
// alone.
const (
	ScopeRead  = "demo-api.read"
	ScopeWrite = "demo-api.write"
)

// HasScope reports whether the token's scope claim holds scope. The claim
// is one string of space-delimited, case-sensitive scope values (RFC 6749
// section 3.3, which RFC 9068 section 2.2.3 refers to through RFC 8693
// section 4.2): it is split at single spaces and compared whole, so
// "demo-api.read-all" or "Demo-API.read" is not "demo-api.read".
func (c Caller) HasScope(scope string) bool {
	return scope != "" && slices.Contains(strings.Split(c.Scope, " "), scope)
}

// requireScope refuses callers whose token lacks scope with 403 and
// error="insufficient_scope", naming the scope needed in the challenge's
// scope attribute (RFC 6750 section 3.1: "The resource server SHOULD
// respond with the HTTP 403 (Forbidden) status code and MAY include the
// "scope" attribute with the scope necessary to access the protected
// resource"). The client can then ask the user for it (incremental
// consent) instead of guessing.
func (s *Server) requireScope(scope string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := callerFrom(r)
			if c.HasScope(scope) {
				next.ServeHTTP(w, r)
				return
			}
			scheme := schemeBearer
			if c.JKT != "" {
				scheme = schemeDPoP // a bound token only gets here with the DPoP scheme
			}
			description := "this endpoint needs the scope " + scope + " in the access token's scope claim"
			s.logger.Info("request refused", "path", r.URL.Path, "status", http.StatusForbidden, "error", "insufficient_scope",
				"scope_needed", scope, "scheme", scheme, "sub", c.Subject)
			s.challenge(w, scheme, "insufficient_scope", description, scope)
			writeJSON(w, http.StatusForbidden, map[string]string{
				"error": "insufficient_scope", "error_description": description, "scope": scope,
			})
		})
	}
}

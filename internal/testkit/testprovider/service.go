package testprovider

import (
	"crypto/subtle"
	"net/http"
	"time"
)

// The demo API's audience, and the service client of the client credentials
// grant (RFC 6749 4.4), as in keycloak/demo-realm.json (the secret differs).
const (
	APIAudience         = "demo-api"
	ServiceClientID     = "demo-app-service"
	ServiceClientSecret = "test-service-secret"
	// ServiceAccountSubject is the sub of the service client's tokens: its
	// service account, not a person.
	ServiceAccountSubject = "c0ffee00-0000-4000-8000-5e4v1ce00001"
)

// clientCredentials answers grant_type=client_credentials for the service
// client: an access token for the client itself, without an ID token or a
// refresh token (there is no user), like Keycloak.
func (p *Provider) clientCredentials(w http.ResponseWriter, id, secret string) {
	if id != ServiceClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(ServiceClientSecret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	p.mu.Lock()
	ttl := p.accessTTL
	p.mu.Unlock()
	now := time.Now()
	access := p.Sign(map[string]any{
		"iss": p.Issuer(), "sub": ServiceAccountSubject, "aud": []string{APIAudience, "account"},
		"azp": ServiceClientID, "typ": "Bearer", "iat": now.Unix(), "exp": now.Add(ttl).Unix(),
		"jti": randomString(12), "scope": "demo-api.read profile email",
		"realm_access":       map[string]any{"roles": []string{"default-roles-demo", "offline_access"}},
		"preferred_username": "service-account-" + ServiceClientID,
		"client_id":          ServiceClientID,
	})
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   int(ttl.Seconds()),
		"scope":        "demo-api.read profile email",
	})
}

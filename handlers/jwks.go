package handlers

import (
	"encoding/json"
	"net/http"
)

// handleJWKS publishes the public key the app signs its client assertions
// with (private_key_jwt, internal/auth/clientauth.go) as a JWK Set (RFC
// 7517 section 5). The provider fetches it from the URL registered for the
// client (jwks.url in keycloak/demo-realm.json) to check each assertion.
// Only the public key: nothing here lets anyone sign.
func (app *App) handleJWKS(w http.ResponseWriter, r *http.Request) {
	jwks, ok := app.auth.ClientJWKS()
	if !ok {
		app.failf(w, r, errNotFound, problem{}, "no client key: the app authenticates with its secret")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	// The provider may cache it briefly; a rotated key has a new kid,
	// which makes the provider fetch again.
	w.Header().Set("Cache-Control", "public, max-age=60")
	json.NewEncoder(w).Encode(jwks)
}

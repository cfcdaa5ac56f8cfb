package auth

import (
	"encoding/json"
	"slices"
)

// Claims are the parts of the ID token the app shows and decides with: who
// the user is, and the roles the demo realm maps into the ID token and the
// userinfo response (claims roles and client_roles). They follow the
// current tokens: read at login, and again at every refresh, so a role
// removed at the provider is gone here after the next refresh.
//
// The access token is never read here. It is meant for the API (its
// audience), and its format is the API's and the provider's business: a
// client MUST NOT inspect its content (RFC 9068 section 6). The demo API
// reads roles from it (internal/demoapi); this app asks the ID token and
// userinfo, which are for the client (OpenID Connect Core 2 and 5.3).
type Claims struct {
	Subject           string
	SessionID         string // sid: the provider's session, used by back-channel logout
	Name              string
	PreferredUsername string
	Email             string
	EmailVerified     bool
	RealmRoles        []string            // the claim roles
	ClientRoles       map[string][]string // this client's id → the claim client_roles
}

// identityClaims are the claims read from a verified ID token or from a
// userinfo response whose sub matched the ID token's (Core 5.3.2).
type identityClaims struct {
	SessionID         string   `json:"sid"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	Email             string   `json:"email"`
	EmailVerified     bool     `json:"email_verified"`
	Roles             []string `json:"roles"`        // realm roles (the realm's "realm roles" mapper)
	ClientRoles       []string `json:"client_roles"` // this client's roles (its "client roles" mapper)
}

// claimsFrom turns the identity claims about subject into Claims.
func claimsFrom(subject, clientID string, c identityClaims) Claims {
	claims := Claims{
		Subject:           subject,
		SessionID:         c.SessionID,
		Name:              c.Name,
		PreferredUsername: c.PreferredUsername,
		Email:             c.Email,
		EmailVerified:     c.EmailVerified,
		RealmRoles:        slices.Sorted(slices.Values(c.Roles)),
	}
	if len(c.ClientRoles) > 0 {
		claims.ClientRoles = map[string][]string{clientID: slices.Sorted(slices.Values(c.ClientRoles))}
	}
	return claims
}

// claimsFromJSON reads Claims from a JSON object (a userinfo response).
func claimsFromJSON(subject, clientID string, object []byte) (Claims, error) {
	var c identityClaims
	if err := json.Unmarshal(object, &c); err != nil {
		return Claims{}, err
	}
	return claimsFrom(subject, clientID, c), nil
}

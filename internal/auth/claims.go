package auth

import (
	"encoding/json"
	"slices"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Claims are the parts of the ID token (and access token) the app shows and
// decides with. They follow the current tokens: read at login, and again at
// every refresh, so a role removed at the provider is gone here as soon as a
// refreshed access token no longer carries it.
type Claims struct {
	Subject           string
	SessionID         string // sid: the provider's session, used by back-channel logout
	Name              string
	PreferredUsername string
	Email             string
	EmailVerified     bool
	RealmRoles        []string
	ClientRoles       map[string][]string
}

// readClaims collects what the app displays from a verified ID token and the
// access token of the same response.
func readClaims(idToken *oidc.IDToken, accessToken string) (Claims, error) {
	var fromID struct {
		SessionID         string   `json:"sid"`
		Name              string   `json:"name"`
		PreferredUsername string   `json:"preferred_username"`
		Email             string   `json:"email"`
		EmailVerified     bool     `json:"email_verified"`
		Roles             []string `json:"roles"` // the demo realm maps realm roles here too
	}
	if err := idToken.Claims(&fromID); err != nil {
		return Claims{}, err
	}
	claims := Claims{
		Subject:           idToken.Subject,
		SessionID:         fromID.SessionID,
		Name:              fromID.Name,
		PreferredUsername: fromID.PreferredUsername,
		Email:             fromID.Email,
		EmailVerified:     fromID.EmailVerified,
	}
	claims.RealmRoles, claims.ClientRoles = rolesFrom(accessToken, fromID.Roles)
	return claims, nil
}

// rolesFrom reads Keycloak's roles from the access token: realm roles in
// realm_access.roles, client roles in resource_access.<client>.roles. The
// access token came to us directly from the token endpoint, so its content
// is trustworthy here although the app (not its audience) does not verify
// its signature. When it is a JWT it is the authority, even when it carries
// no roles at all; only an opaque access token falls back to idTokenRoles.
func rolesFrom(accessToken string, idTokenRoles []string) (realm []string, clients map[string][]string) {
	access, err := DecodeJWT(accessToken)
	if err != nil {
		return slices.Sorted(slices.Values(idTokenRoles)), nil
	}
	var roles struct {
		RealmAccess struct {
			Roles []string `json:"roles"`
		} `json:"realm_access"`
		ResourceAccess map[string]struct {
			Roles []string `json:"roles"`
		} `json:"resource_access"`
	}
	if json.Unmarshal(access.Payload, &roles) != nil {
		return nil, nil
	}
	for client, r := range roles.ResourceAccess {
		if clients == nil {
			clients = map[string][]string{}
		}
		clients[client] = r.Roles
	}
	return slices.Sorted(slices.Values(roles.RealmAccess.Roles)), clients
}

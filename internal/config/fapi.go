package config

// The FAPI 2.0 security profile's building blocks, each off by default
// (docs/fapi.md).

// loadFAPI reads the options that harden the login beyond the defaults.
func loadFAPI(cfg *Config, v *vars) {
	// OIDC_PAR: push every authorization request (RFC 9126). The app
	// pushes anyway when the provider's discovery document requires it.
	cfg.PAR = v.boolean("OIDC_PAR")

	// OIDC_CLIENT_AUTH: how the app proves it is the client at the
	// token, PAR and revocation endpoints.
	switch cfg.ClientAuth = v.get("OIDC_CLIENT_AUTH"); cfg.ClientAuth {
	case ClientSecretBasic, PrivateKeyJWT:
	default:
		v.bad("OIDC_CLIENT_AUTH", "want %s or %s, got %q", ClientSecretBasic, PrivateKeyJWT, cfg.ClientAuth)
	}
	cfg.ClientKeyFile = v.get("OIDC_CLIENT_KEY_FILE")

	// OIDC_DPOP: DPoP-bound access tokens (RFC 9449), with the key in
	// OIDC_DPOP_KEY_FILE ("" = a new key each start).
	cfg.DPoP = v.boolean("OIDC_DPOP")
	cfg.DPoPKeyFile = v.get("OIDC_DPOP_KEY_FILE")
}

// The client authentication methods (OpenID Connect Core 9).
const (
	ClientSecretBasic = "client_secret_basic" // the secret in HTTP Basic
	PrivateKeyJWT     = "private_key_jwt"     // a JWT signed with the app's key (RFC 7523)
)

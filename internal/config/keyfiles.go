package config

import "path/filepath"

// checkKeyFiles checks OIDC_CLIENT_KEY_FILE and OIDC_DPOP_KEY_FILE against
// the options that use them (fapi.go).
func checkKeyFiles(cfg Config, v *vars) {
	clientKey := cfg.ClientAuth == PrivateKeyJWT

	// One key, one job: the client's identity at the provider and the key
	// its tokens are bound to are replaced separately (a new DPoP key ends
	// the tokens bound to the old one).
	if clientKey && cfg.DPoP && cfg.ClientKeyFile != "" && cfg.DPoPKeyFile != "" && sameFile(cfg.ClientKeyFile, cfg.DPoPKeyFile) {
		v.bad("OIDC_DPOP_KEY_FILE", "is the file of OIDC_CLIENT_KEY_FILE: the DPoP key and the client key must be two keys; name another file")
	}

	// Replicas (sessions in Redis) must sign with the same keys. With a
	// new key per replica, the provider fetching BASE_URL/.well-known/jwks.json
	// through the load balancer gets one replica's key and refuses the
	// other's client assertions; and tokens in a shared session are bound to
	// the DPoP key of the replica that logged in, so the others' proofs fail.
	if cfg.SessionStore == nil {
		return
	}
	if clientKey && cfg.ClientKeyFile == "" {
		v.bad("OIDC_CLIENT_KEY_FILE", "is required with SESSION_STORE=redis and OIDC_CLIENT_AUTH=private_key_jwt: "+
			"replicas must share one client key; give every replica the same key file (created on the first start)")
	}
	if cfg.DPoP && cfg.DPoPKeyFile == "" {
		v.bad("OIDC_DPOP_KEY_FILE", "is required with SESSION_STORE=redis and OIDC_DPOP=true: "+
			"replicas must share one DPoP key; give every replica the same key file (created on the first start)")
	}
}

// sameFile reports whether two paths name one file (as written: a link to
// it is caught in main, where both keys are loaded and compared).
func sameFile(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

package config

// The FAPI 2.0 security profile's building blocks, each off by default
// (README, "Beyond the basics: PAR, private_key_jwt and DPoP").

// loadFAPI reads the options that harden the login beyond the defaults.
func loadFAPI(cfg *Config, v *vars) {
	// OIDC_PAR: push every authorization request (RFC 9126). The app
	// pushes anyway when the provider's discovery document requires it.
	cfg.PAR = v.boolean("OIDC_PAR")
}

// boolean reads true/false (also 1/0, yes/no, on/off).
func (v *vars) boolean(name string) bool {
	switch raw := v.get(name); raw {
	case "true", "1", "yes", "on":
		return true
	case "", "false", "0", "no", "off":
		return false
	default:
		v.bad(name, "want true or false, got %q", raw)
		return false
	}
}

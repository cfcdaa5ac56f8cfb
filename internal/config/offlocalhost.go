package config

import (
	"net/netip"
	"strings"
)

// The demo's settings are made for a laptop: its client secrets are
// published (config.example.env, keycloak/demo-realm.json), and the token
// pages, on unless TOKEN_PAGES says otherwise, show raw tokens. An app
// whose BASE_URL is not on this machine is reached by other people, so it
// refuses to start with either, and says what to change.

// refuseDemoSettingsOffLocalhost adds a problem for each demo setting when
// BASE_URL is not a loopback address.
func refuseDemoSettingsOffLocalhost(cfg Config, v *vars) {
	if cfg.BaseURL == nil || isLoopback(cfg.BaseURL.Hostname()) {
		return
	}
	offLocalhost := "BASE_URL " + cfg.BaseURL.String() + " is not on this machine (localhost, 127.0.0.0/8, ::1), so other people reach this app"
	secrets := []struct{ name, value string }{
		{"OIDC_CLIENT_SECRET", cfg.ClientSecret},
		{"OIDC_SERVICE_CLIENT_SECRET", cfg.ServiceClientSecret},
	}
	for _, s := range secrets {
		if isDemoSecret(s.value) {
			v.bad(s.name, "is the demo realm's published secret, and %s: give the client a secret of its own "+
				"at the provider (Keycloak: Clients, the client, Credentials, Regenerate) and set it here", offLocalhost)
		}
	}
	if !v.isSet("TOKEN_PAGES") {
		v.bad("TOKEN_PAGES", "is not set, and %s: the token pages (/tokens, /flow) show each user their raw tokens, "+
			"the refresh token included; set TOKEN_PAGES=off (or TOKEN_PAGES=on to keep them on purpose)", offLocalhost)
	}
}

// isLoopback reports whether host names this machine: localhost, an
// address in 127.0.0.0/8, or ::1. Anything else (a public or private
// address, any other name) may be reached from elsewhere.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

// isDemoSecret reports whether secret is a placeholder: every client secret
// published with the demo ends in "-change-me" (TestEveryPublishedSecretIsRefused
// reads them from config.example.env, the realm, docker-compose.yml and
// scripts/demo.sh), and so would a secret made up after their pattern.
func isDemoSecret(secret string) bool {
	return strings.HasSuffix(secret, "-change-me")
}

// isSet reports whether the variable was given, in the environment or in
// the .env file, rather than left to its default.
func (v *vars) isSet(name string) bool {
	return strings.TrimSpace(v.getenv(name)) != "" || strings.TrimSpace(v.dotenv[name]) != ""
}

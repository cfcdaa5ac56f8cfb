package config

import "strings"

// loadAPIClient reads the variables of the app's calls to the demo API
// (cmd/demo-api) from its /api page: API_URL, API_HTTP_TIMEOUT, and the
// client credentials client the app calls it as itself.
func loadAPIClient(cfg *Config, v *vars) {
	if u, err := parseHTTPURL(strings.TrimSuffix(v.get("API_URL"), "/")); err != nil {
		v.bad("API_URL", "%v", err)
	} else {
		cfg.APIURL = u
	}
	cfg.APITimeout = v.duration("API_HTTP_TIMEOUT")

	// Optional: both or neither. Without them the /api page explains how
	// to turn the client credentials demo on.
	cfg.ServiceClientID = v.get("OIDC_SERVICE_CLIENT_ID")
	cfg.ServiceClientSecret = v.get("OIDC_SERVICE_CLIENT_SECRET")
	if (cfg.ServiceClientID == "") != (cfg.ServiceClientSecret == "") {
		v.bad("OIDC_SERVICE_CLIENT_ID", "set both OIDC_SERVICE_CLIENT_ID and OIDC_SERVICE_CLIENT_SECRET, or neither")
	}
}

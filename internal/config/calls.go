package config

import (
	"regexp"
	"strings"
)

// cookieName is what SESSION_COOKIE_NAME may be: letters, digits, - and _,
// not starting with "__" (the __Host- prefix is added for https).
var cookieName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// loadAPIClient reads the variables of the app's outbound calls to the demo
// API (API_URL, API_HTTP_TIMEOUT, the client credentials client) and the
// session cookie's name.
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

	cfg.SessionCookieName = v.get("SESSION_COOKIE_NAME")
	if !cookieName.MatchString(cfg.SessionCookieName) {
		v.bad("SESSION_COOKIE_NAME", "want letters, digits, - and _ (at most 64, no leading _), got %q", cfg.SessionCookieName)
	}
}

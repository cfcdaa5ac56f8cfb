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
func loadAPIClient(cfg *Config, lookup func(string) string, bad func(string, string, ...any)) {
	if u, err := parseHTTPURL(strings.TrimSuffix(lookup("API_URL"), "/")); err != nil {
		bad("API_URL", "%v", err)
	} else {
		cfg.APIURL = u
	}
	cfg.APITimeout = duration(lookup, "API_HTTP_TIMEOUT", bad)

	// Optional: both or neither. Without them the /api page explains how
	// to turn the client credentials demo on.
	cfg.ServiceClientID = lookup("OIDC_SERVICE_CLIENT_ID")
	cfg.ServiceClientSecret = lookup("OIDC_SERVICE_CLIENT_SECRET")
	if (cfg.ServiceClientID == "") != (cfg.ServiceClientSecret == "") {
		bad("OIDC_SERVICE_CLIENT_ID", "set both OIDC_SERVICE_CLIENT_ID and OIDC_SERVICE_CLIENT_SECRET, or neither")
	}

	cfg.SessionCookieName = lookup("SESSION_COOKIE_NAME")
	if !cookieName.MatchString(cfg.SessionCookieName) {
		bad("SESSION_COOKIE_NAME", "want letters, digits, - and _ (at most 64, no leading _), got %q", cfg.SessionCookieName)
	}
}

package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// APIConfig is the configuration of the demo API (cmd/demo-api), the
// resource server. It shares OIDC_ISSUER, OIDC_DISCOVERY_URL, LOG_LEVEL and
// OIDC_HTTP_TIMEOUT with the app, so one .env serves both.
type APIConfig struct {
	ListenAddr      string     // API_LISTEN_ADDR
	Issuer          string     // OIDC_ISSUER: the iss every access token must carry
	DiscoveryURL    string     // OIDC_DISCOVERY_URL: where the API fetches discovery
	Audience        string     // API_AUDIENCE: must be in the aud of every access token
	LogLevel        slog.Level // LOG_LEVEL
	ProviderTimeout time.Duration
}

// apiDefaults are the API's own variables; the shared ones use defaults.
var apiDefaults = map[string]string{
	"API_LISTEN_ADDR": ":4000",
	"API_AUDIENCE":    "demo-api",
}

// LoadAPI builds the API's configuration like Load builds the app's:
// environment, then the .env file, then the defaults; every bad variable
// reported at once.
func LoadAPI(getenv func(string) string, dotenv map[string]string) (APIConfig, error) {
	lookup := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		if v := strings.TrimSpace(dotenv[name]); v != "" {
			return v
		}
		if v, ok := apiDefaults[name]; ok {
			return v
		}
		return defaults[name]
	}
	var problems []string
	bad := func(name, format string, args ...any) {
		problems = append(problems, name+": "+fmt.Sprintf(format, args...))
	}

	var cfg APIConfig
	cfg.ListenAddr = lookup("API_LISTEN_ADDR")
	if !strings.Contains(cfg.ListenAddr, ":") {
		bad("API_LISTEN_ADDR", "want host:port or :port, got %q", cfg.ListenAddr)
	}
	cfg.Issuer = strings.TrimSuffix(lookup("OIDC_ISSUER"), "/")
	if _, err := parseHTTPURL(cfg.Issuer); err != nil {
		bad("OIDC_ISSUER", "%v", err)
	}
	cfg.DiscoveryURL = strings.TrimSuffix(lookup("OIDC_DISCOVERY_URL"), "/")
	if cfg.DiscoveryURL == "" {
		cfg.DiscoveryURL = cfg.Issuer
	} else if _, err := parseHTTPURL(cfg.DiscoveryURL); err != nil {
		bad("OIDC_DISCOVERY_URL", "%v", err)
	}
	cfg.Audience = lookup("API_AUDIENCE")
	if strings.ContainsAny(cfg.Audience, "\"\\ ") {
		bad("API_AUDIENCE", "must not contain spaces, quotes or backslashes, got %q", cfg.Audience)
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(lookup("LOG_LEVEL"))); err != nil {
		bad("LOG_LEVEL", "want debug, info, warn or error, got %q", lookup("LOG_LEVEL"))
	}
	cfg.ProviderTimeout = duration(lookup, "OIDC_HTTP_TIMEOUT", bad)

	if len(problems) > 0 {
		return APIConfig{}, errors.New("invalid configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return cfg, nil
}

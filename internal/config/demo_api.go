package config

import (
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

// LoadAPI builds the API's configuration like Load builds the app's:
// environment, then the .env file, then the defaults; every bad variable
// reported at once.
func LoadAPI(getenv func(string) string, dotenv map[string]string) (APIConfig, error) {
	v := &vars{getenv: getenv, dotenv: dotenv}
	var cfg APIConfig
	cfg.ListenAddr = v.listenAddr("API_LISTEN_ADDR")
	cfg.Issuer, cfg.DiscoveryURL = v.issuer()
	cfg.Audience = v.get("API_AUDIENCE")
	if strings.ContainsAny(cfg.Audience, "\"\\ ") {
		v.bad("API_AUDIENCE", "must not contain spaces, quotes or backslashes, got %q", cfg.Audience)
	}
	cfg.LogLevel = v.logLevel()
	cfg.ProviderTimeout = v.duration("OIDC_HTTP_TIMEOUT")

	if err := v.err(); err != nil {
		return APIConfig{}, err
	}
	return cfg, nil
}

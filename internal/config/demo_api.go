package config

import (
	"log/slog"
	"net"
	"strings"
	"time"
)

// APIConfig is the configuration of the demo API (cmd/demo-api), the
// resource server. It shares OIDC_ISSUER, OIDC_DISCOVERY_URL, LOG_LEVEL and
// OIDC_HTTP_TIMEOUT with the app, so one .env serves both.
type APIConfig struct {
	ListenAddr      string     // API_LISTEN_ADDR
	PublicURL       string     // API_PUBLIC_URL, without a trailing slash
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
	cfg.PublicURL = v.apiPublicURL(cfg.ListenAddr)
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

// apiPublicURL reads API_PUBLIC_URL: the API's own URL as its callers
// address it. A DPoP proof names the URL it was made for (htu, RFC 9449
// section 4.2), and the API compares it with this setting, never with the
// request's Host header or r.TLS: those are what the caller (or a proxy in
// front of the API) says, so a proof made for another resource server
// could pass with a matching Host, and behind a TLS-terminating proxy every
// proof would fail. Unset, it is http:// plus API_LISTEN_ADDR, with
// localhost for an empty or unspecified host (":4000", "0.0.0.0:4000").
func (v *vars) apiPublicURL(listenAddr string) string {
	raw := v.get("API_PUBLIC_URL")
	if raw == "" {
		host, port, err := net.SplitHostPort(listenAddr)
		if err != nil {
			return "" // API_LISTEN_ADDR is reported already
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "localhost"
		}
		return "http://" + net.JoinHostPort(host, port)
	}
	u, err := parseHTTPURL(strings.TrimSuffix(raw, "/"))
	if err != nil {
		v.bad("API_PUBLIC_URL", "%v", err)
		return ""
	}
	return u.String()
}

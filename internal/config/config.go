// Package config reads the app's configuration from environment variables
// (and an optional .env file) and validates it once, at start-up.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is everything the app needs to know about its environment.
// The variables and their defaults are listed in config.example.env.
type Config struct {
	ListenAddr      string     // LISTEN_ADDR
	BaseURL         *url.URL   // BASE_URL, the public URL of the app
	Issuer          string     // OIDC_ISSUER, must equal the iss of ID tokens
	DiscoveryURL    string     // OIDC_DISCOVERY_URL, where the app itself fetches discovery
	ClientID        string     // OIDC_CLIENT_ID
	ClientSecret    string     // OIDC_CLIENT_SECRET
	Scopes          []string   // OIDC_SCOPES, space separated
	LogLevel        slog.Level // LOG_LEVEL
	SessionIdle     time.Duration
	SessionLifetime time.Duration
	ProviderTimeout time.Duration
	SessionStore    *url.URL      // SESSION_STORE: nil for "memory", else a checked redis[s]:// URL
	ShutdownDrain   time.Duration // SHUTDOWN_DRAIN: not-ready time before stopping

	// The demo API (cmd/demo-api) that the /api page calls.
	APIURL              *url.URL      // API_URL
	APITimeout          time.Duration // API_HTTP_TIMEOUT
	ServiceClientID     string        // OIDC_SERVICE_CLIENT_ID: client credentials; "" = off
	ServiceClientSecret string        // OIDC_SERVICE_CLIENT_SECRET
	// SESSION_COOKIE_NAME. Cookies are not port-specific: two instances on
	// localhost:3000 and localhost:3001 need two names.
	SessionCookieName string
	// TOKEN_PAGES: serve the token viewer (/tokens) and the flow inspector
	// (/flow), which render the user's raw tokens. "on" or "off".
	TokenPages bool
	// LOGIN_RATE_LIMIT: GET /login per client address and minute; 0 = off.
	LoginRateLimit int

	// Beyond the basics (fapi.go), each off by default.
	PAR bool // OIDC_PAR: pushed authorization requests (RFC 9126)
	// OIDC_CLIENT_AUTH: client_secret_basic, or private_key_jwt (RFC 7523)
	// with the key in OIDC_CLIENT_KEY_FILE ("" = a new key each start).
	ClientAuth    string
	ClientKeyFile string
	// OIDC_DPOP: DPoP-bound access tokens (RFC 9449), key in OIDC_DPOP_KEY_FILE.
	DPoP        bool
	DPoPKeyFile string
}

// RedirectURL is where the provider sends the browser back with the code.
func (c Config) RedirectURL() string { return c.BaseURL.JoinPath("/callback").String() }

// PostLogoutURL is where the provider sends the browser after logout.
func (c Config) PostLogoutURL() string { return c.BaseURL.JoinPath("/").String() }

// SecureCookies is true when the app is served over https, so the session
// cookie must be Secure (and may use the __Host- prefix).
func (c Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }

// defaults holds the value used when a variable is unset or empty.
var defaults = map[string]string{
	"LISTEN_ADDR":          ":3000",
	"BASE_URL":             "http://localhost:3000",
	"OIDC_ISSUER":          "http://localhost:8080/realms/demo",
	"OIDC_CLIENT_ID":       "demo-app",
	"OIDC_SCOPES":          "openid profile email",
	"LOG_LEVEL":            "info",
	"SESSION_IDLE_TIMEOUT": "30m",
	"SESSION_LIFETIME":     "8h",
	"OIDC_HTTP_TIMEOUT":    "10s",
	"SESSION_STORE":        "memory",
	"SHUTDOWN_DRAIN":       "2s",
	"API_URL":              "http://localhost:4000",
	"API_HTTP_TIMEOUT":     "5s",
	"SESSION_COOKIE_NAME":  "session",
	"TOKEN_PAGES":          "on",
	"LOGIN_RATE_LIMIT":     "120",
	"OIDC_CLIENT_AUTH":     ClientSecretBasic,
	// The demo API's own (cmd/demo-api, LoadAPI).
	"API_LISTEN_ADDR": ":4000",
	"API_AUDIENCE":    "demo-api",
}

// Load builds a Config from getenv, falling back to the values of the .env
// file (dotenv, may be nil) and then to the defaults. It reports every bad
// variable at once, so a learner fixes their setup in one go.
func Load(getenv func(string) string, dotenv map[string]string) (Config, error) {
	v := &vars{getenv: getenv, dotenv: dotenv}
	var cfg Config
	cfg.ListenAddr = v.listenAddr("LISTEN_ADDR")

	base, err := parseHTTPURL(v.get("BASE_URL"))
	if err != nil {
		v.bad("BASE_URL", "%v", err)
	} else if base.Path != "" && base.Path != "/" {
		v.bad("BASE_URL", "must not have a path (the app is served at the root), got %q", base.Path)
	} else {
		base.Path = ""
		cfg.BaseURL = base
	}

	cfg.Issuer, cfg.DiscoveryURL = v.issuer()

	cfg.ClientID = v.get("OIDC_CLIENT_ID")
	cfg.ClientSecret = v.get("OIDC_CLIENT_SECRET")
	if cfg.ClientSecret == "" && v.get("OIDC_CLIENT_AUTH") != PrivateKeyJWT {
		v.bad("OIDC_CLIENT_SECRET", "is required (config.example.env holds the demo realm's secret), unless OIDC_CLIENT_AUTH=private_key_jwt")
	}

	cfg.Scopes = strings.Fields(v.get("OIDC_SCOPES"))
	if !slices.Contains(cfg.Scopes, "openid") {
		v.bad("OIDC_SCOPES", "must contain openid, got %q", v.get("OIDC_SCOPES"))
	}

	cfg.LogLevel = v.logLevel()
	cfg.SessionIdle = v.duration("SESSION_IDLE_TIMEOUT")
	cfg.SessionLifetime = v.duration("SESSION_LIFETIME")
	cfg.ProviderTimeout = v.duration("OIDC_HTTP_TIMEOUT")

	store, err := parseSessionStore(v.get("SESSION_STORE"))
	if err != nil {
		v.bad("SESSION_STORE", "%v", err)
	}
	cfg.SessionStore = store
	// 0 is allowed: stop at once (tests, or nothing in front of the app).
	if d, err := time.ParseDuration(v.get("SHUTDOWN_DRAIN")); err != nil || d < 0 {
		v.bad("SHUTDOWN_DRAIN", "want a duration such as 2s, or 0, got %q", v.get("SHUTDOWN_DRAIN"))
	} else {
		cfg.ShutdownDrain = d
	}

	cfg.SessionCookieName = v.get("SESSION_COOKIE_NAME")
	if !cookieName.MatchString(cfg.SessionCookieName) {
		v.bad("SESSION_COOKIE_NAME", "want letters, digits, - and _ (at most 64, no leading _), got %q", cfg.SessionCookieName)
	}

	loadAPIClient(&cfg, v)
	cfg.TokenPages = v.boolean("TOKEN_PAGES")
	cfg.LoginRateLimit = v.loginRateLimit()
	loadFAPI(&cfg, v)
	checkKeyFiles(cfg, v)                  // keyfiles.go
	refuseDemoSettingsOffLocalhost(cfg, v) // offlocalhost.go

	if err := v.err(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// cookieName is what SESSION_COOKIE_NAME may be: letters, digits, - and _,
// not starting with "__" (the __Host- prefix is added for https).
var cookieName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// parseSessionStore accepts "memory" (nil) or
// redis[s]://[[user]:password@]host[:port][/db]. Its errors never repeat the
// value: it may hold a password.
func parseSessionStore(raw string) (*url.URL, error) {
	if raw == "memory" {
		return nil, nil
	}
	const want = `want "memory" or redis://[:password@]host:port[/db]`
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Opaque != "" {
		return nil, errors.New(want)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%s: the host is missing", want)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%s: bad port %q", want, p)
		}
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			return nil, fmt.Errorf("%s: the database must be a number, got %q", want, db)
		}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: no query or fragment", want)
	}
	return u, nil
}

func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("want an absolute http(s) URL, got %q", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("must not contain user info, a query or a fragment, got %q", raw)
	}
	return u, nil
}

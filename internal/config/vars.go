package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// vars reads configuration variables for Load and LoadAPI: the environment
// first, then the .env file, then the defaults. It collects every problem,
// so one error names every bad variable and a learner fixes them in one go.
type vars struct {
	getenv   func(string) string
	dotenv   map[string]string
	problems []string
}

func (v *vars) get(name string) string {
	if s := strings.TrimSpace(v.getenv(name)); s != "" {
		return s
	}
	if s := strings.TrimSpace(v.dotenv[name]); s != "" {
		return s
	}
	return defaults[name]
}

func (v *vars) bad(name, format string, args ...any) {
	v.problems = append(v.problems, name+": "+fmt.Sprintf(format, args...))
}

// err is nil when no variable was bad.
func (v *vars) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return errors.New("invalid configuration:\n  " + strings.Join(v.problems, "\n  "))
}

func (v *vars) listenAddr(name string) string {
	addr := v.get(name)
	if !strings.Contains(addr, ":") {
		v.bad(name, "want host:port or :port, got %q", addr)
	}
	return addr
}

func (v *vars) duration(name string) time.Duration {
	d, err := time.ParseDuration(v.get(name))
	if err != nil || d <= 0 {
		v.bad(name, "want a positive duration such as 30m or 8h, got %q", v.get(name))
		return 0
	}
	return d
}

// boolean reads a switch: on or off, in any of the usual spellings
// (on/off, true/false, yes/no, 1/0), the same for every variable.
func (v *vars) boolean(name string) bool {
	switch raw := strings.ToLower(v.get(name)); raw {
	case "on", "true", "yes", "1":
		return true
	case "", "off", "false", "no", "0":
		return false
	default:
		v.bad(name, "want on or off, got %q", raw)
		return false
	}
}

func (v *vars) logLevel() slog.Level {
	var level slog.Level
	if err := level.UnmarshalText([]byte(v.get("LOG_LEVEL"))); err != nil {
		v.bad("LOG_LEVEL", "want debug, info, warn or error, got %q", v.get("LOG_LEVEL"))
	}
	return level
}

// issuer reads OIDC_ISSUER and OIDC_DISCOVERY_URL (empty = the issuer).
func (v *vars) issuer() (issuer, discoveryURL string) {
	issuer = strings.TrimSuffix(v.get("OIDC_ISSUER"), "/")
	if _, err := parseHTTPURL(issuer); err != nil {
		v.bad("OIDC_ISSUER", "%v", err)
	}
	discoveryURL = strings.TrimSuffix(v.get("OIDC_DISCOVERY_URL"), "/")
	if discoveryURL == "" {
		return issuer, issuer
	}
	if _, err := parseHTTPURL(discoveryURL); err != nil {
		v.bad("OIDC_DISCOVERY_URL", "%v", err)
	}
	return issuer, discoveryURL
}

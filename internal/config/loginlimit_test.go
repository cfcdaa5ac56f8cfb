package config

import (
	"strings"
	"testing"
)

// LOGIN_RATE_LIMIT: logins per client address and minute, 120 unless set,
// "off" for none (behind a proxy that limits).
func TestLoadLoginRateLimit(t *testing.T) {
	for raw, want := range map[string]int{"": 120, "30": 30, "off": 0, "OFF": 0, "1": 1} {
		cfg, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "LOGIN_RATE_LIMIT": raw}), nil)
		if err != nil || cfg.LoginRateLimit != want {
			t.Errorf("LOGIN_RATE_LIMIT=%q: %d, %v; want %d", raw, cfg.LoginRateLimit, err, want)
		}
	}
	for _, raw := range []string{"0", "-5", "fast", "10/s", "99999999999"} {
		if _, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "LOGIN_RATE_LIMIT": raw}), nil); err == nil || !strings.Contains(err.Error(), "LOGIN_RATE_LIMIT") {
			t.Errorf("LOGIN_RATE_LIMIT=%q: %v, want an error naming it", raw, err)
		}
	}
}

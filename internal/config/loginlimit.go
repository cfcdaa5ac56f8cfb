package config

import (
	"strconv"
	"strings"
)

// loginRateLimit reads LOGIN_RATE_LIMIT: how many logins one client address
// may start a minute (at once, then evenly over the minute), or off (0).
// The default, 120, is far above what a person clicking "Log in" or the
// browser tests need, and still bounds what one address can make the app
// store and push to the provider (PAR).
func (v *vars) loginRateLimit() int {
	raw := v.get("LOGIN_RATE_LIMIT")
	if strings.EqualFold(raw, "off") {
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 1_000_000 {
		v.bad("LOGIN_RATE_LIMIT", "want logins per client and minute (such as 120), or off, got %q", raw)
		return 0
	}
	return n
}

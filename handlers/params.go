package handlers

import (
	"net/url"
	"unicode/utf8"
)

// singleValues returns the named query parameters, each at most once.
// A repeated parameter is suspicious (parameter pollution): ok is false.
func singleValues(q url.Values, names ...string) (map[string]string, bool) {
	values := make(map[string]string, len(names))
	for _, name := range names {
		if len(q[name]) > 1 {
			return nil, false
		}
		values[name] = q.Get(name)
	}
	return values, true
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

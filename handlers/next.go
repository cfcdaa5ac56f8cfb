package handlers

import (
	"net/url"
	"strings"
)

// defaultNext is where a login lands when no (valid) next path was given.
const defaultNext = "/profile"

// safeNext returns raw if it is a path on this app, and ok=false otherwise.
// It is the guard against open redirects (RFC 9700 section 4.11): after
// login the app redirects to next, so next must never lead off-site.
//
// Browsers read "//evil.example" and "/\evil.example" as other hosts, so
// only a single leading "/" followed by something other than "/" or "\" is
// accepted, with no backslashes or control characters anywhere, and the
// value must parse back as a bare path (no scheme, no host, no user).
func safeNext(raw string) (string, bool) {
	if raw == "" || len(raw) > 2048 || raw[0] != '/' {
		return "", false
	}
	if len(raw) > 1 && (raw[1] == '/' || raw[1] == '\\') {
		return "", false
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "", false
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	// A path that decodes to "//host" or "/\host" is as risky as the raw
	// form if anything downstream decodes it before redirecting.
	if strings.HasPrefix(u.Path, "//") || strings.HasPrefix(u.Path, "/\\") {
		return "", false
	}
	if !strings.HasPrefix(u.Path, "/") {
		return "", false
	}
	u.Fragment = ""
	return u.RequestURI(), true
}

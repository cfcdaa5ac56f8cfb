// Package display holds the small helpers every page that shows protocol
// messages needs, written once: times, shortened text, pretty JSON, a JWT
// split into its parts, and the ways a credential is shown without being
// given away. Nothing here checks anything: it only prepares for reading.
package display

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Time is how pages show an instant: UTC, to the second.
func Time(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// Truncate shortens s to at most max bytes (never in the middle of a UTF-8
// character), marking the cut with "…".
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// PrettyJSON indents a JSON document; anything else comes back as it is.
func PrettyJSON(raw []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, bytes.TrimSpace(raw), "", "  ") != nil {
		return string(raw)
	}
	return buf.String()
}

// JSONValue shows a JSON value: a string without its quotes, anything else
// as compact JSON.
func JSONValue(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return string(raw)
	}
	return buf.String()
}

// JWT is a compact JWS split into its parts and base64url-decoded, WITHOUT
// any check of its signature: for showing a token, never for trusting it.
type JWT struct {
	Header  []byte // JSON
	Payload []byte // JSON
}

// DecodeJWT splits header.payload.signature and decodes the first two.
func DecodeJWT(raw string) (JWT, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return JWT{}, errors.New("not a JWT: want three dot-separated parts")
	}
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return JWT{}, errors.New("not a JWT: header is not base64url")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return JWT{}, errors.New("not a JWT: payload is not base64url")
	}
	if !json.Valid(header) || !json.Valid(payload) {
		return JWT{}, errors.New("not a JWT: header or payload is not JSON")
	}
	return JWT{Header: header, Payload: payload}, nil
}

// Claim reads one string claim of the payload ("" when absent).
func (j JWT) Claim(name string) string {
	var claims map[string]json.RawMessage
	json.Unmarshal(j.Payload, &claims)
	var s string
	json.Unmarshal(claims[name], &s)
	return s
}

// Redacted is what is shown instead of a secret.
const Redacted = "(redacted)"

// WithoutSignature keeps a JWT's header and claims, which a learner reads,
// and drops its signature: without it the JWT proves nothing to anyone.
// "" for something that is not a JWT.
func WithoutSignature(jwt string) string {
	i := strings.LastIndex(jwt, ".")
	if jwt == "" || i < 0 || strings.Count(jwt, ".") != 2 {
		return ""
	}
	return jwt[:i] + ".(signature redacted)"
}

// Abbreviate shows a token by its start: of a JWT the start of its header
// (no secret in it), of an opaque token nothing; and its length.
func Abbreviate(token string) string {
	return AbbreviateStart(token[:min(len(token), abbreviatedStart+1)], len(token))
}

// abbreviatedStart is how much of a JWT's header Abbreviate shows.
const abbreviatedStart = 10

// AbbreviateStart is Abbreviate for a token of which only its start (at
// least its first 11 characters, when it has them) and its length are at
// hand: no need to copy a whole token to show 10 characters of it.
func AbbreviateStart(start string, length int) string {
	if !strings.HasPrefix(start, "eyJ") || length <= abbreviatedStart {
		return fmt.Sprintf("%s (%d characters)", Redacted, length)
	}
	return fmt.Sprintf("%s… (%d characters)", start[:abbreviatedStart], length)
}

// Authorization shows an Authorization header value without its
// credentials: the scheme, and what the credentials were.
func Authorization(value string) string {
	scheme, credentials, _ := strings.Cut(value, " ")
	switch {
	case value == "":
		return ""
	case strings.EqualFold(scheme, "Basic"):
		return scheme + " " + Redacted + " (client_id:client_secret, each form-urlencoded, then base64: RFC 6749 section 2.3.1)"
	default:
		return scheme + " " + Abbreviate(credentials) + " (the access token)"
	}
}

package inspector

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// IDTokenReport lists the checks internal/auth made of the ID token, with
// the values the token carried. It is derived from the verified token after
// the login succeeded, so every check listed passed (or did not apply);
// the attack tests in handlers/ show that each one, when it fails, ends the
// login instead.
type IDTokenReport struct {
	Algorithm string // the JWS header's alg
	KeyID     string // the JWS header's kid: which key of the JWKS signed it
	Checks    []Check
	CheckedAt time.Time
}

// Check is one check of the ID token and its outcome.
type Check struct {
	Name     string // the claim checked ("iss", "nonce", ...) or "signature"
	Outcome  string // CheckPassed or CheckNotApplicable
	Value    string // what the token said
	Expected string // what the app required
}

// Outcomes of a Check. There is no "failed": a failed check ends the login.
const (
	CheckPassed        = "passed"
	CheckNotApplicable = "not applicable"
)

// Expected are the values the checks compared the token with.
type Expected struct {
	Issuer   string // OIDC_ISSUER
	ClientID string
	Nonce    string // sent in this login's authorization request
}

// ReportIDToken lists the checks of a verified ID token (raw, compact JWS),
// in the order internal/auth/login.go makes them.
func ReportIDToken(raw string, want Expected, checkedAt time.Time) IDTokenReport {
	// The token was verified by internal/auth before it got here: this
	// only reads it.
	jwt, _ := auth.DecodeJWT(raw)
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	json.Unmarshal(jwt.Header, &h)
	var c struct {
		Iss    string   `json:"iss"`
		Aud    audience `json:"aud"`
		Exp    int64    `json:"exp"`
		Sub    string   `json:"sub"`
		Iat    int64    `json:"iat"`
		Azp    string   `json:"azp"`
		Nonce  string   `json:"nonce"`
		AtHash string   `json:"at_hash"`
	}
	json.Unmarshal(jwt.Payload, &c)

	r := IDTokenReport{Algorithm: h.Alg, KeyID: h.Kid, CheckedAt: checkedAt}
	pass := func(name, value, expected string) {
		r.Checks = append(r.Checks, Check{Name: name, Outcome: CheckPassed, Value: value, Expected: expected})
	}
	absent := func(name, why string) {
		r.Checks = append(r.Checks, Check{Name: name, Outcome: CheckNotApplicable, Value: "(absent)", Expected: why})
	}
	pass("signature", "alg "+h.Alg+", kid "+h.Kid,
		"a valid signature by a key of the provider's JWKS, with an algorithm the provider advertises (never none)")
	pass("iss", c.Iss, want.Issuer+" (OIDC_ISSUER)")
	pass("aud", strings.Join(c.Aud, ", "), "contains "+want.ClientID+" (this client)")
	pass("exp", unixTime(c.Exp), "later than the time of the check, "+formatTime(checkedAt))
	pass("sub", c.Sub, "present: the user's id at the provider")
	pass("iat", unixTime(c.Iat), "present: when the token was issued")
	if c.Azp != "" {
		pass("azp", c.Azp, want.ClientID+" (this client)")
	} else {
		absent("azp", "required only when aud names several parties")
	}
	pass("nonce", c.Nonce, want.Nonce+" (sent in the authorization request)")
	if c.AtHash != "" {
		pass("at_hash", c.AtHash, "the left half of the access token's hash (SHA-256 for RS256), base64url")
	} else {
		absent("at_hash", "optional in the code flow; checked when present")
	}
	return r
}

// audience is the aud claim: one string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	err := json.Unmarshal(b, &many)
	*a = slices.Clip(audience(many))
	return err
}

func unixTime(sec int64) string {
	if sec == 0 {
		return "(absent)"
	}
	return formatTime(time.Unix(sec, 0))
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "(absent)"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

package auth

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/oauth2"
)

// LoginTrace records one login step by step, as it really happened: what
// the app sent, what came back, and every check it made. The flow inspector
// (GET /flow) shows it to the user whose login it was, so a learner can see
// their own state, nonce and PKCE values travel through the flow.
//
// StartLogin's part (the authorization request) is kept with the pending
// login until the callback; CompleteLogin records the rest. A trace exists
// only for a login that succeeded: a failed check ends the login instead.
//
// It never holds the client secret: no field of it is ever set from
// Settings.ClientSecret. x/oauth2 adds the secret to the token request itself
// (HTTP Basic), and the trace notes only the method (client_secret_basic).
// TestTraceNeverHoldsTheClientSecret walks every field to keep it so.
//
// It does hold the authorization code and the code_verifier: once the login
// has completed both are spent (a code works once, RFC 6749 4.1.2), and the
// trace stays server-side, in the session store, like the tokens.
type LoginTrace struct {
	Authorization AuthorizationTrace // step 1 (RFC 6749 4.1.1)
	Callback      CallbackTrace      // step 2 (RFC 6749 4.1.2)
	TokenRequest  TokenRequestTrace  // step 3 (RFC 6749 4.1.3, RFC 7636 4.5)
	TokenResponse TokenResponseTrace // step 4 (RFC 6749 4.1.4, 5.1)
	IDToken       IDTokenTrace       // step 5 (OpenID Connect Core 3.1.3.7)
	UserInfo      UserInfoTrace      // step 6 (OpenID Connect Core 5.3)
}

// AuthorizationTrace is the authorization request the browser was sent with.
type AuthorizationTrace struct {
	URL    string // the whole URL, with every parameter
	SentAt time.Time
}

// CallbackTrace is what the browser brought back to the redirect_uri. Its
// state matched a login this browser session had started (otherwise there
// would be no trace), and that pending login was then forgotten.
type CallbackTrace struct {
	Code       string // single use, and already redeemed in the token request
	State      string
	ReceivedAt time.Time
}

// TokenRequestTrace is the back-channel POST to the token endpoint.
type TokenRequestTrace struct {
	Endpoint     string
	GrantType    string
	Code         string
	RedirectURI  string
	CodeVerifier string
	ClientID     string
	// ClientAuth is how the client proved who it is, e.g.
	// "client_secret_basic" (HTTP Basic with client_id and secret). Only the
	// method: the secret is never recorded.
	ClientAuth string
	SentAt     time.Time
}

// TokenResponseTrace is what the token endpoint answered, without the tokens
// themselves (those are in Login.Tokens).
type TokenResponseTrace struct {
	TokenType        string
	ExpiresIn        string // seconds, as the response said; "" if absent
	RefreshExpiresIn string // Keycloak's refresh_expires_in; "" if absent
	Scope            string // as granted; "" if the response did not say
	AccessToken      bool   // which tokens came
	IDToken          bool
	RefreshToken     bool
	ReceivedAt       time.Time
}

// IDTokenTrace is the ID token's checks, in the order they ran.
type IDTokenTrace struct {
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

// Outcomes of a Check. There is no "failed": a failed check ends the login,
// and only completed logins have a trace.
const (
	CheckPassed        = "passed"
	CheckNotApplicable = "not applicable"
)

// UserInfoTrace is the call to the userinfo endpoint.
type UserInfoTrace struct {
	Endpoint       string // "" when the provider has none: no call was made
	Subject        string // the sub of the answer
	SubjectMatches bool   // equal to the ID token's sub (Core 5.3.2)
}

// record appends a check. A nil trace records nothing (token refresh).
func (t *IDTokenTrace) record(name, outcome, value, expected string) {
	if t != nil {
		t.Checks = append(t.Checks, Check{Name: name, Outcome: outcome, Value: value, Expected: expected})
	}
}

// start notes the ID token's header before its checks run.
func (t *IDTokenTrace) start(raw string) {
	if t == nil {
		return
	}
	t.CheckedAt = time.Now()
	if jwt, err := DecodeJWT(raw); err == nil {
		var header struct {
			Alg string `json:"alg"`
			Kid string `json:"kid"`
		}
		json.Unmarshal(jwt.Header, &header)
		t.Algorithm, t.KeyID = header.Alg, header.Kid
	}
}

func (t *IDTokenTrace) alg() string {
	if t == nil {
		return ""
	}
	return t.Algorithm
}

func (t *IDTokenTrace) kid() string {
	if t == nil {
		return ""
	}
	return t.KeyID
}

// extraString is a field of the token response as text ("" if absent):
// expires_in arrives as a JSON number, scope as a string.
func extraString(token *oauth2.Token, name string) string {
	switch v := token.Extra(name).(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// clientAuthMethod names how x/oauth2 sends the client's credentials, with
// the names of OpenID Connect Core 9.
func clientAuthMethod(style oauth2.AuthStyle) string {
	switch style {
	case oauth2.AuthStyleInHeader:
		return "client_secret_basic"
	case oauth2.AuthStyleInParams:
		return "client_secret_post"
	default:
		return "automatic (x/oauth2 tries client_secret_basic, then client_secret_post)"
	}
}

// traceTime formats a time the way the trace shows values.
func traceTime(t time.Time) string {
	if t.IsZero() {
		return "(absent)"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

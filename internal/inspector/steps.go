package inspector

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/display"
)

// Flow is a login's record read as the steps of the Authorization Code flow
// (the numbers are those of /flow). The FAPI 2.0 steps are nil when the
// login did not use them.
type Flow struct {
	Authorization   AuthorizationStep // 1
	Pushed          *PushedStep       // 1a, RFC 9126
	Callback        CallbackStep      // 2
	TokenRequest    TokenRequestStep  // 3
	ClientAssertion *AssertionStep    // 3a, RFC 7523
	DPoP            *DPoPStep         // 3b, RFC 9449
	TokenResponse   TokenResponseStep // 4
	IDToken         IDTokenStep       // 5
	UserInfo        UserInfoStep      // 6
}

// AuthorizationStep is the request the browser carried to the provider.
type AuthorizationStep struct {
	URL      string
	Endpoint string  // the URL without its query
	Params   []Field // its query, in order
	// Sent is the whole authorization request: Params, or with PAR the
	// pushed form (the URL then holds only a reference to it).
	Sent []Field
	At   time.Time
}

// PushedStep is the authorization request pushed on the back channel.
type PushedStep struct {
	Endpoint   string
	Params     []Field
	RequestURI string
	ExpiresIn  string
	Exchange   Exchange
}

// CallbackStep is what the browser brought back.
type CallbackStep struct {
	Path         string // the redirect_uri's path
	Code, State  string
	Issuer       string // iss (RFC 9207), "" if absent
	StateMatches bool   // the state is the one sent in step 1
	Took         time.Duration
	At           time.Time
}

// TokenRequestStep is the code exchange.
type TokenRequestStep struct {
	Endpoint   string
	Params     []Field
	ClientID   string
	ClientAuth string // client_secret_basic, client_secret_post, private_key_jwt or none (OpenID Connect Core 9)
	// PKCE (RFC 7636 4.6): the verifier sent now, its S256 hash computed
	// again here, and the challenge sent in step 1.
	Verifier          string
	ComputedChallenge string
	SentChallenge     string
	ChallengeMatches  bool
	Exchange          Exchange
}

// AssertionStep is the client assertion of private_key_jwt, decoded.
type AssertionStep struct {
	Header, Claims []Field
	UsedAt         []string // the requests that carried one
}

// DPoPStep lists the DPoP proofs the login sent, decoded.
type DPoPStep struct {
	Proofs    []Proof
	TokenType string
}

// Proof is one DPoP proof and the request it went with.
type Proof struct {
	Request        string
	Header, Claims []Field
}

// TokenResponseStep is what the token endpoint answered.
type TokenResponseStep struct {
	TokenType, ExpiresIn, RefreshExpiresIn, Scope string
	Arrived                                       map[string]bool // access_token, id_token, refresh_token
	Exchange                                      Exchange
}

// IDTokenStep lists the checks of the ID token.
type IDTokenStep struct {
	Algorithm, KeyID string
	Checks           []CheckResult
}

// CheckResult is one check of auth.IDTokenChecks, with what the token said
// and what the app required. Outcome is CheckPassed only for a check the
// protocol code reported it made (auth.Login.Checked).
type CheckResult struct {
	auth.IDTokenCheck
	Outcome  string
	Value    string
	Expected string
}

// The outcomes of a check. There is no "failed": a failed check ends the
// login, and there is no record.
const (
	CheckPassed        = "passed"
	CheckNotApplicable = "not applicable" // azp or at_hash absent from the token
	CheckNotPerformed  = "not performed"  // the code did not report it
)

// UserInfoStep is the userinfo call.
type UserInfoStep struct {
	Called         bool // false: the provider has no userinfo endpoint
	Endpoint       string
	Subject        string
	IDTokenSubject string
	Matches        bool
	Exchange       Exchange
}

// Expected are the app's values the checks compare with.
type Expected struct{ Issuer, ClientID string }

// Analyze reads a record as the flow's steps.
func Analyze(r Record, want Expected) Flow {
	var f Flow
	endpoint, query, _ := CutQuery(r.AuthorizationURL)
	params, _ := ParseQuery(query)
	f.Authorization = AuthorizationStep{URL: r.AuthorizationURL, Endpoint: endpoint, Params: params, Sent: params, At: r.StartedAt}
	if i := slices.IndexFunc(r.Pushed, func(e Exchange) bool { return Value(e.Request.Fields, "response_type") != "" }); i >= 0 {
		e := r.Pushed[i]
		f.Pushed = &PushedStep{Endpoint: e.URL, Params: e.Request.Fields,
			RequestURI: e.Response.Get("request_uri"), ExpiresIn: e.Response.Get("expires_in"), Exchange: e}
		f.Authorization.Sent = e.Request.Fields
	}
	sent := f.Authorization.Sent

	cb := r.Callback
	f.Callback = CallbackStep{Code: cb.Code, State: cb.State, Issuer: cb.Issuer, At: cb.ReceivedAt,
		StateMatches: cb.State != "" && cb.State == Value(sent, "state"),
		Took:         max(cb.ReceivedAt.Sub(r.StartedAt).Round(time.Second), 0)}
	if _, path, ok := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(Value(sent, "redirect_uri"), "http://"), "https://"), "/"); ok {
		f.Callback.Path = "/" + path
	}

	tokenCall, userInfoCall := findCalls(r.Exchanges)
	form := tokenCall.Request.Fields
	verifier := Value(form, "code_verifier")
	computed := oauth2.S256ChallengeFromVerifier(verifier)
	f.TokenRequest = TokenRequestStep{Endpoint: tokenCall.URL, Params: form, ClientID: Value(sent, "client_id"),
		ClientAuth: clientAuthMethod(tokenCall), Verifier: verifier, ComputedChallenge: computed,
		SentChallenge: Value(sent, "code_challenge"), ChallengeMatches: computed == Value(sent, "code_challenge"),
		Exchange: tokenCall}
	f.ClientAssertion = assertionStep(Value(form, "client_assertion"), append(slices.Clone(r.Pushed), r.Exchanges...))

	answer := tokenCall.Response
	f.TokenResponse = TokenResponseStep{TokenType: answer.Get("token_type"), ExpiresIn: answer.Get("expires_in"),
		RefreshExpiresIn: answer.Get("refresh_expires_in"), Scope: answer.Get("scope"), Exchange: tokenCall,
		Arrived: map[string]bool{"access_token": answer.Get("access_token") != "", "id_token": answer.Get("id_token") != "",
			"refresh_token": answer.Get("refresh_token") != ""}}
	f.DPoP = dpopStep(r.Exchanges, f.TokenResponse.TokenType)

	checkedAt := tokenCall.ReceivedAt
	if checkedAt.IsZero() {
		checkedAt = cb.ReceivedAt
	}
	f.IDToken = idTokenStep(r, want, Value(sent, "nonce"), checkedAt)

	f.UserInfo = UserInfoStep{Called: userInfoCall.URL != "", Endpoint: userInfoCall.URL,
		Subject: userInfoCall.Response.Get("sub"), IDTokenSubject: r.IDToken.Claims["sub"], Exchange: userInfoCall}
	f.UserInfo.Matches = f.UserInfo.Subject != "" && f.UserInfo.Subject == f.UserInfo.IDTokenSubject
	return f
}

// findCalls picks the token request (a POST with grant_type
// authorization_code) and the userinfo call (a GET with an access token)
// from the back-channel calls of the callback. Others, such as a JWKS fetch
// to check the ID token's signature, are not steps of their own.
func findCalls(exchanges []Exchange) (token, userInfo Exchange) {
	for _, e := range exchanges {
		authorization := Value(e.RequestHeader, "Authorization")
		switch {
		case e.Method == "POST" && Value(e.Request.Fields, "grant_type") == "authorization_code":
			token = e
		case e.Method == "GET" && (strings.HasPrefix(authorization, "Bearer ") || strings.HasPrefix(authorization, "DPoP ")):
			userInfo = e
		}
	}
	return token, userInfo
}

// clientAuthMethod names how the client proved who it is (OpenID Connect
// Core 9), from the request as it was sent.
func clientAuthMethod(e Exchange) string {
	switch {
	case strings.HasPrefix(Value(e.RequestHeader, "Authorization"), "Basic "):
		return "client_secret_basic"
	case Value(e.Request.Fields, "client_assertion") != "":
		return "private_key_jwt"
	case Value(e.Request.Fields, "client_secret") != "":
		return "client_secret_post"
	}
	return "none"
}

func assertionStep(assertion string, exchanges []Exchange) *AssertionStep {
	if assertion == "" {
		return nil
	}
	a := &AssertionStep{}
	a.Header, a.Claims = jwtFields(assertion)
	for _, e := range exchanges {
		if Value(e.Request.Fields, "client_assertion") != "" {
			a.UsedAt = append(a.UsedAt, e.Method+" "+e.URL)
		}
	}
	return a
}

func dpopStep(exchanges []Exchange, tokenType string) *DPoPStep {
	var d DPoPStep
	for _, e := range exchanges {
		if proof := Value(e.RequestHeader, "DPoP"); proof != "" {
			p := Proof{Request: e.Method + " " + e.URL}
			p.Header, p.Claims = jwtFields(proof)
			d.Proofs = append(d.Proofs, p)
		}
	}
	if len(d.Proofs) == 0 {
		return nil
	}
	d.TokenType = tokenType
	return &d
}

// jwtFields decodes a JWT's header and claims into fields, sorted by name.
// (Kept without signatures; no check: the app's own messages.)
func jwtFields(jwt string) (header, claims []Field) {
	d, err := display.DecodeJWT(jwt)
	if err != nil {
		return nil, nil
	}
	return objectFields(d.Header), objectFields(d.Payload)
}

func objectFields(data []byte) []Field {
	var object map[string]json.RawMessage
	if json.Unmarshal(data, &object) != nil {
		return nil
	}
	fields := make([]Field, 0, len(object))
	for name, v := range object {
		fields = append(fields, Field{name, display.JSONValue(v)})
	}
	slices.SortFunc(fields, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
	return fields
}

// idTokenStep lists every check of auth.IDTokenChecks with what the token
// said. A check is shown passed only if the protocol code reported it.
func idTokenStep(r Record, want Expected, nonceSent string, checkedAt time.Time) IDTokenStep {
	c := r.IDToken.Claims
	expected := map[string]string{
		auth.CheckSignature: "a valid signature by a key of the provider's JWKS, with an algorithm the provider advertises (never none)",
		auth.CheckIssuer:    want.Issuer + " (OIDC_ISSUER)",
		auth.CheckAudience:  "contains " + want.ClientID + " (this client)",
		auth.CheckExpiry:    "later than the time of the check, " + display.Time(checkedAt),
		auth.CheckSubject:   "present: the user's id at the provider",
		auth.CheckIssuedAt:  "present: when the token was issued",
		auth.CheckAZP:       want.ClientID + " (this client)",
		auth.CheckNonce:     nonceSent + " (sent in the authorization request)",
		auth.CheckAtHash:    "the left-most half of the access token's hash (the hash of alg: SHA-256 for RS256, PS256 and ES256), base64url",
	}
	value := map[string]string{
		auth.CheckSignature: "alg " + r.IDToken.Algorithm + ", kid " + r.IDToken.KeyID,
		auth.CheckExpiry:    unixText(c["exp"]),
		auth.CheckIssuedAt:  unixText(c["iat"]),
	}
	step := IDTokenStep{Algorithm: r.IDToken.Algorithm, KeyID: r.IDToken.KeyID}
	for _, check := range auth.IDTokenChecks() {
		v, ok := value[check.Name]
		if !ok {
			v, ok = c[check.Name]
			if !ok {
				v = "(absent)"
			}
		}
		result := CheckResult{IDTokenCheck: check, Value: v, Expected: expected[check.Name], Outcome: CheckNotPerformed}
		switch {
		case slices.Contains(r.Checked, check.Name):
			result.Outcome = CheckPassed
		case (check.Name == auth.CheckAZP || check.Name == auth.CheckAtHash) && !ok:
			result.Outcome = CheckNotApplicable
		}
		step.Checks = append(step.Checks, result)
	}
	return step
}

func unixText(s string) string {
	var sec int64
	if json.Unmarshal([]byte(s), &sec) != nil || sec == 0 {
		return "(absent)"
	}
	return display.Time(time.Unix(sec, 0))
}

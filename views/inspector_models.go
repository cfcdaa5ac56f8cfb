package views

// View models of the pages that show a user their own login: the flow
// inspector (/flow), the token viewer (/tokens), the role-protected page
// (/admin, and its 403) and the grants explainer (/grants).

// FlowView is the flow inspector: the user's own login, step by step.
type FlowView struct {
	Nav Nav
	// Recorded is false when the session holds no record of the login
	// (it happened before the app kept records): the page says to log in
	// again.
	Recorded      bool
	LoggedInAt    string
	Diagram       []SeqMessage
	Authorization FlowAuthorization
	Callback      FlowCallback
	TokenRequest  FlowTokenRequest
	TokenResponse FlowTokenResponse
	IDToken       FlowIDToken
	UserInfo      FlowUserInfo
	// The FAPI 2.0 options, when the login used them (nil otherwise).
	Pushed          *FlowPushed
	ClientAssertion *FlowAssertion
	DPoP            *FlowDPoP
}

// Lanes of the sequence diagram.
const (
	LaneBrowser  = 1
	LaneApp      = 2
	LaneKeycloak = 3
)

// SeqMessage is one arrow of the sequence diagram. From == To is something
// a party does by itself (drawn as a box on its lane).
type SeqMessage struct {
	From, To int    // LaneBrowser, LaneApp or LaneKeycloak
	Step     int    // the step it belongs to (links to #step-N); 0 = none
	Label    string // e.g. "GET /callback?code&state"
	Reply    bool   // an answer (drawn dashed)
}

// StepInfo is what every step names: its number and title, the code that
// does it and the specification sections it follows.
type StepInfo struct {
	Number string // "1" to "6"; "1a", "3a", "3b" for the FAPI 2.0 options' steps
	Title  string
	At     string // when it happened
	Code   []CodeRef
	Specs  []SpecRef
}

// CodeRef is a function in a file of this repository.
type CodeRef struct{ File, Func string }

// SpecRef is a section of a specification, with a link to it.
type SpecRef struct{ Name, URL string }

// Param is a name, its value and what it means.
type Param struct{ Name, Value, Meaning string }

// FlowAuthorization is step 1: the authorization request.
type FlowAuthorization struct {
	Step     StepInfo
	URL      string // the whole URL the browser was sent to
	Endpoint string // the URL without its query
	Params   []Param
}

// FlowCallback is step 2: the browser comes back with a code and the state.
type FlowCallback struct {
	Step         StepInfo
	Request      string // the request line, e.g. GET /callback?code=…&state=…
	Code         string
	State        string
	StateMatches bool   // the state is the one sent in step 1
	PendingAge   string // how long the login took, e.g. "12 s"
	// Issuer is the callback's iss parameter (RFC 9207), "" if absent.
	Issuer string
}

// WireMessage is an HTTP request or response as it went over the wire,
// with the secrets redacted (internal/inspector/fields.go).
type WireMessage struct {
	StartLine string // "POST https://…/token" or "HTTP 200"
	Headers   []Param
	Body      string
}

// FlowTokenRequest is step 3: the back-channel code exchange.
type FlowTokenRequest struct {
	Step       StepInfo
	Endpoint   string
	Params     []Param // the form: grant_type, code, redirect_uri, code_verifier
	ClientID   string
	ClientAuth string // e.g. client_secret_basic
	// PKCE: the verifier sent now, its S256 hash computed for this page,
	// and the challenge sent in step 1.
	Verifier          string
	ComputedChallenge string
	SentChallenge     string
	ChallengeMatches  bool
	Wire              WireMessage // the request as sent
}

// SecretMask is all the pages ever show of the client secret. It is a
// constant: nothing of the secret (not its length, not a prefix) is shown.
const SecretMask = "•••••••• (hidden: never recorded, never shown)"

// FlowTokenResponse is step 4: what the token endpoint answered.
type FlowTokenResponse struct {
	Step   StepInfo
	Fields []Param
	Tokens []TokenArrival
	Wire   WireMessage // the response as received
}

// TokenArrival says whether a token came in the response, and what it is.
type TokenArrival struct {
	Name    string // e.g. "id_token"
	Came    bool
	Meaning string
}

// FlowIDToken is step 5: the ID token's checks.
type FlowIDToken struct {
	Step      StepInfo
	Algorithm string
	KeyID     string
	Checks    []FlowCheck
}

// FlowCheck is one check of the ID token and its outcome.
type FlowCheck struct {
	Name     string // "iss", "signature", ...
	Meaning  string
	Value    string // what the token said
	Expected string // what the app required
	Outcome  string // "passed" or "not applicable"
	Passed   bool
	Spec     SpecRef
}

// FlowUserInfo is step 6: the userinfo call.
type FlowUserInfo struct {
	Step           StepInfo
	Called         bool // false: the provider has no userinfo endpoint
	Endpoint       string
	Subject        string // the sub of the userinfo answer
	IDTokenSubject string
	Matches        bool
	Request        WireMessage
	Response       WireMessage
}

// TokensView is the token viewer.
type TokensView struct {
	Nav        Nav
	Tokens     []TokenDetail
	CanRefresh bool           // there is a refresh token
	Refreshed  *RefreshResult // just refreshed: old and new expiry; nil otherwise
	// GrantedScope is the scope of the last token response (RFC 6749
	// section 5.1), space separated.
	GrantedScope string
}

// TokenDetail is one token, decoded for display.
type TokenDetail struct {
	Key     string // "id-token", "access-token", "refresh-token": anchors and test ids
	Title   string // "ID token"
	Purpose string // who it is for, in a sentence
	Present bool   // false: the provider issued none
	Raw     string
	JWT     bool   // false: opaque, only the provider can read it
	Expiry  Expiry // as the app keeps it (zero At: not known)
	Header  []ClaimRow
	Claims  []ClaimRow
}

// ClaimRow is one claim (or header parameter) of a token.
type ClaimRow struct {
	Name    string
	Value   string // as in the token (JSON for objects and arrays)
	When    string // for times: the date and "in 4 min" / "3 min ago"
	Meaning string // a short phrase; "" for claims without a known meaning
}

// RefreshResult compares the tokens before and after "Refresh now".
type RefreshResult struct {
	Before Expiry // the old access token's expiry
	After  Expiry // the new one's
}

// AdminView is the page only realm role "admin" may see.
type AdminView struct {
	Nav        Nav
	Role       string
	RealmRoles []string
}

// MissingRoleView is the 403 page of a role-protected page.
type MissingRoleView struct {
	Nav        Nav
	Role       string   // the realm role the page needs
	RealmRoles []string // the roles the user has
}

// GrantsView is the page explaining the choice of grant.
type GrantsView struct {
	Nav Nav
}

// The options of the FAPI 2.0 security profile, each shown as its own step
// when the login used it (views/fapi.templ). nil = not used.

// FlowPushed is step 1a: the pushed authorization request (RFC 9126).
type FlowPushed struct {
	Endpoint   string
	Params     []Param // what was pushed: the whole authorization request
	RequestURI string
	ExpiresIn  string
	Request    WireMessage
	Response   WireMessage
}

// FlowAssertion is step 3a: the client assertion of private_key_jwt (RFC
// 7523), decoded. Its signature is not kept; Signature says what signed it.
type FlowAssertion struct {
	Header    []Param
	Claims    []Param
	Signature string // e.g. "ES256 by the app's key (kid …)"
	UsedAt    []string
}

// FlowDPoP is step 3b: the DPoP proofs (RFC 9449), decoded, and the binding
// of the tokens they got.
type FlowDPoP struct {
	Proofs    []FlowProof
	TokenType string // the token response's token_type: DPoP when bound
}

// FlowProof is one DPoP proof as sent.
type FlowProof struct {
	Request string // e.g. "POST https://…/token"
	Header  []Param
	Claims  []Param
}

package views

// SlowView is the login in slow motion (/slow): one hop of a login at a
// time, with the message about to be sent or just received. Only the
// fields of the current hop are filled.
type SlowView struct {
	Nav  Nav
	Hop  int      // 0: not started; 1 to 6: the hop shown
	Hops []string // the hops' names, in order

	Authorization    SlowAuthorization   // hop 1
	Callback         SlowCallback        // hop 2
	TokenRequest     SlowTokenRequest    // hop 3
	TokenRequestWire WireMessage         // hop 4: the token request as it went
	TokenResponse    FlowTokenResponse   // hop 4
	IDToken          FlowIDToken         // hop 5
	UserInfoRequest  SlowUserInfoRequest // hop 5: about to be sent
	UserInfo         FlowUserInfo        // hop 6

	// Refusal is the provider's error answer that ended the run (the
	// page's status is then 4xx or 5xx); nil otherwise.
	Refusal *SlowRefusal
}

// SlowField is a value the learner may change before Continue.
type SlowField struct {
	Name  string // the parameter, and the form field's name
	ID    string // the input's id
	Value string
	Hint  string // what a changed value leads to
}

// SlowAuthorization is hop 1: the authorization request about to be sent.
type SlowAuthorization struct {
	Step     StepInfo
	URL      string // as the browser will carry it (with PAR: what is pushed)
	Endpoint string
	Params   []Param
	Fields   []SlowField // none with PAR
	// PushEndpoint is the pushed authorization request endpoint when the
	// app pushes its requests (RFC 9126); "" otherwise.
	PushEndpoint string
	SentURL      string // the request the browser was last sent with; "" = not yet
}

// SlowCallback is hop 2: the callback as it came.
type SlowCallback struct {
	Step         StepInfo
	Request      string // GET /slow/callback?…, as received
	Code, State  string
	SentState    string // the state of the request sent at hop 1
	StateMatches bool
	Issuer       string
	Error        string // the provider's error code, "" if none
	Description  string // its error_description
	Fields       []SlowField
}

// SlowTokenRequest is hop 3: the token request about to be sent.
type SlowTokenRequest struct {
	Step              StepInfo
	Message           WireMessage // as it will leave, credentials described
	ClientID          string
	ClientAuth        string // client_secret_basic or private_key_jwt
	ClientAuthMeaning string
	Verifier          SlowField
	// PKCE: the verifier's S256 hash, and the challenge sent at hop 1.
	ComputedChallenge string
	SentChallenge     string
	ChallengeMatches  bool
}

// SlowUserInfoRequest is the userinfo request about to be sent.
type SlowUserInfoRequest struct {
	Called  bool // false: the provider has no userinfo endpoint
	Message WireMessage
}

// SlowRefusal is the provider's error answer to a hop.
type SlowRefusal struct {
	Hop                    int
	HopName                string
	Status                 int
	ErrorCode, Description string
	Request, Response      WireMessage
}

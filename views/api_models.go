package views

// APIView is the /api page: the app calling the demo API (a resource
// server) with the user's access token, and as itself.
type APIView struct {
	Nav             Nav
	APIURL          string     // the demo API's base URL; "" = none configured
	AccessToken     TokenFacts // what the user's access token says
	ServiceEnabled  bool       // client credentials configured
	ServiceClientID string
	Result          *APICall // the call just made; nil on GET /api
	// GrantedScope is the scope the token response granted (RFC 6749
	// section 5.1), space separated: what the app knows it may do.
	GrantedScope string
	// WriteStepUp is set when demo-api.write was not granted: the write
	// form is replaced by the offer to ask for it (incremental consent).
	WriteStepUp *StepUp
	// WriteNotSent: a write was asked for without the scope, and the app
	// did not send a token that could not work.
	WriteNotSent bool
}

// StepUp offers a new login that asks for one more scope.
type StepUp struct {
	Scope  string // e.g. demo-api.write
	Action string // the button, e.g. "Allow writing"
	URL    string // /login?next=%2Fapi&scope=demo-api.write
}

// TokenFacts are claims of an access token, decoded for display only (the
// API verifies the token; the app just shows what it sends).
type TokenFacts struct {
	Subject           string
	PreferredUsername string
	AuthorizedParty   string // azp
	Audience          []string
	Scope             string
	RealmRoles        []string
	Expires           Expiry
}

// APICall is one request to the API and its answer.
type APICall struct {
	Name  string // "hello", "admin" or "app-hello"
	Title string // e.g. "alice calls GET /api/hello"
	// Request
	Method        string
	URL           string
	Authorization string // masked: never the whole token
	RequestBody   string // JSON, for the write
	// Response
	Status          int
	StatusText      string // e.g. "403 Forbidden"
	WWWAuthenticate string
	ContentType     string
	Body            string // pretty-printed JSON
	Duration        string // e.g. "12 ms"
	Explanation     string // what the status means here, for a learner
	// Service is set for the client credentials call: how that token differs.
	Service *ServiceTokenFacts
	// StepUp is set when a 403 named a missing scope the app may ask for.
	StepUp *StepUp
}

// Allowed reports whether the API said yes (2xx).
func (c APICall) Allowed() bool { return c.Status >= 200 && c.Status < 300 }

// ServiceTokenFacts describe the token the app got as itself.
type ServiceTokenFacts struct {
	ClientID        string
	Claims          TokenFacts
	HasIDToken      bool
	HasRefreshToken bool
}

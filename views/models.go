// Package views holds the app's pages as templ components. Every component
// is a pure function of the view model it is given: no data fetching, no
// clocks, no session access.
package views

// Nav is what the header needs: who is logged in, if anyone.
type Nav struct {
	LoggedIn bool
	Username string
	// HideTokenPages: TOKEN_PAGES=off, so no links to the token viewer
	// (/tokens) and the flow inspector (/flow), which show raw tokens.
	HideTokenPages bool
	// ShowLab: the attack lab (/lab) is served (token pages on, BASE_URL
	// on this machine).
	ShowLab bool
}

// HomeView is the public home page.
type HomeView struct {
	Nav           Nav
	JustLoggedOut bool // the provider sent the browser back after logout
}

// ProfileView is the logged-in user's page.
type ProfileView struct {
	Nav               Nav
	Name              string
	PreferredUsername string
	Email             string
	EmailVerified     bool
	Subject           string
	SessionID         string
	RealmRoles        []string
	ClientRoles       []ClientRoles
	LoggedInAt        string
	IDTokenExpiry     Expiry
	AccessTokenExpiry Expiry
	HasRefreshToken   bool
	UserInfoJSON      string // the userinfo response as it came, "" if none
}

// ClientRoles are the roles a user has on one client (resource_access).
type ClientRoles struct {
	Client string
	Roles  []string
}

// Expiry is a moment shown both as a date and relative to now.
type Expiry struct {
	At       string // e.g. 2026-11-25 10:04:05 UTC
	Relative string // e.g. "in 4 min" or "3 min ago"
	Expired  bool
}

// LogoutView is the logout confirmation page (GET /logout).
type LogoutView struct {
	Nav Nav
}

// ErrorView is any error page.
type ErrorView struct {
	Nav       Nav
	Status    int
	Title     string
	Message   string // for people: what happened and what to do
	RequestID string
	RetryURL  string
	RetryText string
}

// LadderView is the security ladder (/ladder): the same login done three
// ways, each rung with what it adds, the attack that stops and the test that
// shows it.
type LadderView struct {
	Nav   Nav
	Rungs []LadderRung
}

// LadderRung is one way of doing the login.
type LadderRung struct {
	Key     string // "flask", "default", "fapi": anchors and test ids
	Title   string
	Summary string
	// Request is the authorization request as the browser sees it, and
	// Back what goes over the back channel, for the same login.
	Request string
	Back    string
	// ThisApp: this instance runs this rung (all its options on).
	ThisApp bool
	// Run is where a learner can try this rung, when it runs as a program
	// of its own (the seed app), and how to start it.
	Run *LadderRun
	// Flaws are what the rung gets wrong (the seed app), each with the
	// attack it lets through; Steps are what it adds.
	Flaws []LadderStep
	Steps []LadderStep
}

// LadderRun is where a rung runs: its URL and the commands that start it.
type LadderRun struct {
	URL, How string
}

// LadderStep is one protection: what it is, the attack it stops, where the
// specification asks for it, and the tests that attack it.
type LadderStep struct {
	Protection string
	Stops      string
	// Checks are the parts of a protection made of several checks (the
	// ID token's, from auth.IDTokenChecks), each with its own section.
	Checks []LadderCheck
	Spec   SpecRef
	Tests  []TestRef
	On     bool // in use in this instance
}

// LadderCheck is one check of a protection and the section asking for it.
type LadderCheck struct {
	Name string
	Spec SpecRef
}

// TestRef names a test function in a file of this repository.
type TestRef struct{ File, Func string }

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
	UserInfoJSON      string // pretty-printed userinfo response, "" if none
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

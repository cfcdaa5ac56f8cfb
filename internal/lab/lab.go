// Package lab plays the attacker's side of the attack lab (/lab): it logs
// mallory in at the provider with a browser of its own to get her codes,
// forges ID tokens, and replays stolen access tokens at the demo API. The
// victim is always the learner's own browser, and the attacks are real:
// nothing here weakens the app, which refuses them with its ordinary
// checks. It has no HTTP handlers (handlers/lab*.go are the lab's pages),
// and every request it makes goes to this machine only (loopback.go).
package lab

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Settings say where the lab's targets and the attacker's accounts are.
type Settings struct {
	// AppURL is this app's BASE_URL: the target "this app".
	AppURL *url.URL
	// Issuer is this app's provider (OIDC_ISSUER).
	Issuer string
	// SeedURL is the seed app (cmd/seed, DELIBERATELY INSECURE): the
	// target "the seed app".
	SeedURL string
	// Mallory is the attacker's account, at the app's provider and at
	// the attacker's own one.
	Mallory Credentials
	// AttackerIssuer is a second provider, the attacker's (a second
	// realm in the same Keycloak), and AttackerClientID its client whose
	// redirect URIs are the targets' callbacks: the mix-up card. "" = none.
	AttackerIssuer   string
	AttackerClientID string
	// APIURL is the demo API (API_URL), where stolen access tokens are
	// replayed; "" = none.
	APIURL string
	// DPoPLabURL is the lab of the instance whose tokens are DPoP-bound
	// (OIDC_DPOP on): where an instance without DPoP sends the learner.
	DPoPLabURL string
	// Timeout bounds each request the lab makes.
	Timeout time.Duration
}

// Credentials are a username and a password for a provider's login form.
type Credentials struct{ Username, Password string }

// The demo's lab: the seed app on :3004 (the realm allows exactly
// http://localhost:3004/callback for its client demo-seed), mallory in
// the demo realm and in the realm "attacker" (keycloak/*-realm.json).
const (
	DefaultSeedURL = "http://localhost:3004"
	// The third instance of scripts/demo.sh and docker compose, client
	// demo-app-fapi, runs with DPoP.
	DefaultDPoPLabURL = "http://localhost:3002/lab"
	attackerRealm     = "attacker"
	attackerClientID  = "attacker-app"
)

// DefaultSettings are the lab's settings for the app at appURL whose
// provider is issuer: the attacker's realm sits beside the app's realm in
// the same Keycloak (…/realms/demo → …/realms/attacker); an issuer that is
// not a Keycloak realm has no such neighbour, and the mix-up card says so.
func DefaultSettings(appURL *url.URL, issuer, apiURL string) Settings {
	s := Settings{
		AppURL:     appURL,
		Issuer:     issuer,
		SeedURL:    DefaultSeedURL,
		DPoPLabURL: DefaultDPoPLabURL,
		Mallory:    Credentials{Username: "mallory", Password: "mallory-password"},
		APIURL:     apiURL,
		Timeout:    10 * time.Second,
	}
	if base, _, ok := strings.Cut(issuer, "/realms/"); ok {
		s.AttackerIssuer = base + "/realms/" + attackerRealm
		s.AttackerClientID = attackerClientID
	}
	return s
}

// Lab is the attacker's toolbox. It is safe for concurrent use.
type Lab struct {
	settings  Settings
	transport *http.Transport // loopback only (loopback.go)

	keyOnce sync.Once
	key     *forgeryKey // made on first use (tamper.go)
	keyErr  error
}

// New returns the lab for settings.
func New(settings Settings) *Lab {
	if settings.Timeout == 0 {
		settings.Timeout = 10 * time.Second
	}
	return &Lab{settings: settings, transport: newTransport(settings.Timeout)}
}

// Settings returns the lab's settings.
func (l *Lab) Settings() Settings { return l.settings }

// OtherSite is the app at an address the browser counts as another site,
// where the lab serves the attacker's pages: sites are compared by scheme
// and registrable domain, not by port, so http://localhost:3000 and
// http://127.0.0.1:3000 are two sites (and one app listening on both).
func OtherSite(appURL *url.URL) *url.URL {
	u := *appURL
	u.Path, u.RawQuery, u.Fragment = "", "", ""
	other := "127.0.0.1"
	if u.Hostname() != "localhost" {
		other = "localhost"
	}
	if port := u.Port(); port != "" {
		u.Host = other + ":" + port
	} else {
		u.Host = other
	}
	return &u
}

package views

// The attack lab (/lab): one card per attack, each fired at the seed app
// (cmd/seed, DELIBERATELY INSECURE) and at this app.

// LabView is the lab's page.
type LabView struct {
	Nav       Nav
	LoggedIn  bool
	AppURL    string // this app (BASE_URL)
	SeedURL   string // the seed app
	OtherSite string // this app at the address the browser counts as another site
	Cards     []LabCard
}

// LabCard is one attack.
type LabCard struct {
	Name     string // e.g. "login-csrf": the card's id, data-testid "attack-<name>"
	Title    string
	Attack   string // the attack in two sentences, with the specification's sections
	Requests []LabRequests
	Seed     LabRun
	App      LabRun
	Code     []CodeRef // where this app refuses it
	Tests    []LabTest // the tests that attack it
}

// LabRequests are the exact requests of one target's run, one per line.
type LabRequests struct {
	Target string // "the seed app", "this app"
	Lines  string
}

// LabRun is how the attack is fired at one target, and what happens there.
type LabRun struct {
	Target string // "seed" or "app"
	// One of: a form that POSTs Target to FormAction (the lab plays the
	// attacker, then sends the browser on), or a link the learner
	// follows; neither when the attack cannot be fired here (Unavailable
	// says why, and LinkElsewhere may lead to where it can).
	FormAction string
	Link       string
	Label      string
	// Outcome says what happens, before it does: Lands is true when the
	// attack succeeds there.
	Outcome string
	Lands   bool
	// Status is the HTTP status the browser gets where the attack is
	// refused (0: no error page, e.g. a redirect).
	Status      int
	Unavailable string
	// LinkElsewhere leads to a place the attack can be fired ("" = none).
	LinkElsewhere, LinkElsewhereText string
}

// LabTest is a test that attacks the protection, and the command that runs it.
type LabTest struct {
	File, Func string
	Command    string
}

// LabTamperView is the ID token bench (/lab/tamper): the learner's ID token
// as JSON to edit, and the verdict of the app's checks.
type LabTamperView struct {
	Nav        Nav
	Header     string // the header, as JSON
	Claims     string // the claims, as JSON
	Signature  string // the chosen signature (lab.Signature)
	Signatures []LabChoice
	OtherNonce bool // check as the callback of another login
	Result     *LabTamperResult
	Problem    string // the edit could not be put together
}

// LabChoice is one option of a choice.
type LabChoice struct{ Value, Label string }

// LabTamperResult is what auth.Client.CheckIDToken said of the token.
type LabTamperResult struct {
	Status int    // 200 passed, 400 refused
	Token  string // the token checked, abbreviated
	// Passed: every check passed; Checks lists them, in order.
	Passed bool
	Checks []string
	// Refused: the check that refused it (from the one list of checks),
	// what it stops and where the specification asks for it, and the
	// reason the log line gives.
	Check   string
	Because string // ": it stops …." or "."
	Section SpecRef
	Reason  string
}

// LabStolenView is the result of replaying a stolen access token at the
// demo API.
type LabStolenView struct {
	Nav     Nav
	Target  string // "seed" or "app"
	Whose   string // whose token it was, in words
	Replays []LabReplay
	Lands   bool // the API took it
}

// LabReplay is one presentation of the stolen token and the API's answer.
type LabReplay struct {
	How             string
	Authorization   string // described, never the whole token
	DPoPProof       string // the proof sent, without its signature
	Status          string // e.g. "401 Unauthorized"
	WWWAuthenticate string
	Body            string
}

// LabEvilView is a page of the attacker's site (this app at another
// address, which the browser counts as another site).
type LabEvilView struct {
	Page          string // "logout" or "landed"
	Origin        string // where this page is served
	AppLogoutURL  string // this app's POST /logout
	SeedLogoutURL string // the seed app's GET /logout
	LabURL        string // back to the lab
}

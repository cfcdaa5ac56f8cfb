package handlers

import (
	"context"
	"encoding/json"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/internal/session"
)

// The hops of a login in slow motion (slow.go): the page shows the message
// of the current hop and waits for Continue.
const (
	hopAuthorization = 1 // about to send the authorization request
	hopCallback      = 2 // the callback has just come back
	hopTokenRequest  = 3 // about to send the token request
	hopTokenResponse = 4 // the token response has just come back
	hopIDToken       = 5 // the ID token checked; about to call userinfo
	hopUserInfo      = 6 // the userinfo response has just come back: the end
)

// slowRun is one login in slow motion, kept in the server-side session
// between the hops (session.PutSlowLogin). It expires with the pending
// login it started (session.PendingLoginTTL).
type slowRun struct {
	StartedAt time.Time
	Hop       int

	// Hop 1: the values the app made, and those the browser was sent
	// with (the learner's). SentURL is "" until the request went.
	Made    auth.AuthParams
	Sent    auth.AuthParams
	SentURL string

	// Hop 2: what the browser brought back to /slow/callback.
	Callback slowCallback

	// Hop 3: the code to redeem, and the pending login the callback's
	// state found (session.TakePendingLogin): its verifier and nonce.
	Code, Verifier, Nonce string

	// Hops 3 to 6: the back-channel calls as the flow inspector's
	// transport recorded them (redacted: internal/inspector/fields.go).
	Exchanges []inspector.Exchange
	// Hop 4: the tokens, kept only until the userinfo call.
	Tokens auth.TokenResponse

	// Hop 5: the checks the ID token passed (auth.CheckIDToken) and what
	// it said.
	IDToken inspector.IDTokenFacts
	Checked []string
	Subject string
}

// slowCallback is the query of the callback, as it came.
type slowCallback struct {
	Query                   string // the whole query, as received
	Code, State, Issuer     string
	Error, ErrorDescription string
	ReceivedAt              time.Time
}

// slowRun returns the session's login in slow motion; ok is false when
// there is none, or it is older than a pending login may be.
func (app *App) slowRun(ctx context.Context) (slowRun, bool) {
	encoded := app.sessions.SlowLogin(ctx)
	if encoded == "" {
		return slowRun{}, false
	}
	var run slowRun
	if json.Unmarshal([]byte(encoded), &run) != nil || app.now().Sub(run.StartedAt) >= session.PendingLoginTTL {
		app.sessions.ForgetSlowLogin(ctx)
		return slowRun{}, false
	}
	return run, true
}

// keepSlowRun stores run in the session.
func (app *App) keepSlowRun(ctx context.Context, run slowRun) error {
	encoded, err := json.Marshal(run)
	if err != nil {
		return err
	}
	app.sessions.PutSlowLogin(ctx, string(encoded))
	return nil
}

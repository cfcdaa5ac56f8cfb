package session

import (
	"context"
	"time"
)

// PendingLoginTTL is how long a started login may take: after it, the
// callback is refused and the user starts again.
const PendingLoginTTL = 10 * time.Minute

// maxPending bounds how many logins one browser can have in flight (tabs).
const maxPending = 10

// PendingLogin is what the app remembers between /login and /callback.
// Logins are keyed by their state, so several tabs can log in at once.
type PendingLogin struct {
	Nonce    string
	Verifier string // PKCE code_verifier: server-side only
	Next     string // validated local path to return to
	// ExtraScope was asked for beside the configured scopes (incremental
	// consent; space separated): the callback needs it to know the scope
	// requested.
	ExtraScope string
	StartedAt  time.Time // set by AddPendingLogin
}

// AddPendingLogin remembers a login started in this browser session.
func (m *Manager) AddPendingLogin(ctx context.Context, state string, p PendingLogin) {
	pending := m.livePending(ctx)
	for len(pending) >= maxPending {
		delete(pending, oldest(pending))
	}
	p.StartedAt = m.now()
	pending[state] = p
	m.scs.Put(ctx, keyPending, pending)
	if !m.HasUser(ctx) {
		// Anyone can start a login, and each start is a session in the
		// store. One that holds nothing but pending logins ends with the
		// newest of them, not after the idle timeout: a flood of /login
		// costs at most PendingLoginTTL of storage per request. (Logging
		// in renews the token and with it the deadline: scs RenewToken.)
		m.scs.SetDeadline(ctx, p.StartedAt.Add(PendingLoginTTL))
	}
}

// TakePendingLogin returns the login started with this state and forgets it,
// so a state works once (a replayed callback finds nothing). ok is false for
// an unknown, foreign or expired state.
func (m *Manager) TakePendingLogin(ctx context.Context, state string) (PendingLogin, bool) {
	pending := m.livePending(ctx)
	p, ok := pending[state]
	if ok {
		delete(pending, state)
		m.scs.Put(ctx, keyPending, pending)
	}
	return p, ok
}

// livePending returns a copy of the pending logins that have not expired.
func (m *Manager) livePending(ctx context.Context) map[string]PendingLogin {
	stored, _ := m.scs.Get(ctx, keyPending).(map[string]PendingLogin)
	live := make(map[string]PendingLogin, len(stored)+1)
	for state, p := range stored {
		if m.now().Sub(p.StartedAt) < PendingLoginTTL {
			live[state] = p
		}
	}
	return live
}

func oldest(pending map[string]PendingLogin) string {
	var key string
	var at time.Time
	for state, p := range pending {
		if key == "" || p.StartedAt.Before(at) {
			key, at = state, p.StartedAt
		}
	}
	return key
}

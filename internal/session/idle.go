package session

import (
	"context"
	"time"
)

// The idle timeout: a session unused for IdleTimeout ends (OWASP Session
// Management: idle and absolute timeouts), and none outlives Lifetime.
//
// scs has an idle timeout of its own, but it saves the session on every
// request to move the expiry forward: one encode, one store write and one
// Set-Cookie header per page view, even when nothing in the session changed
// (BENCHMARKS.md, "Session writes"). Here the expiry of a logged-in session
// moves at most once per idleStep; a page view in between writes nothing.
// The session can therefore end up to idleStep earlier than IdleTimeout after
// the last request, never later.

// idleStep is how far the expiry must move before it is worth a write.
const idleStep = time.Minute

// keepAlive moves a logged-in session's expiry to IdleTimeout from now,
// capped at Lifetime after the login, when that moves it by idleStep or
// more. Sessions without a user end with what they hold: pending logins
// (pending.go), the logout notice (logout.go).
func (m *Manager) keepAlive(ctx context.Context) {
	u, ok := m.scs.Get(ctx, keyUser).(User)
	if !ok {
		return
	}
	want := m.idleDeadline(u.LoggedInAt)
	if want.Sub(m.scs.Deadline(ctx)) >= idleStep {
		m.scs.SetDeadline(ctx, want)
	}
}

// idleDeadline is when a session that is used now ends if it is not used
// again: IdleTimeout from now, but never later than Lifetime after the login.
func (m *Manager) idleDeadline(loggedInAt time.Time) time.Time {
	idleEnd, absoluteEnd := m.now().Add(m.idle), loggedInAt.Add(m.scs.Lifetime)
	if idleEnd.After(absoluteEnd) {
		return absoluteEnd
	}
	return idleEnd
}

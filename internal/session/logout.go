package session

import (
	"context"
	"crypto/subtle"
)

const keyLogoutState = "logout_state"

// RememberLogoutState keeps the state sent with a logout request, in the
// fresh session that follows the ended one.
func (m *Manager) RememberLogoutState(ctx context.Context, state string) {
	m.scs.Put(ctx, keyLogoutState, state)
	// A session that holds only this ends after the idle timeout, not
	// after a whole Lifetime: nobody is logged in (idle.go).
	m.scs.SetDeadline(ctx, m.now().Add(m.idle))
}

// TakeLogoutState reports whether state is the one sent with this browser's
// logout request, and forgets it.
func (m *Manager) TakeLogoutState(ctx context.Context, state string) bool {
	want := m.scs.GetString(ctx, keyLogoutState)
	if state == "" || want == "" || subtle.ConstantTimeCompare([]byte(state), []byte(want)) != 1 {
		return false // a wrong state does not use up the real one
	}
	m.scs.Remove(ctx, keyLogoutState)
	return true
}

package session

import "context"

// keySlowLogin holds the login in slow motion (/slow, handlers/slow.go):
// a teaching page's login in progress, which never becomes the session's
// user. The page encodes it (a few strings) and decides when it expires.
const keySlowLogin = "slow_login"

// PutSlowLogin keeps the slow-motion login in progress.
func (m *Manager) PutSlowLogin(ctx context.Context, encoded string) {
	m.scs.Put(ctx, keySlowLogin, encoded)
}

// SlowLogin returns what PutSlowLogin kept, "" when nothing.
func (m *Manager) SlowLogin(ctx context.Context) string {
	return m.scs.GetString(ctx, keySlowLogin)
}

// ForgetSlowLogin removes it (the run ended, or was refused).
func (m *Manager) ForgetSlowLogin(ctx context.Context) {
	m.scs.Remove(ctx, keySlowLogin)
}

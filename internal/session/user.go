package session

import (
	"context"
	"fmt"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// User is the logged-in user of a session, with their tokens.
type User struct {
	auth.Login
	LoggedInAt time.Time
}

// StartUserSession logs the user into the current session. It first gives
// the session a new token (scs RenewToken), so a session id planted in the
// browser before login (session fixation) is worthless afterwards.
func (m *Manager) StartUserSession(ctx context.Context, login auth.Login) error {
	if err := m.scs.RenewToken(ctx); err != nil {
		return fmt.Errorf("renewing session token: %w", err)
	}

	// Index the new session by the provider's session id and the user's
	// subject, so a back-channel logout can find it without a scan. This
	// comes before the user is stored: if it fails, the login fails and
	// the session holds no user (a 500 page, and nobody logged in).
	token := m.scs.Token(ctx)
	expiry := m.now().Add(m.scs.Lifetime)
	if sid := login.Claims.SessionID; sid != "" {
		if err := m.index.Add(ctx, sidKey(sid), token, expiry); err != nil {
			return fmt.Errorf("indexing session by sid: %w", err)
		}
	}
	if err := m.index.Add(ctx, subKey(login.Claims.Subject), token, expiry); err != nil {
		return fmt.Errorf("indexing session by sub: %w", err)
	}

	now := m.now()
	m.scs.Put(ctx, keyUser, User{Login: login, LoggedInAt: now})
	m.scs.SetDeadline(ctx, m.idleDeadline(now)) // the idle timeout runs from here (idle.go)
	return nil
}

// HasUser reports whether the session holds a user, without the checks of
// CurrentUser: for code that already has the user CurrentUser returned.
func (m *Manager) HasUser(ctx context.Context) bool {
	return m.scs.Exists(ctx, keyUser)
}

// CurrentUser returns the session's user. ok is false when nobody is logged
// in, or when a back-channel logout has ended this provider session (sid):
// checked here too, since a request in flight during that logout may have
// saved its copy of the session again. (A new login has a new sid.)
func (m *Manager) CurrentUser(ctx context.Context) (User, bool, error) {
	u, ok := m.scs.Get(ctx, keyUser).(User)
	if !ok {
		return User{}, false, nil
	}
	if sid := u.Claims.SessionID; sid != "" {
		ended, err := m.marks.Marked(ctx, endedKey(sidKey(sid)))
		if err != nil {
			return User{}, false, err
		}
		if ended {
			return User{}, false, m.End(ctx)
		}
	}
	return u, true, nil
}

// UpdateLogin stores the refreshed login (tokens and the claims read from
// them) for the current user and returns the updated user.
func (m *Manager) UpdateLogin(ctx context.Context, u User, login auth.Login) User {
	u.Login = login
	m.scs.Put(ctx, keyUser, u)
	return u
}

// unindex removes token from the index entries StartUserSession made for u.
func (m *Manager) unindex(ctx context.Context, token string, u User) error {
	if sid := u.Claims.SessionID; sid != "" {
		if err := m.index.Remove(ctx, sidKey(sid), token); err != nil {
			return fmt.Errorf("removing session from the index: %w", err)
		}
	}
	if err := m.index.Remove(ctx, subKey(u.Claims.Subject), token); err != nil {
		return fmt.Errorf("removing session from the index: %w", err)
	}
	return nil
}

func sidKey(sid string) string   { return "sid:" + sid }
func subKey(sub string) string   { return "sub:" + sub }
func endedKey(key string) string { return "ended:" + key }

// Token is the current session's token ("" before it was first saved), for
// what is kept beside a session (the flow inspector's record).
func (m *Manager) Token(ctx context.Context) string { return m.scs.Token(ctx) }

// Login is the login of the session's user, and when it was made; ok is
// false when nobody is logged in.
func (m *Manager) Login(ctx context.Context) (login auth.Login, at time.Time, ok bool) {
	u, ok := m.scs.Get(ctx, keyUser).(User)
	return u.Login, u.LoggedInAt, ok
}

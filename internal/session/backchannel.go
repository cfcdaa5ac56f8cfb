package session

import (
	"context"
	"fmt"
	"time"
)

// Index finds the sessions that belong to a provider session (sid) or a user
// (sub) without scanning every session. It lives beside the session store:
// with a shared store it must be shared too.
type Index interface {
	// Add records that session token belongs to key, until expiry.
	Add(ctx context.Context, key, token string, expiry time.Time) error
	// Take returns the tokens recorded for key and forgets them.
	Take(ctx context.Context, key string) ([]string, error)
	// Remove forgets that token belongs to key (its session has ended).
	Remove(ctx context.Context, key, token string) error
}

// Marks is a set of keys that expire: used-up logout token ids (jti) and
// ended provider sessions.
type Marks interface {
	// Mark adds key until the given time; first is false if it was there.
	Mark(ctx context.Context, key string, until time.Time) (first bool, err error)
	// Marked reports whether key is in the set.
	Marked(ctx context.Context, key string) (bool, error)
}

// LogoutTokenUsed reports whether a logout token with this jti was carried
// out before. Back-Channel Logout 1.0 makes this check optional (section
// 2.6 step 8); the app makes it, so a replayed token is not processed twice.
func (m *Manager) LogoutTokenUsed(ctx context.Context, jti string) (bool, error) {
	return m.marks.Marked(ctx, "jti:"+jti)
}

// MarkLogoutTokenUsed records a logout token's jti once its logout was
// carried out. Marked before, a store failure while ending the sessions
// would make the provider's retry of the same token look like a replay.
func (m *Manager) MarkLogoutTokenUsed(ctx context.Context, jti string, expiry time.Time) error {
	// Remember it a little past its expiry, for clock skew.
	_, err := m.marks.Mark(ctx, "jti:"+jti, expiry.Add(5*time.Minute))
	return err
}

// EndProviderSession ends every session of the provider session sid, or of
// the user sub when sid is empty. It returns how many sessions it ended.
func (m *Manager) EndProviderSession(ctx context.Context, sid, sub string) (int, error) {
	key := subKey(sub)
	if sid != "" {
		key = sidKey(sid)
	}
	if sid != "" {
		// The provider session is marked ended too: CurrentUser refuses a
		// session of it that was never indexed here.
		if _, err := m.marks.Mark(ctx, endedKey(key), m.now().Add(m.scs.Lifetime)); err != nil {
			return 0, err
		}
	}
	tokens, err := m.index.Take(ctx, key)
	if err != nil {
		return 0, err
	}
	for _, token := range tokens {
		// As for a local logout (End): a request in flight for this
		// session must not save it again. Its deadline is unknown here;
		// no session outlives a Lifetime.
		if err := m.store.end(ctx, token, m.now().Add(m.scs.Lifetime)); err != nil {
			return 0, fmt.Errorf("ending session: %w", err)
		}
	}
	return len(tokens), nil
}

package session

import (
	"context"
	"time"
)

// keyRefreshedFrom is one-shot: the access token expiry before the token
// viewer's "Refresh now".
const keyRefreshedFrom = "refreshed_from"

// RememberRefresh keeps the access token expiry from before a forced
// refresh, for the next page only (Post/Redirect/Get: the page after the
// redirect shows the old and the new expiry side by side).
func (m *Manager) RememberRefresh(ctx context.Context, oldAccessExpiry time.Time) {
	m.scs.Put(ctx, keyRefreshedFrom, oldAccessExpiry.UTC().Format(time.RFC3339Nano))
}

// TakeRefresh returns what RememberRefresh kept, and forgets it. ok is false
// when there is nothing (a reload of the page, or no refresh at all).
func (m *Manager) TakeRefresh(ctx context.Context) (oldAccessExpiry time.Time, ok bool) {
	raw := m.scs.PopString(ctx, keyRefreshedFrom)
	if raw == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	return t, err == nil
}

package session

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// Session keys of the flow inspector and the token viewer.
const (
	keyTrace         = "login_trace"    // auth.LoginTrace of the user's login, as JSON
	keyRefreshedFrom = "refreshed_from" // one-shot: the access token expiry before "Refresh now"
)

// KeepLoginTrace stores the record of the login that StartUserSession has
// just put into the session, for the flow inspector (/flow). It lives and
// ends with the user's session, server-side like the tokens.
// StartUserSession removes the trace of any earlier login first, so a trace
// is always about the current user's login.
//
// It is kept as a JSON string: the session is loaded and saved on every
// request, and a string is only copied, while only /flow needs the trace
// decoded (BENCHMARKS.md).
func (m *Manager) KeepLoginTrace(ctx context.Context, trace auth.LoginTrace) error {
	encoded, err := json.Marshal(trace)
	if err != nil {
		return fmt.Errorf("encoding the login trace: %w", err)
	}
	m.scs.Put(ctx, keyTrace, string(encoded))
	return nil
}

// LoginTrace returns the record of the current user's login. ok is false
// when there is none (nobody is logged in, or the login happened before
// the app recorded traces).
func (m *Manager) LoginTrace(ctx context.Context) (trace auth.LoginTrace, ok bool) {
	encoded := m.scs.GetString(ctx, keyTrace)
	if encoded == "" {
		return auth.LoginTrace{}, false
	}
	if err := json.Unmarshal([]byte(encoded), &trace); err != nil {
		return auth.LoginTrace{}, false
	}
	return trace, true
}

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

// Package session keeps everything about a browser session server-side (scs
// session store): pending logins, the logged-in user and their tokens. The
// browser only ever holds an opaque, random session cookie.
package session

import (
	"context"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
)

// Options configure the session manager. Store, Index and Marks decide
// where sessions live (NewStores builds them together).
type Options struct {
	IdleTimeout time.Duration // a session unused this long ends
	Lifetime    time.Duration // a session ends this long after login, used or not
	Secure      bool          // BASE_URL is https: Secure cookie with the __Host- prefix
	Store       scs.Store
	Index       Index
	Marks       Marks
	Now         func() time.Time // nil = time.Now; tests pass a fake clock

	// CookieName is the session cookie's name ("" = "session"). Cookies
	// are not port-specific: two apps on localhost:3000 and :3001 must
	// use two names, or each would overwrite the other's session.
	CookieName string
}

// Manager wraps scs with the app's session operations.
type Manager struct {
	scs   *scs.SessionManager
	store *endedStore // = scs.Store: the store, refusing to save ended sessions
	index Index
	marks Marks
	idle  time.Duration // Options.IdleTimeout (idle.go)
	now   func() time.Time
}

// Session keys. Values are encoded by codec (codec.go).
const (
	keyPending = "pending_logins"
	keyUser    = "user"
)

// New returns a Manager.
func New(opts Options) *Manager {
	sm := scs.New()
	sm.Codec = newCodec() // not scs's gob codec: see codec.go
	store := &endedStore{Store: opts.Store, marks: opts.Marks}
	sm.Store = store
	// The idle timeout is ours (idle.go): scs's would save every session
	// on every request.
	sm.IdleTimeout = 0
	sm.Lifetime = opts.Lifetime
	sm.Cookie.HttpOnly = true // scripts cannot read the cookie
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false // a browser session cookie; the server decides expiry
	sm.Cookie.Name = opts.CookieName
	if sm.Cookie.Name == "" {
		sm.Cookie.Name = "session"
	}
	if opts.Secure {
		// __Host- cookies must be Secure, Path=/ and have no Domain, so no
		// other host (or subdomain) can set or overwrite them.
		sm.Cookie.Secure = true
		sm.Cookie.Name = "__Host-" + sm.Cookie.Name
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Manager{scs: sm, store: store, index: opts.Index, marks: opts.Marks, idle: opts.IdleTimeout, now: now}
}

// LoadAndSave is the middleware that loads the session before the handler
// and saves it after. onError renders the page shown when the store fails.
func (m *Manager) LoadAndSave(onError func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	m.scs.ErrorFunc = onError
	return func(next http.Handler) http.Handler {
		marked := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.keepAlive(r.Context())
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loadedKey{}, true)))
		})
		return m.scs.LoadAndSave(marked)
	}
}

type loadedKey struct{}

// Loaded reports whether ctx carries a session (the request went through
// LoadAndSave). Pages outside it, such as a 404, have none.
func Loaded(ctx context.Context) bool {
	loaded, _ := ctx.Value(loadedKey{}).(bool)
	return loaded
}

// End ends the current session (logout): it can never be saved again, not
// even by a request that loaded it before (ended.go), it leaves the
// back-channel index, and the cookie is cleared.
func (m *Manager) End(ctx context.Context) error {
	token := m.scs.Token(ctx)
	// No request can save the session beyond its deadline (scs caps every
	// save's expiry at it), so the mark need not outlive it either.
	if err := m.store.end(ctx, token, m.scs.Deadline(ctx)); err != nil {
		return err
	}
	if u, ok := m.scs.Get(ctx, keyUser).(User); ok && token != "" {
		// A later logout token must not count (or find) this session.
		if err := m.unindex(ctx, token, u); err != nil {
			return err
		}
	}
	return m.scs.Destroy(ctx)
}

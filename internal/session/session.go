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

// Options configure the session manager. Store, Index, Marks and
// Attachments decide where sessions live (NewStores builds them together).
type Options struct {
	IdleTimeout time.Duration // a session unused this long ends
	Lifetime    time.Duration // a session ends this long after login, used or not
	Secure      bool          // BASE_URL is https: Secure cookie with the __Host- prefix
	Store       scs.Store
	Index       Index
	Marks       Marks
	Attachments Attachments
	Now         func() time.Time // nil = time.Now; tests pass a fake clock

	// CookieName is the session cookie's name ("" = "session"). Cookies
	// are not port-specific: two apps on localhost:3000 and :3001 must
	// use two names, or each would overwrite the other's session.
	CookieName string
}

// Manager wraps scs with the app's session operations.
type Manager struct {
	scs         *scs.SessionManager
	index       Index
	marks       Marks
	attachments Attachments
	now         func() time.Time
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
	sm.Store = opts.Store
	sm.IdleTimeout = opts.IdleTimeout
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
	return &Manager{scs: sm, index: opts.Index, marks: opts.Marks, attachments: opts.Attachments, now: now}
}

// CookieName is the name of the session cookie.
func (m *Manager) CookieName() string { return m.scs.Cookie.Name }

// LoadAndSave is the middleware that loads the session before the handler
// and saves it after. onError renders the page shown when the store fails.
func (m *Manager) LoadAndSave(onError func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	m.scs.ErrorFunc = onError
	return func(next http.Handler) http.Handler {
		marked := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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

// End destroys the current session (logout), and what is attached to it.
// The cookie is cleared.
func (m *Manager) End(ctx context.Context) error {
	if err := m.dropAttachment(ctx, m.scs.Token(ctx)); err != nil {
		return err
	}
	return m.scs.Destroy(ctx)
}

package inspector

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/display"
)

// Store keeps the records beside the sessions (session.Stores.Attachments:
// in memory, or in Redis for replicas), each until its expiry.
type Store interface {
	Put(ctx context.Context, key string, data []byte, expiry time.Time) error
	Get(ctx context.Context, key string) (data []byte, ok bool, err error)
	Delete(ctx context.Context, key string) error
}

// Sessions is what the recorder reads of the app's sessions.
type Sessions interface {
	// Token is the current session's token, "" when it has none.
	Token(ctx context.Context) string
	// Login is the login the current session holds, and when it was made.
	Login(ctx context.Context) (login auth.Login, at time.Time, ok bool)
}

// Recorder builds the flow record of each login, around the login and
// callback handlers, and owns the record's whole life: it keeps what /login
// sent until the callback, and the finished record for as long as the
// session lives; ForgetRecords deletes it when the session ends.
type Recorder struct {
	store    Store
	sessions Sessions
	lifetime time.Duration // a session's lifetime: no record outlives it
	logger   *slog.Logger
	now      func() time.Time
}

// NewRecorder returns a Recorder. now may be nil (time.Now).
func NewRecorder(store Store, sessions Sessions, lifetime time.Duration, logger *slog.Logger, now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{store: store, sessions: sessions, lifetime: lifetime, logger: logger, now: now}
}

// pendingTTL is how long what /login sent waits for its callback: as long
// as the pending login itself (session.PendingLoginTTL).
const pendingTTL = 10 * time.Minute

// pending is what the recorder keeps from /login until the callback.
type pending struct {
	AuthorizationURL string
	StartedAt        time.Time
	Pushed           []Exchange
}

// Login wraps GET /login: it listens to the back channel while the handler
// runs (a pushed authorization request, RFC 9126) and keeps the
// authorization request it redirected to, under its state.
func (rec *Recorder) Login(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		startedAt := rec.now()
		ctx, wire := Listen(r.Context())
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		if sw.status != http.StatusFound {
			return // no login started
		}
		p := pending{AuthorizationURL: w.Header().Get("Location"), StartedAt: startedAt, Pushed: wire.Exchanges()}
		state := queryValue(p.AuthorizationURL, "state")
		for _, e := range p.Pushed { // with PAR, the state went on the back channel
			if s := Value(e.Request.Fields, "state"); s != "" {
				state = s
			}
		}
		if state == "" {
			return
		}
		data, err := json.Marshal(p)
		if err == nil {
			err = rec.store.Put(r.Context(), pendingKey(state), data, startedAt.Add(pendingTTL))
		}
		if err != nil {
			rec.logger.Warn("flow record: the login's start not kept", "error", err.Error())
		}
	})
}

// Callback wraps GET /callback: it listens to the back channel while the
// handler runs, and when the handler has logged someone in, keeps the
// whole record beside the new session.
func (rec *Recorder) Callback(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		receivedAt := rec.now()
		ctx, wire := Listen(r.Context())
		next.ServeHTTP(w, r.WithContext(ctx))

		query := r.URL.Query()
		state := query.Get("state")
		started, found := rec.takePending(r.Context(), state)
		login, at, ok := rec.sessions.Login(r.Context())
		if !found || !ok || at.Before(receivedAt) {
			return // the login failed, or happened before this request
		}
		record := Record{
			AuthorizationURL: started.AuthorizationURL,
			StartedAt:        started.StartedAt,
			Pushed:           started.Pushed,
			Callback: Callback{Code: query.Get("code"), State: state, Issuer: query.Get("iss"),
				ReceivedAt: receivedAt},
			Exchanges: wire.Exchanges(),
			IDToken:   idTokenFacts(login.Tokens.IDToken),
			Checked:   login.Checked,
		}
		data, err := record.encode()
		if err == nil {
			err = rec.store.Put(r.Context(), loginKey(rec.sessions.Token(r.Context())), data, receivedAt.Add(rec.lifetime))
		}
		if err != nil {
			rec.logger.Warn("flow record: not kept", "error", err.Error())
		}
	})
}

// Record returns the record of the current session's login. ok is false
// when there is none (the login happened before the app kept records).
func (rec *Recorder) Record(ctx context.Context) (Record, bool, error) {
	token := rec.sessions.Token(ctx)
	if token == "" {
		return Record{}, false, nil
	}
	data, ok, err := rec.store.Get(ctx, loginKey(token))
	if err != nil || !ok {
		return Record{}, false, err
	}
	record, err := decodeRecord(data)
	return record, err == nil, nil
}

func (rec *Recorder) takePending(ctx context.Context, state string) (pending, bool) {
	if state == "" {
		return pending{}, false
	}
	key := pendingKey(state)
	data, ok, err := rec.store.Get(ctx, key)
	if err != nil || !ok {
		return pending{}, false
	}
	rec.store.Delete(ctx, key)
	var p pending
	return p, json.Unmarshal(data, &p) == nil
}

// ForgetRecords wraps the session store: when a session is deleted
// (logout, back-channel logout, the old token at the next login), the
// record kept beside it in records goes too.
func ForgetRecords(records Store, sessions scs.Store) scs.Store {
	return &forgetting{Store: sessions, records: records}
}

type forgetting struct {
	scs.Store
	records Store
}

// DeleteCtx deletes the session, then its record.
func (f *forgetting) DeleteCtx(ctx context.Context, token string) error {
	if err := f.Store.Delete(token); err != nil {
		return err
	}
	return f.records.Delete(ctx, loginKey(token))
}

// Delete is DeleteCtx without a request (scs passes one where it has it).
func (f *forgetting) Delete(token string) error { return f.DeleteCtx(context.Background(), token) }

// The store's keys: the session token and the state are credentials, so the
// keys hold their SHA-256, never the values.
func loginKey(token string) string   { return "flow:login:" + hashed(token) }
func pendingKey(state string) string { return "flow:pending:" + hashed(state) }

func hashed(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// idTokenFacts reads the header and the checked claims of a verified ID
// token, as text.
func idTokenFacts(raw string) IDTokenFacts {
	jwt, err := display.DecodeJWT(raw)
	if err != nil {
		return IDTokenFacts{}
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	json.Unmarshal(jwt.Header, &header)
	facts := IDTokenFacts{Algorithm: header.Alg, KeyID: header.Kid, Claims: map[string]string{}}
	names, values, _ := members(jwt.Payload) // one pass; the token was verified
	for i, name := range names {
		switch name {
		case "iss", "aud", "exp", "sub", "iat", "azp", "nonce", "at_hash":
			facts.Claims[name] = display.JSONValue(values[i])
		}
	}
	return facts
}

func queryValue(rawURL, name string) string {
	_, query, _ := CutQuery(rawURL)
	fields, _ := ParseQuery(query)
	return Value(fields, name)
}

// CutQuery splits a URL into the URL without its query, and the query.
func CutQuery(rawURL string) (base, query string, ok bool) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL, "", false
	}
	query = u.RawQuery
	u.RawQuery = ""
	return u.String(), query, true
}

// statusWriter remembers the status the handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

package session

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// codec turns a session's values into the bytes kept in the store, and back.
//
// Why not scs's default codec (encoding/gob) or encoding/json: scs loads and
// saves the session on every request (the idle timeout moves each time), so
// every page pays for one decode and one encode. Measured in one load run,
// /profile ran at 0.21 of a bare handler's rate with gob, 0.35 with JSON and
// 0.48 with this codec (BENCHMARKS.md, "Session codec").
//
// The session holds three types: User, the pending logins and strings. Each
// is written field by field, lengths as uvarints, times in their
// MarshalBinary form. One function per type lists its fields, and the same
// list writes and reads them (see fields): adding a field to User,
// auth.Login or PendingLogin is one line in user or pending below, and
// TestCodecRoundTripsEveryField fails until it is there. A value of any
// other type is an error when the session is saved, never silently dropped.
type codec struct {
	buffers sync.Pool // encode buffers, reused from save to save
}

func newCodec() *codec {
	return &codec{buffers: sync.Pool{New: func() any { return new([]byte) }}}
}

// The encoding starts with a zero byte and a version. Then: the deadline,
// the number of values, and each value as its key, a tag and its fields.
//
// Sessions in Redis outlive a deploy. When a field is added or removed, the
// version goes up, and a session written with another version is read as
// an empty one: its user logs in again, nothing is misread, and there is no
// compatibility code to keep.
const (
	codecMagic   = 0
	codecVersion = 3
)

// Tags of the stored types.
const (
	tagString  byte = 1 // string
	tagUser    byte = 2 // User
	tagPending byte = 3 // map[string]PendingLogin
)

var errCorrupt = errors.New("session codec: corrupt session data")

func (c *codec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	buf := c.buffers.Get().(*[]byte)
	defer c.buffers.Put(buf)
	f := fields{buf: append((*buf)[:0], codecMagic, codecVersion)}
	f.time(&deadline)
	f.uint(uint64(len(values)))
	for key, value := range values {
		f.string(&key)
		switch v := value.(type) {
		case string:
			f.tag(tagString)
			f.string(&v)
		case User:
			f.tag(tagUser)
			f.user(&v)
		case map[string]PendingLogin:
			f.tag(tagPending)
			f.pendingLogins(&v)
		default:
			return nil, fmt.Errorf("session codec: %q holds a %T, which the codec does not store (add it to codec.go)", key, value)
		}
	}
	*buf = f.buf
	if f.err != nil {
		return nil, f.err
	}
	return bytes.Clone(f.buf), nil // the store keeps it: exactly its size
}

func (c *codec) Decode(b []byte) (time.Time, map[string]any, error) {
	if len(b) < 2 || b[0] != codecMagic {
		return time.Time{}, nil, errCorrupt
	}
	if b[1] != codecVersion {
		// Written by another version of the app: an empty session. (Its
		// zero deadline is replaced by whatever is stored in it next.)
		return time.Time{}, map[string]any{}, nil
	}
	// One copy of the data as a string, which every decoded string is a
	// slice of: one allocation per page view instead of one per field.
	f := fields{decoding: true, buf: b[2:], all: string(b[2:])}
	var deadline time.Time
	f.time(&deadline)
	n := f.count()
	values := make(map[string]any, n)
	for range n {
		var key string
		f.string(&key)
		switch f.readTag() {
		case tagString:
			var s string
			f.string(&s)
			values[key] = s
		case tagUser:
			var u User
			f.user(&u)
			values[key] = u
		case tagPending:
			var p map[string]PendingLogin
			f.pendingLogins(&p)
			values[key] = p
		default:
			f.fail()
		}
		if f.err != nil {
			return time.Time{}, nil, f.err
		}
	}
	if f.err == nil && len(f.buf) != 0 {
		f.fail()
	}
	return deadline, values, f.err
}

// user lists every field of User, in the order they are stored: the one
// place to add a field.
func (f *fields) user(u *User) {
	c := &u.Claims
	f.string(&c.Subject)
	f.string(&c.SessionID)
	f.string(&c.Name)
	f.string(&c.PreferredUsername)
	f.string(&c.Email)
	f.bool(&c.EmailVerified)
	f.strings(&c.RealmRoles)
	f.rolesByClient(&c.ClientRoles)
	t := &u.Tokens
	f.string(&t.AccessToken)
	f.string(&t.RefreshToken)
	f.string(&t.TokenType)
	f.string(&t.IDToken)
	f.time(&t.AccessExpiry)
	f.time(&t.IDExpiry)
	f.string(&t.Scope)
	f.bytes(&u.UserInfo)
	f.strings(&u.Checked)
	f.time(&u.LoggedInAt)
}

// pending lists every field of PendingLogin: the one place to add a field.
func (f *fields) pending(p *PendingLogin) {
	f.string(&p.Nonce)
	f.string(&p.Verifier)
	f.string(&p.Next)
	f.string(&p.ExtraScope)
	f.time(&p.StartedAt)
}

// fields writes values to buf or, when decoding, reads them from buf into
// the same variables, so one list of fields serves both directions.
// Lengths and counts are uvarints, strings and bytes follow their length.
// When reading, the first problem sets err; after it every read gives a
// zero value, so callers check err once.
type fields struct {
	decoding bool
	buf      []byte
	all      string // when decoding: the whole input, which buf is the rest of
	err      error
}

func (f *fields) fail() {
	if f.err == nil {
		f.err = errCorrupt
	}
	f.buf = nil
}

func (f *fields) uint(v uint64) { f.buf = binary.AppendUvarint(f.buf, v) }
func (f *fields) tag(t byte)    { f.buf = append(f.buf, t) }

// count reads a number of elements; each takes at least one byte, so a
// count larger than what is left is corrupt (and allocates nothing).
func (f *fields) count() int {
	v, n := binary.Uvarint(f.buf)
	if n <= 0 || v > uint64(len(f.buf)-n) {
		f.fail()
		return 0
	}
	f.buf = f.buf[n:]
	return int(v)
}

// next reads the next n bytes (they alias the input: copy to keep).
func (f *fields) next(n int) []byte {
	if n > len(f.buf) {
		f.fail()
		return nil
	}
	p := f.buf[:n]
	f.buf = f.buf[n:]
	return p
}

func (f *fields) readTag() byte {
	if p := f.next(1); len(p) == 1 {
		return p[0]
	}
	return 0xff
}

// length writes n, or reads it back: the shared first step of every
// string, slice and map.
func (f *fields) length(n int) int {
	if f.decoding {
		return f.count()
	}
	f.uint(uint64(n))
	return n
}

func (f *fields) string(s *string) {
	n := f.length(len(*s))
	if f.decoding {
		start := len(f.all) - len(f.buf)
		if f.next(n); f.err == nil {
			*s = f.all[start : start+n]
		}
		return
	}
	f.buf = append(f.buf, *s...)
}

func (f *fields) bytes(b *[]byte) {
	n := f.length(len(*b))
	if f.decoding {
		if p := f.next(n); len(p) > 0 {
			*b = bytes.Clone(p)
		}
		return
	}
	f.buf = append(f.buf, *b...)
}

func (f *fields) bool(v *bool) {
	if f.decoding {
		*v = f.readTag() == 1
		return
	}
	if *v {
		f.tag(1)
	} else {
		f.tag(0)
	}
}

func (f *fields) time(t *time.Time) {
	if f.decoding {
		p := f.next(f.count())
		if f.err == nil && t.UnmarshalBinary(p) != nil {
			f.fail()
		}
		return
	}
	b, err := t.MarshalBinary() // instant and zone offset, no monotonic reading
	if err != nil && f.err == nil {
		f.err = fmt.Errorf("session codec: %w", err)
	}
	f.bytes(&b)
}

func (f *fields) strings(ss *[]string) {
	n := f.length(len(*ss))
	if f.decoding && n > 0 {
		*ss = make([]string, n)
	}
	for i := range n {
		f.string(&(*ss)[i])
	}
}

func (f *fields) rolesByClient(m *map[string][]string) {
	n := f.length(len(*m))
	if !f.decoding {
		for client, roles := range *m {
			f.string(&client)
			f.strings(&roles)
		}
		return
	}
	if n > 0 {
		*m = make(map[string][]string, n)
	}
	for range n {
		var client string
		var roles []string
		f.string(&client)
		f.strings(&roles)
		(*m)[client] = roles
	}
}

func (f *fields) pendingLogins(m *map[string]PendingLogin) {
	n := f.length(len(*m))
	if !f.decoding {
		for state, p := range *m {
			f.string(&state)
			f.pending(&p)
		}
		return
	}
	*m = make(map[string]PendingLogin, n) // an empty map stays a map
	for range n {
		var state string
		var p PendingLogin
		f.string(&state)
		f.pending(&p)
		(*m)[state] = p
	}
}

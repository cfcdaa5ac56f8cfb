package session

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// codec turns a session's values into the bytes kept in the store, and back.
//
// scs's default codec, encoding/gob, makes every session its own gob stream,
// so every load receives the type descriptions again and compiles a decoder
// for them. A logged-in page loads the session and, because of the idle
// timeout, saves it again: with gob that was about 80% of the CPU time of a
// GET /profile (BENCHMARKS.md). This codec writes the types the app stores
// (User, the pending logins, strings) field by field, which is what gob
// spent its time rediscovering. A value of any other type still goes
// through gob (register it with gob.Register, as scs requires), and
// sessions written by the gob codec still decode.
//
// Adding a field to User, auth.Login or PendingLogin means adding it to
// encodeUser/decodeUser or encodePending/decodePending:
// TestCodecRoundTripsEveryField fails until it is.
type codec struct {
	buffers sync.Pool // encode buffers, reused from save to save
}

func newCodec() *codec {
	return &codec{buffers: sync.Pool{New: func() any { return new([]byte) }}}
}

// The encoding starts with a zero byte, which no gob stream starts with,
// and a version. Then: the deadline, the number of values, and each value
// as its key, a tag and its fields.
const (
	codecMagic   = 0
	codecVersion = 1
)

const (
	tagGob     byte = iota // any other type: gob, as scs would
	tagString              // string
	tagUser                // User
	tagPending             // map[string]PendingLogin without AuthURL (written before it; still decoded)
	_                      // was auth.LoginTrace; now stored as a JSON string
	tagPendURL             // map[string]PendingLogin, with AuthURL
	tagPendPAR             // map[string]PendingLogin, with AuthURL and Pushed
)

var errCorrupt = errors.New("session codec: corrupt session data")

func (c *codec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	buf := c.buffers.Get().(*[]byte)
	defer c.buffers.Put(buf)
	e := encoder{buf: append((*buf)[:0], codecMagic, codecVersion)}
	e.time(deadline)
	e.uint(uint64(len(values)))
	for key, value := range values {
		e.string(key)
		switch v := value.(type) {
		case string:
			e.tag(tagString)
			e.string(v)
		case User:
			e.tag(tagUser)
			e.user(v)
		case map[string]PendingLogin:
			e.tag(tagPendPAR)
			e.uint(uint64(len(v)))
			for state, p := range v {
				e.string(state)
				e.pending(p)
			}
		default:
			var b bytes.Buffer
			if err := gob.NewEncoder(&b).Encode(&gobValue{V: value}); err != nil {
				return nil, fmt.Errorf("session codec: value of %q: %w", key, err)
			}
			e.tag(tagGob)
			e.bytes(b.Bytes())
		}
	}
	*buf = e.buf
	if e.err != nil {
		return nil, e.err
	}
	return bytes.Clone(e.buf), nil // the store keeps it: exactly its size
}

func (c *codec) Decode(b []byte) (time.Time, map[string]any, error) {
	if len(b) == 0 || b[0] != codecMagic {
		return scs.GobCodec{}.Decode(b) // written before this codec
	}
	if len(b) < 2 || b[1] != codecVersion {
		return time.Time{}, nil, errCorrupt
	}
	d := decoder{buf: b[2:]}
	deadline := d.time()
	n := d.count()
	values := make(map[string]any, n)
	for range n {
		key := d.string()
		switch tag := d.tag(); tag {
		case tagString:
			values[key] = d.string()
		case tagUser:
			values[key] = d.user()
		case tagPending, tagPendURL, tagPendPAR:
			m := d.count()
			pending := make(map[string]PendingLogin, m)
			for range m {
				state := d.string()
				pending[state] = d.pending(tag)
			}
			values[key] = pending
		case tagGob:
			var v gobValue
			if raw := d.bytes(); d.err == nil {
				if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&v); err != nil {
					return time.Time{}, nil, fmt.Errorf("session codec: value of %q: %w", key, err)
				}
			}
			values[key] = v.V
		default:
			d.fail()
		}
		if d.err != nil {
			return time.Time{}, nil, d.err
		}
	}
	if d.err == nil && len(d.buf) != 0 {
		d.fail()
	}
	return deadline, values, d.err
}

// gobValue carries a value of a type the codec does not know through gob.
type gobValue struct{ V any }

func (e *encoder) user(u User) {
	c := u.Claims
	e.string(c.Subject)
	e.string(c.SessionID)
	e.string(c.Name)
	e.string(c.PreferredUsername)
	e.string(c.Email)
	e.bool(c.EmailVerified)
	e.strings(c.RealmRoles)
	e.uint(uint64(len(c.ClientRoles)))
	for client, roles := range c.ClientRoles {
		e.string(client)
		e.strings(roles)
	}
	t := u.Tokens
	e.string(t.AccessToken)
	e.string(t.RefreshToken)
	e.string(t.TokenType)
	e.string(t.IDToken)
	e.time(t.AccessExpiry)
	e.time(t.IDExpiry)
	e.bytes(u.UserInfo)
	e.time(u.LoggedInAt)
}

func (d *decoder) user() User {
	var u User
	c := &u.Claims
	c.Subject = d.string()
	c.SessionID = d.string()
	c.Name = d.string()
	c.PreferredUsername = d.string()
	c.Email = d.string()
	c.EmailVerified = d.bool()
	c.RealmRoles = d.strings()
	if n := d.count(); n > 0 {
		c.ClientRoles = make(map[string][]string, n)
		for range n {
			client := d.string()
			c.ClientRoles[client] = d.strings()
		}
	}
	t := &u.Tokens
	t.AccessToken = d.string()
	t.RefreshToken = d.string()
	t.TokenType = d.string()
	t.IDToken = d.string()
	t.AccessExpiry = d.time()
	t.IDExpiry = d.time()
	u.UserInfo = d.bytes()
	u.LoggedInAt = d.time()
	return u
}

func (e *encoder) pending(p PendingLogin) {
	e.string(p.Nonce)
	e.string(p.Verifier)
	e.string(p.Next)
	e.time(p.StartedAt)
	e.string(p.AuthURL)
	e.string(p.Pushed)
}

// pending reads a pending login written with tag: those written before
// AuthURL (tagPending) or Pushed (tagPendURL) was added still decode, so a
// deploy does not break logins in flight.
func (d *decoder) pending(tag byte) PendingLogin {
	p := PendingLogin{Nonce: d.string(), Verifier: d.string(), Next: d.string(), StartedAt: d.time()}
	if tag != tagPending {
		p.AuthURL = d.string()
	}
	if tag == tagPendPAR {
		p.Pushed = d.string()
	}
	return p
}

// encoder appends values: lengths and counts as uvarints, strings and
// bytes after their length, times in their MarshalBinary form.
type encoder struct {
	buf []byte
	err error
}

func (e *encoder) uint(v uint64)   { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) tag(t byte)      { e.buf = append(e.buf, t) }
func (e *encoder) string(s string) { e.uint(uint64(len(s))); e.buf = append(e.buf, s...) }
func (e *encoder) bytes(b []byte)  { e.uint(uint64(len(b))); e.buf = append(e.buf, b...) }

func (e *encoder) bool(v bool) {
	if v {
		e.tag(1)
	} else {
		e.tag(0)
	}
}

func (e *encoder) strings(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.string(s)
	}
}

func (e *encoder) time(t time.Time) {
	b, err := t.MarshalBinary() // what gob does: instant and zone offset, no monotonic reading
	if err != nil && e.err == nil {
		e.err = fmt.Errorf("session codec: %w", err)
	}
	e.bytes(b)
}

// decoder reads what encoder wrote. The first problem sets err; after it
// every read returns a zero value, so callers check err once.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.buf = nil
}

func (d *decoder) uint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// count reads a number of elements; each takes at least one byte, so a
// count larger than what is left is corrupt (and allocates nothing).
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.buf)) {
		d.fail()
		return 0
	}
	return int(n)
}

// next returns the next n bytes (they alias the input: copy to keep).
func (d *decoder) next(n int) []byte {
	if n > len(d.buf) {
		d.fail()
		return nil
	}
	p := d.buf[:n]
	d.buf = d.buf[n:]
	return p
}

func (d *decoder) tag() byte {
	if p := d.next(1); len(p) == 1 {
		return p[0]
	}
	return 0xff
}

func (d *decoder) bool() bool { return d.tag() == 1 }

func (d *decoder) string() string { return string(d.next(d.count())) }

func (d *decoder) bytes() []byte {
	if p := d.next(d.count()); len(p) > 0 {
		return bytes.Clone(p)
	}
	return nil
}

func (d *decoder) strings() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.string()
	}
	return ss
}

func (d *decoder) time() time.Time {
	var t time.Time
	p := d.next(d.count())
	if d.err == nil {
		if err := t.UnmarshalBinary(p); err != nil {
			d.fail()
		}
	}
	return t
}

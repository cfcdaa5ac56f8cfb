package session

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// fill sets every field reachable from v (a pointer) to a distinct non-zero
// value, so a field the codec forgets cannot survive a round trip.
func fill(t *testing.T, v reflect.Value, seed *int) {
	t.Helper()
	*seed++
	n := *seed
	switch v.Kind() {
	case reflect.Pointer:
		fill(t, v.Elem(), seed)
	case reflect.String:
		v.SetString(fmt.Sprintf("value-%d", n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(t, s.Index(i), seed)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range 2 {
			key, elem := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(t, key, seed)
			fill(t, elem, seed)
			m.SetMapIndex(key, elem)
		}
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(1_700_000_000+int64(n), int64(n)).UTC()))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i), seed)
		}
	case reflect.Uint8:
		v.SetUint(uint64(n))
	default:
		t.Fatalf("fill: no rule for %s (%s): add one, and add the field to codec.go", v.Type(), v.Kind())
	}
}

func TestCodecRoundTripsEveryField(t *testing.T) {
	seed := 0
	var user User
	fill(t, reflect.ValueOf(&user), &seed)
	var pending map[string]PendingLogin
	fill(t, reflect.ValueOf(&pending), &seed)

	deadline := time.Unix(1_800_000_000, 42).UTC()
	values := map[string]any{
		keyUser:          user,
		keyPending:       pending,
		keyLogoutState:   "a-logout-state",
		keyRefreshedFrom: "2026-11-30T18:00:00Z",
		"empty-pending":  map[string]PendingLogin{}, // decodes as an empty map, as it was
	}
	encoded, err := newCodec().Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	gotDeadline, got, err := newCodec().Decode(encoded)
	if err != nil {
		t.Fatal(err)
	}
	if !gotDeadline.Equal(deadline) {
		t.Errorf("deadline = %v, want %v", gotDeadline, deadline)
	}
	for key, want := range values {
		if !reflect.DeepEqual(got[key], want) {
			t.Errorf("%q after a round trip:\n got %#v\nwant %#v\n(a new field? add it to user or pending in codec.go)", key, got[key], want)
		}
	}
	if len(got) != len(values) {
		t.Errorf("decoded %d values, want %d", len(got), len(values))
	}

	// Zero values (a user without roles, userinfo or expiry) stay zero.
	encoded, err = newCodec().Encode(deadline, map[string]any{keyUser: User{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err := newCodec().Decode(encoded); err != nil || !reflect.DeepEqual(got[keyUser], User{}) {
		t.Errorf("zero User after a round trip: %#v, %v", got[keyUser], err)
	}
}

// A value of a type the codec does not know is an error when the session is
// saved: it is never dropped without a word. (scs's own RememberMe stores
// a bool under "__rememberMe"; the app does not use it.)
func TestCodecRefusesUnknownTypes(t *testing.T) {
	for _, value := range []any{true, 42, &User{}, map[string]string{}} {
		if _, err := newCodec().Encode(time.Now(), map[string]any{"some-key": value}); err == nil {
			t.Errorf("a %T was encoded", value)
		}
	}
}

// Sessions written by scs's gob codec (before this codec, in 2026) are not
// read: decoding them is an error, never a panic or a half session.
func TestCodecRefusesGobSessions(t *testing.T) {
	seed := 0
	var user User
	fill(t, reflect.ValueOf(&user), &seed)
	gob.Register(User{})
	deadline := time.Unix(1_800_000_000, 0).UTC()
	encoded, err := scs.GobCodec{}.Encode(deadline, map[string]any{keyUser: user})
	if err != nil {
		t.Fatal(err)
	}
	if _, values, err := newCodec().Decode(encoded); err == nil {
		t.Errorf("gob session decoded as %#v", values)
	}
}

// A session written by another version of the codec (Redis outlives a
// deploy) is read as an empty session: its user logs in again, and nothing
// is misread. Here: a version 1 session with a pending login.
func TestCodecReadsOtherVersionsAsEmpty(t *testing.T) {
	at := time.Unix(1_700_000_000, 0).UTC()
	atBytes, _ := at.MarshalBinary()
	str := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	var b []byte
	b = append(b, 0, 1)                                   // magic, version 1
	b = append(append(b, byte(len(atBytes))), atBytes...) // deadline
	b = append(b, 1)                                      // one value
	b = append(append(b, str(keyPending)...), 5, 1)       // pending logins with AuthURL, one
	b = append(b, str("state")...)
	b = append(append(append(b, str("n")...), str("v")...), str("/")...)
	b = append(append(b, byte(len(atBytes))), atBytes...)
	b = append(b, str("https://idp/auth")...)

	_, values, err := newCodec().Decode(b)
	if err != nil {
		t.Fatalf("a session of version 1: %v, want an empty session", err)
	}
	if len(values) != 0 {
		t.Errorf("a session of version 1 decoded as %#v, want nothing", values)
	}
}

// Truncated or altered data is an error, never a panic or a half session.
func TestCodecRefusesCorruptData(t *testing.T) {
	seed := 0
	var user User
	fill(t, reflect.ValueOf(&user), &seed)
	var pending map[string]PendingLogin
	fill(t, reflect.ValueOf(&pending), &seed)
	encoded, err := newCodec().Encode(time.Now(), map[string]any{keyUser: user, keyPending: pending, keyLogoutState: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < len(encoded); n++ {
		if _, values, err := newCodec().Decode(encoded[:n]); err == nil {
			t.Fatalf("decoding the first %d of %d bytes: no error (values %v)", n, len(encoded), values)
		}
	}
	if _, _, err := newCodec().Decode(append(encoded, 0)); err == nil {
		t.Error("trailing byte: no error")
	}
	other := append([]byte{codecMagic, codecVersion + 1}, encoded[2:]...)
	if _, values, err := newCodec().Decode(other); err != nil || len(values) != 0 {
		t.Errorf("another version: %v %v, want an empty session", values, err)
	}
	for _, tag := range []byte{0, 4, 5, 6} { // tags this version never writes
		b := newCodec()
		one, err := b.Encode(time.Now(), map[string]any{keyLogoutState: "s"})
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(one, []byte(keyLogoutState)) + len(keyLogoutState)
		one[i] = tag
		if _, values, err := b.Decode(one); err == nil {
			t.Errorf("tag %d: decoded as %v", tag, values)
		}
	}
}

// loggedInSession is a session as the app stores it after a login with the
// test provider: the user with two 886-byte JWTs, a refresh token, the
// userinfo JSON, and the emptied map of pending logins.
func loggedInSession() map[string]any {
	jwt := strings.Repeat("eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ-_", 25)[:886]
	at := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	return map[string]any{
		keyPending: map[string]PendingLogin{},
		keyUser: User{Login: auth.Login{
			Claims: auth.Claims{
				Subject: "sub-alice", SessionID: "sid-jFi6eoQslI8", Name: "Alice Example",
				PreferredUsername: "alice", Email: "alice@example.com", EmailVerified: true,
				RealmRoles: []string{"admin", "user"}, ClientRoles: map[string][]string{"demo-app": {"editor", "viewer"}},
			},
			Tokens: auth.Tokens{
				AccessToken: jwt, RefreshToken: "rt-0123456789abcdef0123456789abc", TokenType: "Bearer", IDToken: jwt,
				AccessExpiry: at.Add(5 * time.Minute), IDExpiry: at.Add(5 * time.Minute),
			},
			UserInfo: []byte(`{"email":"alice@example.com","email_verified":true,"name":"Alice Example","preferred_username":"alice","sub":"sub-alice"}`),
		}, LoggedInAt: at},
	}
}

// BenchmarkCodec is what scs does with the session on every request of a
// logged-in user: decode it, and (the idle timeout) encode it again. It
// compares this codec with scs's gob codec and with encoding/json over a
// typed struct (jsonCodec below), the two simpler choices. bytes/session
// is the encoded size kept in the store.
func BenchmarkCodec(b *testing.B) {
	gob.Register(User{})
	gob.Register(map[string]PendingLogin{})
	for _, c := range []struct {
		name  string
		codec scs.Codec
	}{
		{"gob", scs.GobCodec{}},
		{"json", jsonCodec{}},
		{"this", newCodec()},
	} {
		b.Run(c.name, func(b *testing.B) {
			encoded, err := c.codec.Encode(time.Now(), loggedInSession())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				deadline, values, err := c.codec.Decode(encoded)
				if err != nil {
					b.Fatal(err)
				}
				if encoded, err = c.codec.Encode(deadline, values); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(encoded)), "bytes/session")
		})
	}
}

// jsonCodec is the JSON codec BenchmarkCodec measures: one typed field per
// session key. Simpler than this package's codec (a field added to User
// needs nothing here), but slower: see BENCHMARKS.md.
type jsonCodec struct{}

type jsonSession struct {
	Deadline      time.Time
	Pending       map[string]PendingLogin
	User          *User  `json:",omitempty"`
	LogoutState   string `json:",omitempty"`
	RefreshedFrom string `json:",omitempty"`
}

func (jsonCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	s := jsonSession{Deadline: deadline}
	for key, value := range values {
		ok := false
		switch key {
		case keyPending:
			s.Pending, ok = value.(map[string]PendingLogin)
		case keyUser:
			var u User
			u, ok = value.(User)
			s.User = &u
		case keyLogoutState:
			s.LogoutState, ok = value.(string)
		case keyRefreshedFrom:
			s.RefreshedFrom, ok = value.(string)
		}
		if !ok {
			return nil, fmt.Errorf("json codec: no field for %q (%T)", key, value)
		}
	}
	return json.Marshal(s)
}

func (jsonCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	var s jsonSession
	if err := json.Unmarshal(b, &s); err != nil {
		return time.Time{}, nil, err
	}
	values := map[string]any{}
	if s.Pending != nil {
		values[keyPending] = s.Pending
	}
	if s.User != nil {
		values[keyUser] = *s.User
	}
	if s.LogoutState != "" {
		values[keyLogoutState] = s.LogoutState
	}
	if s.RefreshedFrom != "" {
		values[keyRefreshedFrom] = s.RefreshedFrom
	}
	return s.Deadline, values, nil
}

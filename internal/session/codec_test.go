package session

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
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
	New(Options{}) // registers the stored types with gob
	seed := 0
	var user User
	fill(t, reflect.ValueOf(&user), &seed)
	var pending map[string]PendingLogin
	fill(t, reflect.ValueOf(&pending), &seed)

	deadline := time.Unix(1_800_000_000, 42).UTC()
	values := map[string]any{
		keyUser:         user,
		keyPending:      pending,
		keyLogoutState:  "a-logout-state",
		"__rememberMe":  true,                      // scs's own key: through gob
		"some-future":   42,                        // a type the codec does not know: through gob
		"empty-pending": map[string]PendingLogin{}, // decodes as an empty map, as it was
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
			t.Errorf("%q after a round trip:\n got %#v\nwant %#v\n(a new field? add it to codec.go)", key, got[key], want)
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

// Sessions written by scs's gob codec (before this one) still load.
func TestCodecDecodesGobSessions(t *testing.T) {
	New(Options{})
	seed := 0
	var user User
	fill(t, reflect.ValueOf(&user), &seed)
	deadline := time.Unix(1_800_000_000, 0).UTC()
	encoded, err := scs.GobCodec{}.Encode(deadline, map[string]any{keyUser: user})
	if err != nil {
		t.Fatal(err)
	}
	gotDeadline, got, err := newCodec().Decode(encoded)
	if err != nil {
		t.Fatal(err)
	}
	if !gotDeadline.Equal(deadline) || !reflect.DeepEqual(got[keyUser], user) {
		t.Errorf("gob session decoded as %v %#v", gotDeadline, got[keyUser])
	}
}

// Truncated or altered data is an error, never a panic or a half session.
func TestCodecRefusesCorruptData(t *testing.T) {
	New(Options{})
	seed := 0
	var user User
	fill(t, reflect.ValueOf(&user), &seed)
	encoded, err := newCodec().Encode(time.Now(), map[string]any{keyUser: user, keyLogoutState: "s"})
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
	if _, _, err := newCodec().Decode(other); err == nil {
		t.Error("unknown version: no error")
	}
}

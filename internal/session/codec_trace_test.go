package session

import (
	"reflect"
	"testing"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// Every field of a login's trace survives a round trip through the codec,
// and an empty trace stays empty.
func TestCodecRoundTripsTheLoginTrace(t *testing.T) {
	seed := 0
	var trace auth.LoginTrace
	fill(t, reflect.ValueOf(&trace), &seed)
	deadline := time.Unix(1_800_000_000, 0).UTC()
	for name, want := range map[string]auth.LoginTrace{"filled": trace, "empty": {}} {
		encoded, err := newCodec().Encode(deadline, map[string]any{keyTrace: want, keyRefreshedFrom: "2026-01-02T03:04:05Z"})
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := newCodec().Decode(encoded)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got[keyTrace], want) {
			t.Errorf("%s trace after a round trip:\n got %#v\nwant %#v\n(a new field? add it to codec_trace.go)", name, got[keyTrace], want)
		}
		for n := 1; n < len(encoded); n++ {
			if _, _, err := newCodec().Decode(encoded[:n]); err == nil {
				t.Fatalf("%s: decoding the first %d of %d bytes: no error", name, n, len(encoded))
			}
		}
	}
}

// Pending logins written before AuthURL existed (tag tagPending) still
// decode, so logins in flight during a deploy complete.
func TestCodecDecodesPendingLoginsWithoutAuthURL(t *testing.T) {
	started := time.Unix(1_700_000_000, 0).UTC()
	e := encoder{buf: []byte{codecMagic, codecVersion}}
	e.time(time.Unix(1_800_000_000, 0).UTC())
	e.uint(1)
	e.string(keyPending)
	e.tag(tagPending)
	e.uint(1)
	e.string("the-state")
	e.string("the-nonce")
	e.string("the-verifier")
	e.string("/profile")
	e.time(started)

	_, got, err := newCodec().Decode(e.buf)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]PendingLogin{"the-state": {Nonce: "the-nonce", Verifier: "the-verifier", Next: "/profile", StartedAt: started}}
	if !reflect.DeepEqual(got[keyPending], want) {
		t.Errorf("old pending logins decoded as %#v, want %#v", got[keyPending], want)
	}
}

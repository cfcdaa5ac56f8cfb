package inspector

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// members agrees with encoding/json on every valid JSON object, and never
// panics on anything else.
func FuzzMembers(f *testing.F) {
	for _, seed := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":"x\"y","b":[1,{"c":"]"}],"d":{"e":null}}`,
		`{"access_token":"eyJhbGciOi.eyJzdWIi.sig","expires_in":300,"scope":"openid email"}`,
		`{"a":1,}`, `{"a" 1}`, `{"a":"unterminated}`, `[1,2]`, `{"a":{"b":[}}`, `{"\u0061":true}`, `{"a":1}x`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		names, values, ok := members(raw)
		var want map[string]json.RawMessage
		if json.Unmarshal(raw, &want) != nil || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
			return // not a valid object: members may say anything but must not panic
		}
		if !ok {
			t.Fatalf("members refused a valid object: %q", raw)
		}
		got := map[string]json.RawMessage{}
		for i, name := range names {
			got[name] = values[i] // a later duplicate wins, as in encoding/json
		}
		if len(got) != len(want) {
			t.Fatalf("%q: members found %d names, encoding/json %d", raw, len(got), len(want))
		}
		for name, v := range want {
			if !bytes.Equal(bytes.TrimSpace(got[name]), bytes.TrimSpace(v)) {
				t.Fatalf("%q: member %q = %q, encoding/json says %q", raw, name, got[name], v)
			}
		}
	})
}

func BenchmarkKeepJSONTokenResponse(b *testing.B) {
	token := "eyJhbGciOiJSUzI1NiJ9." + strings.Repeat("A", 900) + ".c2ln"
	body := []byte(`{"access_token":"` + token + `","expires_in":300,"refresh_expires_in":1800,"refresh_token":"` + token +
		`","token_type":"Bearer","id_token":"` + token + `","not-before-policy":0,"session_state":"abc","scope":"openid profile email"}`)
	b.ReportAllocs()
	for b.Loop() {
		keepJSON(body, int64(len(body)))
	}
}

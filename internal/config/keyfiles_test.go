package config

import (
	"strings"
	"testing"
)

// One file for the client key and the DPoP key is refused, however the
// path is written.
func TestOneFileForBothKeysIsRefused(t *testing.T) {
	both := map[string]string{"OIDC_CLIENT_AUTH": "private_key_jwt", "OIDC_DPOP": "true"}
	for _, paths := range [][2]string{
		{"/keys/app.pem", "/keys/app.pem"},
		{"/keys/app.pem", "/keys/../keys/./app.pem"},
		{"keys/app.pem", "./keys//app.pem"},
	} {
		vars := map[string]string{"OIDC_CLIENT_KEY_FILE": paths[0], "OIDC_DPOP_KEY_FILE": paths[1]}
		for k, v := range both {
			vars[k] = v
		}
		if _, err := Load(env(vars), nil); err == nil || !strings.Contains(err.Error(), "OIDC_DPOP_KEY_FILE") {
			t.Errorf("client key %q, DPoP key %q: %v, want it refused", paths[0], paths[1], err)
		}
	}
	if _, err := Load(env(map[string]string{"OIDC_CLIENT_AUTH": "private_key_jwt", "OIDC_DPOP": "true",
		"OIDC_CLIENT_KEY_FILE": "/keys/client.pem", "OIDC_DPOP_KEY_FILE": "/keys/dpop.pem"}), nil); err != nil {
		t.Errorf("two files: %v", err)
	}
	// Without private_key_jwt the client key file is not used: no sharing.
	if _, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "OIDC_DPOP": "true",
		"OIDC_CLIENT_KEY_FILE": "/keys/app.pem", "OIDC_DPOP_KEY_FILE": "/keys/app.pem"}), nil); err != nil {
		t.Errorf("DPoP only, the unused client key file the same: %v", err)
	}
}

// Replicas (SESSION_STORE=redis://...) must share their keys: without key
// files each would make its own, and the others' client assertions and
// DPoP proofs would fail.
func TestReplicasNeedKeyFiles(t *testing.T) {
	redis := "redis://127.0.0.1:6379/0"
	tests := []struct {
		vars map[string]string
		want string // the variable the error names; "" = accepted
	}{
		{map[string]string{"OIDC_CLIENT_AUTH": "private_key_jwt"}, "OIDC_CLIENT_KEY_FILE"},
		{map[string]string{"OIDC_CLIENT_SECRET": "s", "OIDC_DPOP": "true"}, "OIDC_DPOP_KEY_FILE"},
		{map[string]string{"OIDC_CLIENT_AUTH": "private_key_jwt", "OIDC_CLIENT_KEY_FILE": "/keys/client.pem"}, ""},
		{map[string]string{"OIDC_CLIENT_SECRET": "s", "OIDC_DPOP": "true", "OIDC_DPOP_KEY_FILE": "/keys/dpop.pem"}, ""},
		{map[string]string{"OIDC_CLIENT_SECRET": "s"}, ""}, // neither option: no key at all
	}
	for _, tt := range tests {
		tt.vars["SESSION_STORE"] = redis
		_, err := Load(env(tt.vars), nil)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.vars, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want+": is required with SESSION_STORE=redis")):
			t.Errorf("%v: %v, want an error naming %s and why", tt.vars, err, tt.want)
		}
		// One replica (memory sessions) may make a key each start.
		delete(tt.vars, "SESSION_STORE")
		if _, err := Load(env(tt.vars), nil); err != nil {
			t.Errorf("%v with memory sessions: %v", tt.vars, err)
		}
	}
}

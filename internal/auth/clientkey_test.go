package auth_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// OIDC_CLIENT_KEY_FILE: the first start creates the key (owner-only), the
// next reads the same key back (same kid: the provider's cached JWKS stays
// valid); a file that is not a PKCS#8 key is an error, not a new key.
func TestLoadOrCreateSigningKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client-key.pem")
	first, created, err := auth.LoadOrCreateSigningKey(path)
	if err != nil || !created {
		t.Fatalf("first start: created %v, %v", created, err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", info.Mode().Perm(), err)
	}
	again, created, err := auth.LoadOrCreateSigningKey(path)
	if err != nil || created || again.KeyID() != first.KeyID() || again.Algorithm() != "ES256" {
		t.Fatalf("second start: created %v, kid %q (first %q), alg %s, %v", created, again.KeyID(), first.KeyID(), again.Algorithm(), err)
	}
	if _, private := first.PublicJWK().Key.(interface{ Public() any }); private {
		t.Error("PublicJWK holds a private key")
	}

	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a key"), 0o600)
	if _, _, err := auth.LoadOrCreateSigningKey(bad); err == nil || !strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Errorf("a bad key file: %v, want an error", err)
	}
}

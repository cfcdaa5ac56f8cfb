package auth_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
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

// A key file that the group or others may read is refused: whoever reads it
// can sign as the app. The error says how to fix it.
func TestKeyFileReadableByOthersIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	path := filepath.Join(t.TempDir(), "key.pem")
	if _, _, err := auth.LoadOrCreateSigningKey(path); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o666} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, _, err := auth.LoadOrCreateSigningKey(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: %v, want it refused with a hint to chmod 600", mode, err)
		}
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		os.Chmod(path, mode)
		if _, _, err := auth.LoadOrCreateSigningKey(path); err != nil {
			t.Errorf("mode %04o (owner only): %v", mode, err)
		}
	}
}

// Replicas starting together with the same, not yet existing, key file
// end up with one key: exactly one creates it, the others read it.
func TestReplicasStartingTogetherShareOneKey(t *testing.T) {
	const replicas, rounds = 8, 30
	for round := range rounds {
		path := filepath.Join(t.TempDir(), "shared-key.pem")
		start := make(chan struct{})
		kids := make([]string, replicas)
		createdBy := make([]bool, replicas)
		var wg sync.WaitGroup
		for i := range replicas {
			wg.Go(func() {
				<-start
				key, created, err := auth.LoadOrCreateSigningKey(path)
				if err != nil {
					t.Errorf("round %d, replica %d: %v", round, i, err)
					return
				}
				kids[i], createdBy[i] = key.KeyID(), created
			})
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}
		creators := 0
		for _, c := range createdBy {
			if c {
				creators++
			}
		}
		onFile, _, err := auth.LoadOrCreateSigningKey(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, kid := range kids {
			if kid != onFile.KeyID() {
				t.Fatalf("round %d: replica %d signs with key %s, the file holds %s: the replicas started with different keys", round, i, kid, onFile.KeyID())
			}
		}
		if creators != 1 {
			t.Fatalf("round %d: %d replicas say they created the key file, want 1", round, creators)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// runWithKeys runs the app with private_key_jwt and DPoP on and the two key
// files given; it returns run's error (nil would mean it started).
func runWithKeys(t *testing.T, clientKeyFile, dpopKeyFile string) error {
	t.Helper()
	env := map[string]string{
		"LISTEN_ADDR": "127.0.0.1:0", "OIDC_ISSUER": "http://127.0.0.1:1/realms/none",
		"OIDC_CLIENT_AUTH": "private_key_jwt", "OIDC_DPOP": "true",
		"OIDC_CLIENT_KEY_FILE": clientKeyFile, "OIDC_DPOP_KEY_FILE": dpopKeyFile,
		"SHUTDOWN_DRAIN": "0s",
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // if it gets as far as serving, it stops at once
	return run(ctx, []string{"authcode-demo", "-env-file", filepath.Join(t.TempDir(), "none.env")},
		func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
}

// Two paths to one key (a link, which config cannot see) are refused once
// the keys are loaded: the DPoP key and the client key must be two keys.
func TestRunRefusesOneKeyForBothJobs(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	if _, _, err := auth.LoadOrCreateSigningKey(keyFile); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.pem")
	if err := os.Symlink(keyFile, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := runWithKeys(t, keyFile, link); err == nil || !strings.Contains(err.Error(), "same key") {
		t.Errorf("one key through a link for both: %v, want it refused", err)
	}
	// Two files, two keys: it starts (and stops, its context is done).
	if err := runWithKeys(t, keyFile, filepath.Join(dir, "dpop.pem")); err != nil {
		t.Errorf("two key files: %v", err)
	}
}

// A key file that others may read stops the start, with the fix.
func TestRunRefusesAKeyFileOthersMayRead(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	keyFile := filepath.Join(t.TempDir(), "client.pem")
	if _, _, err := auth.LoadOrCreateSigningKey(keyFile); err != nil {
		t.Fatal(err)
	}
	os.Chmod(keyFile, 0o644)
	err := runWithKeys(t, keyFile, filepath.Join(t.TempDir(), "dpop.pem"))
	if err == nil || !strings.Contains(err.Error(), "OIDC_CLIENT_KEY_FILE") || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key file of mode 0644: %v, want it refused, naming the variable and the fix", err)
	}
}

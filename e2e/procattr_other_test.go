//go:build !linux

package e2e

import "os/exec"

// dieWithTests has no portable equivalent outside Linux: the app is stopped
// by TestMain only.
func dieWithTests(cmd *exec.Cmd) {}

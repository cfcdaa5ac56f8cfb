//go:build !linux

package redistest

import "os/exec"

// setParentDeathSignal does nothing outside Linux: t.Cleanup stops the
// server, except when the test binary itself is killed.
func setParentDeathSignal(*exec.Cmd) {}

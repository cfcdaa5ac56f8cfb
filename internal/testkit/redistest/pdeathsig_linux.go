package redistest

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes Linux kill redis-server when the test binary
// dies without running its cleanups (a test timeout, a crash).
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

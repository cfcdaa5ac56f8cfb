package e2e

import (
	"os/exec"
	"syscall"
)

// dieWithTests makes the kernel stop the app when the test binary dies (a
// go test timeout, Ctrl-C), so that no orphan keeps port 3000.
func dieWithTests(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

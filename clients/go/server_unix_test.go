//go:build unix

package parzen_test

import (
	"os/exec"
	"syscall"
)

// inOwnGroup puts the server (npx and the node processes it spawns) in a
// process group of its own, so stopping it reaches all of them and nothing
// else.
func inOwnGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func signalGroup(cmd *exec.Cmd, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}

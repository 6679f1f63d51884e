package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes cmd's process end (SIGKILL) when the one that
// started it does, however that ends (kill -9 included): a chaos run
// leaves no server behind.
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

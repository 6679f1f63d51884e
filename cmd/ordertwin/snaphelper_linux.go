package main

import (
	"os/exec"
	"syscall"
)

// helperAttrs has a snapshot helper killed when the server that started
// it dies: a helper never outlives its server.
func helperAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// lowerPriority has the kernel prefer the server to its helper: the
// helper takes what the server leaves of the cores.
func lowerPriority(pid int) { _ = syscall.Setpriority(syscall.PRIO_PROCESS, pid, helperNice) }

// helperNice is a helper's nice value.
const helperNice = 10

// helperProgram is the program a helper runs: this process's own image,
// even when its file was replaced or removed since it started (an upgrade
// in place), so that the helper encodes as the server does.
func helperProgram() (string, error) { return "/proc/self/exe", nil }

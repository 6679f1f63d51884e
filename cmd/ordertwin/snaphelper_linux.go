package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
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

// idleScheduling has every thread of this process (and so each it starts
// later, which takes its starter's policy) scheduled as SCHED_IDLE: it
// runs only on a core nothing else wants, and gives way at once when
// something else wakes.
func idleScheduling() error {
	for range 2 { // a thread started during the first pass took the old policy
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if err := unix.SchedSetAttr(tid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("sched_setattr %d: %w", tid, err)
			}
		}
	}
	return nil
}

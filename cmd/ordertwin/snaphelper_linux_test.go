package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idleSchedulingChildEnv has this test binary, run again, take
// idleScheduling as a snapshot helper does, start threads after it and
// print the scheduling policy of each of its threads.
const idleSchedulingChildEnv = "ORDERTWIN_TEST_IDLE_SCHEDULING"

// In the child, before any test runs: one "tid policy" line a thread.
func init() {
	if os.Getenv(idleSchedulingChildEnv) == "" {
		return
	}
	if err := idleScheduling(); err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	// Threads the runtime starts afterwards: goroutines that each hold a
	// thread of their own, sleeping in the kernel meanwhile.
	var wg, started sync.WaitGroup
	hold := make(chan struct{})
	for range 6 {
		started.Add(1)
		wg.Go(func() {
			runtime.LockOSThread()
			started.Done()
			<-hold
		})
	}
	started.Wait() // six threads, each held by one goroutine
	tasks, _ := filepath.Glob("/proc/self/task/*/stat")
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread ended
		}
		// After the command's parenthesised name: field 41 is the policy.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		fmt.Println(filepath.Base(filepath.Dir(t)), f[41-3])
	}
	close(hold)
	wg.Wait()
	os.Exit(0)
}

// A snapshot helper runs as SCHED_IDLE: every thread it has when it
// begins, and every thread its runtime starts after, so that it only
// ever takes what the server leaves of the cores.
func TestSnapshotHelperIsScheduledIdle(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run", "^$")
	cmd.Env = append(os.Environ(), idleSchedulingChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	lines := strings.Fields(strings.TrimSpace(string(out)))
	require.GreaterOrEqual(t, len(lines)/2, 7, "the child's threads: %s", out)
	for i := 0; i+1 < len(lines); i += 2 {
		assert.Equal(t, "5", lines[i+1], "thread %s runs as SCHED_IDLE (5)", lines[i])
	}
}

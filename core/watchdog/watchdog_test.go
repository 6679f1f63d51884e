package watchdog

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An input that ends in time stops the watchdog: nothing fires.
func TestStoppedInTime(t *testing.T) {
	stop := Arm(time.Hour)
	assert.True(t, stop(), "stopped before it fired")
}

// An input that runs on is ended by a panic naming the limit: the test
// process (here, a copy of it that blocks for ever) dies with it.
func TestArmEndsAnInputThatRunsOn(t *testing.T) {
	if os.Getenv("WATCHDOG_HANG") == "1" {
		Arm(time.Millisecond)
		select {} // the hang
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestArmEndsAnInputThatRunsOn$")
	cmd.Env = append(os.Environ(), "WATCHDOG_HANG=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the hanging process ended")
	assert.Contains(t, string(out), "panic: one input took longer than 1ms")
}

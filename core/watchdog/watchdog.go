// Package watchdog ends a test whose one input runs too long, for fuzz
// targets: the Go fuzzer has no time limit of its own for one input, and a
// worker that panics is reported with the input it was running, which a
// hang never is.
package watchdog

import (
	"fmt"
	"time"
)

// Arm panics, on a goroutine of its own, unless the stop it returns is
// called within d: defer watchdog.Arm(2 * time.Second)() at the top of a
// fuzz function.
func Arm(d time.Duration) (stop func() bool) {
	return time.AfterFunc(d, func() { panic(fmt.Sprintf("one input took longer than %v", d)) }).Stop
}

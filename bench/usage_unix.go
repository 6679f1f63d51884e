//go:build unix

package bench

import (
	"syscall"
	"time"
)

// usage reads what the process has used so far: its CPU time, user and
// system, and the minor page faults it has taken.
func usage() (Usage, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return Usage{}, false
	}
	return Usage{User: time.Duration(ru.Utime.Nano()), System: time.Duration(ru.Stime.Nano()), Faults: int64(ru.Minflt)}, true
}

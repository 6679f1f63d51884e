package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// batchHeap is how much of the heap a batch command asks to have backed by
// huge pages: more than the national rollout's peak heap (about 300 MB).
const batchHeap = 512 << 20

// hugeHeap asks Linux to back the heap a batch command (run, bench) is
// about to grow with transparent huge pages, where the kernel leaves that
// to each program ("madvise", the common default). A run touches
// nearly every byte it allocates once, and fresh memory arrives a page
// at a time: with 4 KiB pages, 1,000 orders cost about 38,000 page faults,
// more than half of a cold run's time; with 2 MiB pages, about 2,000. Go
// does not ask for huge pages itself, so the command allocates a block of
// batchHeap bytes, advises it, and frees it at once: the runtime hands out
// that address range first, and the advice stays with the range after the
// block is gone. Nothing is touched, so nothing is resident until used.
// Where the kernel has no huge pages, or uses them for everything
// already, the advice changes nothing. serve asks too: a restart decodes
// its whole state (a snapshot of tens of MB) at once, in 0.4–0.7 s instead
// of 1.2–1.5 s after the national rollout; the memory an idle server gives
// back (idle.go) goes back all the same.
// It returns the kernel's refusal, which a command ignores: the run is
// only slower.
func hugeHeap() error {
	b := make([]byte, batchHeap)
	err := syscall.Madvise(b, syscall.MADV_HUGEPAGE)
	b = nil
	runtime.GC()
	if err != nil {
		return fmt.Errorf("advise huge pages for the heap: %w", err)
	}
	return nil
}

// memoryLimit is half of the memory the process may use: the machine's,
// or its control group's limit when lower; 0 when neither can be read.
func memoryLimit() int64 {
	var info syscall.Sysinfo_t
	if err := syscall.Sysinfo(&info); err != nil {
		return 0
	}
	total := int64(info.Totalram) * int64(info.Unit)
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 { // "max": none
			total = min(total, n)
		}
	}
	return total / 2
}

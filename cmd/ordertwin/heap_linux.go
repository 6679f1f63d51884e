package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
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
	_, err := adviseHeap(batchHeap)
	return err
}

// pretouchHeap is hugeHeap for serve --pretouch: the block is at least
// size bytes, and the function it returns makes its first size bytes
// resident (pretouch.go), so that the heap grows into memory the kernel
// has found and zeroed already. serve calls the function, on a goroutine
// of its own, once it is up, so that its start is not held up. Huge pages
// refused, it makes the ordinary ones resident.
func pretouchHeap(size int) (populated func()) {
	start, _ := adviseHeap(max(size, batchHeap))
	return func() { populate(start, uintptr(size)) }
}

// adviseHeap allocates a block of size bytes, advises it for huge pages
// and frees it at once, untouched; it returns where the block began.
func adviseHeap(size int) (start uintptr, err error) {
	b := make([]byte, size)
	if aerr := syscall.Madvise(b, syscall.MADV_HUGEPAGE); aerr != nil {
		err = fmt.Errorf("advise huge pages for the heap: %w", aerr)
	}
	start = uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	b = nil
	runtime.GC()
	return start, err
}

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14).
const madvPopulateWrite = 23

// populate makes the pages of [start, start+size) resident and writable,
// 2 MiB at a time. Populating never changes what memory holds: a page in
// use is left as it is, one not yet backed is backed with zeros, as the
// heap expects of memory it has not used or has given back. The range is
// the heap's and stays mapped (the runtime never unmaps its heap). On a
// kernel without MADV_POPULATE_WRITE it does nothing.
func populate(start, size uintptr) {
	const step = 2 << 20
	for off := uintptr(0); off < size; off += step {
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, start+off, min(step, size-off), madvPopulateWrite); errno != 0 {
			return
		}
	}
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

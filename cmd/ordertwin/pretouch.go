package main

import (
	"fmt"
	"strconv"
	"strings"
)

// serve --pretouch (pretouchHeap, heap_linux.go): a server under load
// grows its heap by hundreds of MB, and each page it grows into is found
// and zeroed by the kernel at its first write, on whichever goroutine
// writes it. With huge pages that is 2 MiB at a time, and where fresh
// memory is slow to come (a virtual machine whose host backs its memory
// only when first used: 0.4–1 GB/s on the machine the figures in
// docs/load.md are from, against 7 GB/s for memory used before) one such
// write holds up the engine's loop, and every request waiting on it, for
// milliseconds. Made resident once the server is up, off the requests'
// way, as a JVM's AlwaysPreTouch does, that memory then stays the
// server's: an idle server does not give it back (serve.go, idle.go).

// parseBytes parses a size in bytes: a whole number, optionally followed
// by KiB, MiB or GiB.
func parseBytes(s string) (int, error) {
	num, unit := s, 1
	for _, u := range []struct {
		suffix string
		bytes  int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, unit = n, u.bytes
			break
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > (1<<46)/unit {
		return 0, fmt.Errorf("%q: want a size such as 512MiB or 1GiB (KiB, MiB, GiB, or bytes)", s)
	}
	return n * unit, nil
}

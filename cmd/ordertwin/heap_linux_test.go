package main

import (
	"bufio"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// After hugeHeap, the process has a mapping of at least batchHeap bytes
// advised for huge pages ("hg" among its VmFlags): the heap a batch run
// grows into.
func TestHugeHeapAdvisesTheHeap(t *testing.T) {
	require.NoError(t, hugeHeap())
	f, err := os.Open("/proc/self/smaps")
	require.NoError(t, err)
	defer f.Close()
	largest := 0 // KiB of the largest mapping advised for huge pages
	size := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 3 && fields[0] == "Size:":
			size, err = strconv.Atoi(fields[1])
			require.NoError(t, err)
		case len(fields) > 0 && fields[0] == "VmFlags:" && slices.Contains(fields[1:], "hg"):
			largest = max(largest, size)
		}
	}
	require.NoError(t, sc.Err())
	assert.GreaterOrEqual(t, largest, batchHeap>>10)
}

// A batch command that retains what it allocates turns the collector's
// percentage off and collects at half of the memory the process may use,
// unless GOGC or GOMEMLIMIT says otherwise; one whose orders leave memory
// keeps the collector as it is.
func TestBatchCollector(t *testing.T) {
	gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(limit)
	})
	require.Positive(t, memoryLimit())
	for _, tc := range []struct {
		gogc, gomemlimit string
		retains          bool
		wantGC           int
		wantLimit        int64
	}{
		{"", "", true, -1, memoryLimit()},
		{"100", "", true, 100, math.MaxInt64},
		{"", "1GiB", true, 100, math.MaxInt64},
		{"", "", false, 100, math.MaxInt64}, // run --retention: its orders leave memory
	} {
		t.Setenv("GOGC", tc.gogc)
		t.Setenv("GOMEMLIMIT", tc.gomemlimit)
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		batchCollector(tc.retains)
		assert.Equal(t, tc.wantGC, debug.SetGCPercent(100), "GOGC=%q GOMEMLIMIT=%q retains %v", tc.gogc, tc.gomemlimit, tc.retains)
		assert.Equal(t, tc.wantLimit, debug.SetMemoryLimit(math.MaxInt64), "GOGC=%q GOMEMLIMIT=%q retains %v", tc.gogc, tc.gomemlimit, tc.retains)
	}
}

package main

import (
	"bufio"
	"os"
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

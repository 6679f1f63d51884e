package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// populate makes a range resident without changing what it holds: the
// pages written before keep their bytes, the others read as zeros, and
// the process's resident memory grows by the range.
func TestPopulateMakesResidentAndChangesNothing(t *testing.T) {
	const size = 64 << 20
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Munmap(b) })
	for i := range 3 * os.Getpagesize() {
		b[i] = byte(i%251 + 1)
	}
	before := residentKiB(t)
	populate(uintptr(unsafe.Pointer(unsafe.SliceData(b))), size)
	assert.GreaterOrEqual(t, residentKiB(t)-before, size>>10-3*os.Getpagesize()>>10-1024, "made resident")
	for i := range 3 * os.Getpagesize() {
		require.Equal(t, byte(i%251+1), b[i], "byte %d kept", i)
	}
	for i := 3 * os.Getpagesize(); i < size; i += 4093 {
		require.Zero(t, b[i], "byte %d", i)
	}
}

// residentKiB is the process's resident memory (VmRSS).
func residentKiB(t *testing.T) int {
	f, err := os.Open("/proc/self/status")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

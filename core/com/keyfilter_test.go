package com

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The filter holds every key added, across the parts it grows, says of
// others that it does not at about the rate it is sized for, and decides
// alike once saved and restored.
func TestKeyFilter(t *testing.T) {
	var f keyFilter
	assert.False(t, f.mayHold("order k"), "an empty filter holds nothing")
	const n = 50_000
	for i := range n {
		f.add(fmt.Sprintf("order crm-%d", i))
	}
	assert.Len(t, f.parts, 4, "4096, 8192, 16384 and 32768 keys of room")
	for i := range n {
		require.True(t, f.mayHold(fmt.Sprintf("order crm-%d", i)), "key %d", i)
	}
	false1 := 0
	for i := range n {
		if f.mayHold(fmt.Sprintf("order new-%d", i)) {
			false1++
		}
	}
	assert.Less(t, false1, n*4/100, "false positives, of %d keys never added", n)

	var g keyFilter
	require.True(t, g.restore(f.save()))
	for i := 0; i < n; i += 97 {
		assert.Equal(t, f.mayHold(fmt.Sprintf("order new-%d", i)), g.mayHold(fmt.Sprintf("order new-%d", i)))
		assert.True(t, g.mayHold(fmt.Sprintf("order crm-%d", i)))
	}
	g.add("quote later")
	assert.True(t, g.mayHold("quote later"))

	bad := f.save()
	bad.Bits[1] = bad.Bits[1][:10]
	assert.False(t, new(keyFilter).restore(bad), "a part of the wrong size")
	bad = f.save()
	bad.N = bad.N[:1]
	assert.False(t, new(keyFilter).restore(bad), "counts that do not match the parts")
}

func BenchmarkKeyFilterMayHold(b *testing.B) {
	var f keyFilter
	for i := range 1_000_000 {
		f.add(fmt.Sprintf("order crm-%d", i))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.mayHold("order load-000123456")
	}
}

// A part's bits stay countable in 32 bits: parts stop doubling.
func TestKeyFilterPartsStopDoubling(t *testing.T) {
	assert.Equal(t, 4096, partRoom(0))
	assert.Equal(t, 4096<<16, partRoom(16))
	assert.Equal(t, partRoom(16), partRoom(40))
	assert.Less(t, partRoom(40)*keyFilterBits, 1<<32)
}

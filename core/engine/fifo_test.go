package engine

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A queue gives its inputs back in arrival order across its chunks, while
// inputs arrive between the ones taken, and lists them (all) without
// taking them.
func TestFIFOKeepsArrivalOrderAcrossChunks(t *testing.T) {
	var f fifo
	pushed, popped := 0, 0
	push := func(k int) {
		for range k {
			f.push(Input{At: 7, Msg: pushed})
			pushed++
		}
	}
	pop := func(k int) {
		for range k {
			in, ok := f.pop()
			require.True(t, ok, "input %d", popped)
			require.Equal(t, popped, in.Msg)
			popped++
		}
	}
	push(smallInputs + middleInputs + 2*bigInputs + 3)
	pop(smallInputs + middleInputs + bigInputs - 1)
	push(bigInputs)
	var listed []any
	require.True(t, f.all(func(in Input) bool { listed = append(listed, in.Msg); return true }))
	require.Len(t, listed, pushed-popped)
	assert.Equal(t, popped, listed[0])
	assert.Equal(t, pushed-1, listed[len(listed)-1])
	assert.Equal(t, pushed-popped, f.len())
	stopped := 0
	assert.False(t, f.all(func(Input) bool { stopped++; return stopped < 5 }), "all stops when yield does")
	assert.Equal(t, 5, stopped)
	pop(pushed - popped)
	_, ok := f.pop()
	assert.False(t, ok, "empty")
	assert.Equal(t, fifo{}, f, "an empty queue holds no chunk")
	push(1) // and takes one again
	pop(1)
}

// A chunk goes back to its pool empty: every slot zero, so the pool keeps
// no message alive. A queue's chunks grow: small, middle, then large.
func TestFIFOReturnsZeroedChunks(t *testing.T) {
	var f fifo
	for i := range smallInputs + middleInputs + 2*bigInputs + 1 {
		f.push(Input{At: 1, Msg: &i})
	}
	var taken []*chunk
	for c := f.head; c != nil; c = c.next {
		taken = append(taken, c)
	}
	require.Len(t, taken, 5)
	for i, want := range []int{smallInputs, middleInputs, bigInputs, bigInputs, bigInputs} {
		assert.Len(t, taken[i].inputs, want, "chunk %d", i)
	}
	for range smallInputs + middleInputs + 2*bigInputs {
		_, ok := f.pop()
		require.True(t, ok)
	}
	assert.Same(t, taken[4], f.head, "the first four chunks are emptied and given back")
	for _, c := range taken[:4] {
		assert.Equal(t, make([]Input, len(c.inputs)), c.inputs)
		assert.Nil(t, c.next)
	}
}

// A queue of one input holds a small chunk: a long-lived engine's queue,
// most of whose instants hold one input, is not a large chunk an input.
func TestFIFOOfOneInputIsSmall(t *testing.T) {
	var f fifo
	f.push(Input{At: 1, Msg: 1})
	assert.Len(t, f.head.inputs, smallInputs)
	assert.Less(t, int(unsafe.Sizeof(smallChunk{})), 256)
	assert.Less(t, int(unsafe.Sizeof(middleChunk{})), 2<<10)
	assert.LessOrEqual(t, int(unsafe.Sizeof(bigChunk{})), 8<<10)
}

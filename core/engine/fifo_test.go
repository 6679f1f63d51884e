package engine

import (
	"testing"

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
	push(2*chunkInputs + 3)
	pop(chunkInputs - 1)
	push(chunkInputs)
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

// A chunk goes back to the pool empty: every slot zero, so the pool keeps
// no message alive.
func TestFIFOReturnsZeroedChunks(t *testing.T) {
	var f fifo
	for i := range chunkInputs + 1 {
		f.push(Input{At: 1, Msg: &i})
	}
	c := f.head
	for range chunkInputs {
		_, ok := f.pop()
		require.True(t, ok)
	}
	assert.NotSame(t, c, f.head, "the first chunk is emptied and given back")
	assert.Equal(t, [chunkInputs]Input{}, c.inputs)
	assert.Nil(t, c.next)
}

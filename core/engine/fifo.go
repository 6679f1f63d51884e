package engine

import (
	"sync"
	"unsafe"
)

// fifo is a queue of inputs in arrival order, held in chunks taken from
// pools shared by every queue: a queue grows without copying what it
// holds, and a chunk emptied goes back to its pool for the next instant.
// A queue's chunks grow: its first holds two inputs, its second sixteen,
// the next ones 8 KiB each. Most instants of a long-lived engine's queue
// hold one input or a few (a timer, an element's answer due at its own
// time, a resource order's steps), and a chunk of 8 KiB each made the
// 43,000 inputs queued for 5,000 orders in flight 240 MB
// (BenchmarkSnapshotPopulation's heap), while a crowded instant still
// takes hundreds of inputs a chunk. The pools give what stays unused back
// to the collector, so a long-lived engine holds no more than its queue
// needs now. Its zero value is an empty queue.
type fifo struct {
	head, tail *chunk
	// first is the position of the first input in head, end the position
	// after the last one in tail.
	first, end int
	n          int
}

// chunk holds inputs in the array of the chunk it heads (smallChunk,
// middleChunk, bigChunk).
type chunk struct {
	inputs []Input
	next   *chunk
}

// How many inputs a queue's first chunk holds, its second, and each of
// the next (filling 8 KiB, a size class of the allocator).
const (
	smallInputs  = 2
	middleInputs = 16
	bigInputs    = (8<<10 - int(unsafe.Sizeof(chunk{}))) / int(unsafe.Sizeof(Input{}))
)

type smallChunk struct {
	chunk
	array [smallInputs]Input
}

type middleChunk struct {
	chunk
	array [middleInputs]Input
}

type bigChunk struct {
	chunk
	array [bigInputs]Input
}

// chunks holds the chunks no queue uses, by size (the first of a queue,
// the second, the next); every slot of a chunk in them is zero.
var chunks = [...]sync.Pool{
	{New: func() any { c := new(smallChunk); c.inputs = c.array[:]; return &c.chunk }},
	{New: func() any { c := new(middleChunk); c.inputs = c.array[:]; return &c.chunk }},
	{New: func() any { c := new(bigChunk); c.inputs = c.array[:]; return &c.chunk }},
}

// sizeOf is the size of c in chunks.
func sizeOf(c *chunk) int {
	switch len(c.inputs) {
	case smallInputs:
		return 0
	case middleInputs:
		return 1
	}
	return 2
}

// release gives c, emptied, back to its pool.
func release(c *chunk) {
	c.next = nil
	chunks[sizeOf(c)].Put(c)
}

func (f *fifo) len() int { return f.n }

// peek is the first input; the fifo must not be empty.
func (f *fifo) peek() Input { return f.head.inputs[f.first] }

func (f *fifo) push(in Input) {
	switch {
	case f.tail == nil:
		c := chunks[0].Get().(*chunk)
		f.head, f.tail, f.first, f.end = c, c, 0, 0
	case f.end == len(f.tail.inputs):
		c := chunks[min(sizeOf(f.tail)+1, len(chunks)-1)].Get().(*chunk)
		f.tail.next = c
		f.tail, f.end = c, 0
	}
	f.tail.inputs[f.end] = in
	f.end++
	f.n++
}

func (f *fifo) pop() (Input, bool) {
	if f.n == 0 {
		return Input{}, false
	}
	c := f.head
	in := c.inputs[f.first]
	c.inputs[f.first] = Input{}
	f.first++
	f.n--
	switch {
	case f.n == 0:
		*f = fifo{}
	case f.first == len(c.inputs):
		f.head, f.first = c.next, 0
	default:
		return in, true
	}
	release(c)
	return in, true
}

// all yields the queued inputs in order, leaving them queued; false when
// yield stopped it.
func (f *fifo) all(yield func(Input) bool) bool {
	first := f.first
	for c, left := f.head, f.n; left > 0; c, first = c.next, 0 {
		k := min(len(c.inputs)-first, left)
		for _, in := range c.inputs[first : first+k] {
			if !yield(in) {
				return false
			}
		}
		left -= k
	}
	return true
}

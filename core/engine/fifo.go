package engine

import (
	"sync"
	"unsafe"
)

// fifo is a queue of inputs in arrival order, held in chunks taken from
// pools shared by every queue: a queue grows without copying what it
// holds, and a chunk emptied goes back to its pool for the next instant.
// A queue's first chunk is small (smallInputs), the next ones large
// (bigInputs): most instants of a long-lived engine's queue hold one or
// two inputs (a timer, an element's answer due at its own time), and a
// large chunk each made the 43,000 inputs queued for 5,000 orders in
// flight 200 MB (BenchmarkSnapshotPopulation's heap), while a crowded
// instant still takes hundreds of inputs a chunk. The pools give what
// stays unused back to the collector, so a long-lived engine holds no
// more than its queue needs now. Its zero value is an empty queue.
type fifo struct {
	head, tail *chunk
	// first is the position of the first input in head, end the position
	// after the last one in tail.
	first, end int
	n          int
}

// chunk holds inputs in its array (smallChunk's or bigChunk's, of which
// it is the head).
type chunk struct {
	inputs []Input
	next   *chunk
}

// smallInputs is how many inputs a queue's first chunk holds.
const smallInputs = 2

// bigInputs fills a large chunk to 8 KiB, a size class of the allocator.
const bigInputs = (8<<10 - int(unsafe.Sizeof(chunk{}))) / int(unsafe.Sizeof(Input{}))

type smallChunk struct {
	chunk
	array [smallInputs]Input
}

type bigChunk struct {
	chunk
	array [bigInputs]Input
}

// smallChunks and bigChunks hold the chunks no queue uses; every slot of
// a chunk in them is zero.
var (
	smallChunks = sync.Pool{New: func() any { c := new(smallChunk); c.inputs = c.array[:]; return &c.chunk }}
	bigChunks   = sync.Pool{New: func() any { c := new(bigChunk); c.inputs = c.array[:]; return &c.chunk }}
)

// release gives c, emptied, back to its pool.
func release(c *chunk) {
	c.next = nil
	if len(c.inputs) == smallInputs {
		smallChunks.Put(c)
	} else {
		bigChunks.Put(c)
	}
}

func (f *fifo) len() int { return f.n }

// peek is the first input; the fifo must not be empty.
func (f *fifo) peek() Input { return f.head.inputs[f.first] }

func (f *fifo) push(in Input) {
	switch {
	case f.tail == nil:
		c := smallChunks.Get().(*chunk)
		f.head, f.tail, f.first, f.end = c, c, 0, 0
	case f.end == len(f.tail.inputs):
		c := bigChunks.Get().(*chunk)
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

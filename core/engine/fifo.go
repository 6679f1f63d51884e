package engine

import (
	"sync"
	"unsafe"
)

// fifo is a queue of inputs in arrival order, held in chunks of a fixed
// size taken from a pool shared by every queue: a queue grows without
// copying what it holds, and a chunk emptied goes back to the pool for the
// next crowded instant. The pool gives what stays unused back to the
// collector, so a long-lived engine holds no more than its busiest
// instants need now. Its zero value is an empty queue.
type fifo struct {
	head, tail *chunk
	// first is the position of the first input in head, end the position
	// after the last one in tail.
	first, end int
	n          int
}

// chunkInputs fills a chunk to 8 KiB, a size class of the allocator.
const chunkInputs = (8<<10 - int(unsafe.Sizeof(uintptr(0)))) / int(unsafe.Sizeof(Input{}))

type chunk struct {
	inputs [chunkInputs]Input
	next   *chunk
}

// chunks holds the chunks no queue uses; every slot of a chunk in it is
// zero.
var chunks = sync.Pool{New: func() any { return new(chunk) }}

func (f *fifo) len() int { return f.n }

// peek is the first input; the fifo must not be empty.
func (f *fifo) peek() Input { return f.head.inputs[f.first] }

func (f *fifo) push(in Input) {
	if f.tail == nil || f.end == chunkInputs {
		c := chunks.Get().(*chunk)
		if f.tail == nil {
			f.head, f.first = c, 0
		} else {
			f.tail.next = c
		}
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
	case f.first == chunkInputs:
		f.head, f.first = c.next, 0
	default:
		return in, true
	}
	c.next = nil
	chunks.Put(c)
	return in, true
}

// all yields the queued inputs in order, leaving them queued; false when
// yield stopped it.
func (f *fifo) all(yield func(Input) bool) bool {
	first := f.first
	for c, left := f.head, f.n; left > 0; c, first = c.next, 0 {
		k := min(chunkInputs-first, left)
		for _, in := range c.inputs[first : first+k] {
			if !yield(in) {
				return false
			}
		}
		left -= k
	}
	return true
}

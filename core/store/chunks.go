package store

// chunkSize is the number of elements per chunk.
const chunkSize = 4096

// Chunks is an append-only list that grows by fixed chunks, so that a long
// journal or inventory never copies what it already holds.
type Chunks[T any] struct {
	chunks [][]T
	n      int
}

// Append adds v and returns its index. The first chunk grows like a slice,
// so that small lists stay small; later chunks are allocated whole.
func (c *Chunks[T]) Append(v T) int {
	switch {
	case c.n == 0:
		c.chunks = append(c.chunks, nil)
	case c.n%chunkSize == 0:
		c.chunks = append(c.chunks, make([]T, 0, chunkSize))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
	return c.n - 1
}

// At returns a pointer to element i.
func (c *Chunks[T]) At(i int) *T { return &c.chunks[i/chunkSize][i%chunkSize] }

// Len counts the elements.
func (c *Chunks[T]) Len() int { return c.n }

// All returns a copy of every element, in order.
func (c *Chunks[T]) All() []T {
	out := make([]T, 0, c.n)
	for _, ch := range c.chunks {
		out = append(out, ch...)
	}
	return out
}

// Package slab allocates small values many at a time. A component that
// makes many short-lived values of one type (the timers and events it
// sends, the answers it gives) takes them from a slab: one allocation per
// array of values instead of one per value.
//
// A slab never reuses a value: whoever receives one owns it, as if it were
// allocated alone. An array stays in memory as long as any of its values is
// referenced, so slabs suit values that are dropped soon after use (a
// message handled, an answer read), not values kept for long.
package slab

// size is how many values an array holds: large enough that the
// allocations hardly count, small enough that a long-lived value pins
// little.
const size = 64

// Of hands out values of T. Its zero value is ready to use. It is not safe
// for concurrent use: each component keeps its own, on the engine's
// goroutine.
type Of[T any] struct {
	free []T
}

// New returns a pointer to a zero T.
func (s *Of[T]) New() *T {
	if len(s.free) == 0 {
		s.free = make([]T, size)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// Package slab allocates small values many at a time. A component that
// makes many short-lived values of one type (the timers and events it
// sends, the answers it gives) takes them from a slab: one allocation per
// array of values instead of one per value.
//
// A slab reuses a value only once it is handed back (Put): until then,
// whoever receives one owns it, as if it were allocated alone. An array
// stays in memory as long as any of its values is referenced, so slabs
// suit values that are dropped soon after use (a message handled, an
// answer read), not values kept for long.
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
	// spare holds the values handed back, given out again first.
	spare []*T
}

// New returns a pointer to a zero T.
func (s *Of[T]) New() *T {
	if n := len(s.spare); n > 0 {
		p := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return p // zeroed when it was handed back
	}
	if len(s.free) == 0 {
		s.free = make([]T, size)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// Put hands back p, which New returned and nothing uses any more (its
// receiver has handled it and kept no pointer to it): a later New returns
// it again. It is zeroed at once, not when given again: whoever kept a
// pointer to it by mistake finds it empty from then on, in every run,
// rather than overwritten some time later by another value.
func (s *Of[T]) Put(p *T) {
	var zero T
	*p = zero
	s.spare = append(s.spare, p)
}

// Package roster keeps the entities a component holds in memory (its
// orders, their sites) in the order they came, and lets any of them leave
// in constant time.
//
// A live service's components retire finished entities one at a time,
// oldest first more or less, while thousands of others are in flight.
// Taking each out of a slice moves everything after it: n entities in
// flight make each leaving cost n, and a steady stream of them cost n².
// A roster leaves a hole where an entity left instead, and closes the
// holes, all at once, when they are as many as the entities it holds (or
// when none is left): each leaving costs a constant, however many are in
// flight.
package roster

import "iter"

// Slot is where an entity stands in its roster. Embed it in the entity's
// struct: an entity is in one roster at most.
type Slot struct {
	// at is the entity's index in its roster's entries, plus one; 0 when
	// it is in none.
	at int
}

func (s *Slot) slot() *Slot { return s }

// Member is a pointer to a struct that embeds Slot.
type Member interface {
	comparable
	slot() *Slot
}

// A Roster holds entities in the order they were added, each with a key:
// an int that grows from one entity added to the next, by which Find
// looks an entity up (a request handle), or 0 for none. Its zero value is
// empty and ready to use. It is not safe for concurrent use.
type Roster[T Member] struct {
	entries []entry[T]
	// holes counts the entries whose entity left.
	holes int
}

// entry is an entity and its key. A hole is an entry whose entity left:
// it keeps the key (Find tells what was there) and lets go of the entity,
// its entity the zero T (nil: an entity is never nil).
type entry[T Member] struct {
	key    int
	entity T
}

// gone tells whether e is a hole.
func (e entry[T]) gone() bool {
	var none T
	return e.entity == none
}

// Len is the number of entities in r.
func (r *Roster[T]) Len() int { return len(r.entries) - r.holes }

// Add puts x, with key, after every entity in r. x must be in no roster,
// and key no smaller than the keys added before it.
func (r *Roster[T]) Add(key int, x T) {
	r.entries = append(r.entries, entry[T]{key: key, entity: x})
	x.slot().at = len(r.entries)
}

// Remove takes x out of r; it does nothing when x is not in r.
func (r *Roster[T]) Remove(x T) {
	at := x.slot().at - 1
	if at < 0 || at >= len(r.entries) || r.entries[at].entity != x {
		return
	}
	var none T
	r.entries[at].entity = none
	x.slot().at = 0
	r.holes++
	if r.holes == len(r.entries) || r.holes >= 32 && 2*r.holes >= len(r.entries) {
		r.compact()
	}
}

// compact closes the holes: the entities keep their order.
func (r *Roster[T]) compact() {
	n := 0
	for _, e := range r.entries {
		if e.gone() {
			continue
		}
		r.entries[n] = e
		n++
		e.entity.slot().at = n
	}
	clear(r.entries[n:])
	r.entries, r.holes = r.entries[:n], 0
}

// All yields the entities of r in order. Do not add to r or take from it
// while ranging over All.
func (r *Roster[T]) All() iter.Seq[T] {
	return func(yield func(T) bool) {
		for _, e := range r.entries {
			if !e.gone() && !yield(e.entity) {
				return
			}
		}
	}
}

// Slice returns the entities of r in order, in a slice of their own.
func (r *Roster[T]) Slice() []T {
	out := make([]T, 0, r.Len())
	for x := range r.All() {
		out = append(out, x)
	}
	return out
}

// First returns the first entity of r, false when r is empty.
func (r *Roster[T]) First() (T, bool) {
	for x := range r.All() {
		return x, true
	}
	var zero T
	return zero, false
}

// Find returns the entity of r whose keys may include key (an entity's
// keys, such as the handles of its requests, run from its own up to the
// next one's): the one added last with a key no greater than key. When
// that one has left, Find returns false, or an earlier entity whose keys
// the caller finds do not reach key.
func (r *Roster[T]) Find(key int) (T, bool) {
	lo, hi := 0, len(r.entries)
	for lo < hi { // the first entry whose key is greater than key
		mid := int(uint(lo+hi) >> 1)
		if r.entries[mid].key <= key {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == 0 || r.entries[lo-1].gone() {
		var zero T
		return zero, false
	}
	return r.entries[lo-1].entity, true
}

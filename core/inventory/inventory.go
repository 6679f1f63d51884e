// Package inventory keeps the TMF637 product, TMF638 service and TMF639
// resource inventories: entities by id, in the order they were first put,
// and how many orders in memory hold each.
package inventory

// Inventory holds entities of one kind by id, remembering insertion order.
// It keeps the pointers it is given: the owner of an entity and the
// inventory share it. An entity removed (Remove) leaves a hole in the
// order, closed once holes are half the list.
//
// An order in memory that made or uses an entity holds it (Hold); once
// the last order holding it has left memory (Release), the entity leaves
// too: the owner shelves it. The holds count only what is in memory.
//
// The list is kept in pages of pageSize entries (the first grows up to
// pageSize): it grows without copying what it holds, so a large inventory
// costs its size once, not twice over as a doubling slice would.
type Inventory[T any] struct {
	index map[string]int
	pages [][]entry[T]
	n     int // entries in the list, holes included
	holes int
	holds map[string]int
}

// entry is one place in the list: an entity and its id, or a hole (nil).
type entry[T any] struct {
	id string
	v  *T
}

// pageSize is how many entries a full page of the list holds.
const pageSize = 512

// at is the list's entry i.
func (inv *Inventory[T]) at(i int) *entry[T] { return &inv.pages[i/pageSize][i%pageSize] }

// push appends e to the list.
func (inv *Inventory[T]) push(e entry[T]) {
	k := inv.n / pageSize
	if k == len(inv.pages) {
		size := pageSize
		if k == 0 {
			size = 8 // the first page grows: a small inventory stays small
		}
		inv.pages = append(inv.pages, make([]entry[T], 0, size))
	}
	inv.pages[k] = append(inv.pages[k], e)
	inv.n++
}

// New returns an empty inventory.
func New[T any]() *Inventory[T] {
	return &Inventory[T]{index: map[string]int{}, holds: map[string]int{}}
}

// Hold counts one more order in memory holding the entity with id.
func (inv *Inventory[T]) Hold(id string) { inv.holds[id]++ }

// Release counts one order fewer holding the entity with id; when none is
// left, it removes the entity and returns it (nil when it has none).
func (inv *Inventory[T]) Release(id string) *T {
	if n := inv.holds[id]; n > 1 {
		inv.holds[id] = n - 1
		return nil
	}
	delete(inv.holds, id)
	v := inv.Get(id)
	inv.Remove(id)
	return v
}

// Held tells whether an order in memory holds the entity with id.
func (inv *Inventory[T]) Held(id string) bool { return inv.holds[id] > 0 }

// Put adds or replaces the entity with id.
func (inv *Inventory[T]) Put(id string, v *T) {
	if i, ok := inv.index[id]; ok {
		inv.at(i).v = v
		return
	}
	inv.index[id] = inv.n
	inv.push(entry[T]{id, v})
}

// Get returns the entity with id, or nil.
func (inv *Inventory[T]) Get(id string) *T {
	if i, ok := inv.index[id]; ok {
		return inv.at(i).v
	}
	return nil
}

// Remove takes the entity with id out, if there is one; put again, it
// goes last.
func (inv *Inventory[T]) Remove(id string) {
	i, ok := inv.index[id]
	if !ok {
		return
	}
	delete(inv.index, id)
	*inv.at(i) = entry[T]{}
	if inv.holes++; inv.holes <= inv.n/2 {
		return
	}
	// Close the holes in place, then drop the pages left empty.
	n := 0
	for k := range inv.n {
		if e := *inv.at(k); e.v != nil {
			*inv.at(n) = e
			inv.index[e.id] = n
			n++
		}
	}
	for k := n; k < inv.n; k++ {
		*inv.at(k) = entry[T]{}
	}
	full := (n + pageSize - 1) / pageSize
	clear(inv.pages[full:])
	inv.pages = inv.pages[:full]
	if full > 0 {
		inv.pages[full-1] = inv.pages[full-1][:n-(full-1)*pageSize]
	}
	inv.n, inv.holes = n, 0
}

// Len counts the entities.
func (inv *Inventory[T]) Len() int { return len(inv.index) }

// All returns the entities in insertion order; the slice is a copy, the
// entities are shared.
func (inv *Inventory[T]) All() []*T {
	out := make([]*T, 0, len(inv.index))
	for _, page := range inv.pages {
		for _, e := range page {
			if e.v != nil {
				out = append(out, e.v)
			}
		}
	}
	return out
}

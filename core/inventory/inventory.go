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
	// slots has, for each id put or held, where it is in the list and
	// how many orders hold it, in one map: an entity is put and held
	// together, looked up once for both (slot).
	slots map[string]slot
	pages [][]entry[T]
	n     int // entries in the list, holes included
	holes int
	count int // entities in the list
}

// slot is an id's place in the list plus one (0: none) in its high 32
// bits, and the orders holding it in its low 32: Hold is one increment.
type slot uint64

const holdBits = 1<<32 - 1

func (s slot) place() (int, bool) { return int(s>>32) - 1, s>>32 != 0 }
func (s slot) holds() int         { return int(s & holdBits) }
func placed(i int) slot           { return slot(i+1) << 32 }

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
	return &Inventory[T]{slots: map[string]slot{}}
}

// Hold counts one more order in memory holding the entity with id.
func (inv *Inventory[T]) Hold(id string) { inv.slots[id]++ }

// Release counts one order fewer holding the entity with id; when none is
// left, it removes the entity and returns it (nil when it has none).
func (inv *Inventory[T]) Release(id string) *T {
	s, ok := inv.slots[id]
	if !ok {
		return nil
	}
	if s.holds() > 1 {
		inv.slots[id] = s - 1
		return nil
	}
	delete(inv.slots, id)
	i, in := s.place()
	if !in {
		return nil
	}
	v := inv.at(i).v
	inv.unlist(i)
	return v
}

// Held tells whether an order in memory holds the entity with id.
func (inv *Inventory[T]) Held(id string) bool { return inv.slots[id].holds() > 0 }

// Put adds or replaces the entity with id.
func (inv *Inventory[T]) Put(id string, v *T) {
	s := inv.slots[id]
	if i, ok := s.place(); ok {
		inv.at(i).v = v
		return
	}
	inv.slots[id] = s | placed(inv.n)
	inv.count++
	inv.push(entry[T]{id, v})
}

// Get returns the entity with id, or nil.
func (inv *Inventory[T]) Get(id string) *T {
	if i, ok := inv.slots[id].place(); ok {
		return inv.at(i).v
	}
	return nil
}

// Remove takes the entity with id out, if there is one; put again, it
// goes last.
func (inv *Inventory[T]) Remove(id string) {
	s := inv.slots[id]
	i, in := s.place()
	if !in {
		return
	}
	if s.holds() > 0 {
		inv.slots[id] = s & holdBits // still held, no longer listed
	} else {
		delete(inv.slots, id)
	}
	inv.unlist(i)
}

// unlist leaves a hole at the list's entry i, whose id's slot no longer
// names it, and closes the holes once they are half the list.
func (inv *Inventory[T]) unlist(i int) {
	*inv.at(i) = entry[T]{}
	inv.count--
	if inv.holes++; inv.holes <= inv.n/2 {
		return
	}
	// Close the holes in place, then drop the pages left empty.
	n := 0
	for k := range inv.n {
		if e := *inv.at(k); e.v != nil {
			*inv.at(n) = e
			inv.slots[e.id] = inv.slots[e.id]&holdBits | placed(n)
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
func (inv *Inventory[T]) Len() int { return inv.count }

// All returns the entities in insertion order; the slice is a copy, the
// entities are shared.
func (inv *Inventory[T]) All() []*T {
	out := make([]*T, 0, inv.count)
	for _, page := range inv.pages {
		for _, e := range page {
			if e.v != nil {
				out = append(out, e.v)
			}
		}
	}
	return out
}

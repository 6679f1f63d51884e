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
type Inventory[T any] struct {
	index map[string]int
	items []*T
	ids   []string
	holes int
	holds map[string]int
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
		inv.items[i] = v
		return
	}
	inv.index[id] = len(inv.items)
	inv.items = append(inv.items, v)
	inv.ids = append(inv.ids, id)
}

// Get returns the entity with id, or nil.
func (inv *Inventory[T]) Get(id string) *T {
	if i, ok := inv.index[id]; ok {
		return inv.items[i]
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
	inv.items[i], inv.ids[i] = nil, ""
	if inv.holes++; inv.holes <= len(inv.items)/2 {
		return
	}
	n := 0
	for k, v := range inv.items {
		if v != nil {
			inv.items[n], inv.ids[n] = v, inv.ids[k]
			inv.index[inv.ids[n]] = n
			n++
		}
	}
	clear(inv.items[n:])
	clear(inv.ids[n:])
	inv.items, inv.ids, inv.holes = inv.items[:n], inv.ids[:n], 0
}

// Len counts the entities.
func (inv *Inventory[T]) Len() int { return len(inv.index) }

// All returns the entities in insertion order; the slice is a copy, the
// entities are shared.
func (inv *Inventory[T]) All() []*T {
	out := make([]*T, 0, len(inv.index))
	for _, v := range inv.items {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

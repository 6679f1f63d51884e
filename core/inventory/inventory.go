// Package inventory keeps the TMF637 product, TMF638 service and TMF639
// resource inventories: entities by id, in the order they were first put.
package inventory

// Inventory holds entities of one kind by id, remembering insertion order.
// It keeps the pointers it is given: the owner of an entity and the
// inventory share it.
type Inventory[T any] struct {
	index map[string]int
	items []*T
}

// New returns an empty inventory.
func New[T any]() *Inventory[T] { return &Inventory[T]{index: map[string]int{}} }

// Put adds or replaces the entity with id.
func (inv *Inventory[T]) Put(id string, v *T) {
	if i, ok := inv.index[id]; ok {
		inv.items[i] = v
		return
	}
	inv.index[id] = len(inv.items)
	inv.items = append(inv.items, v)
}

// Get returns the entity with id, or nil.
func (inv *Inventory[T]) Get(id string) *T {
	if i, ok := inv.index[id]; ok {
		return inv.items[i]
	}
	return nil
}

// Len counts the entities.
func (inv *Inventory[T]) Len() int { return len(inv.items) }

// All returns the entities in insertion order; the slice is a copy, the
// entities are shared.
func (inv *Inventory[T]) All() []*T { return append([]*T(nil), inv.items...) }

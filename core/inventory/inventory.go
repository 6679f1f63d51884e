// Package inventory keeps the TMF637 product, TMF638 service and TMF639
// resource inventories: entities by id, in the order they were first put.
package inventory

import "github.com/ordertwin/ordertwin/core/store"

// Inventory holds entities of one kind by id, remembering insertion order.
type Inventory[T any] struct {
	index map[string]int
	items store.Chunks[T]
}

// New returns an empty inventory.
func New[T any]() *Inventory[T] { return &Inventory[T]{index: map[string]int{}} }

// Put adds or replaces the entity with id.
func (inv *Inventory[T]) Put(id string, v T) {
	if i, ok := inv.index[id]; ok {
		*inv.items.At(i) = v
		return
	}
	inv.index[id] = inv.items.Append(v)
}

// Get returns the entity with id.
func (inv *Inventory[T]) Get(id string) (T, bool) {
	i, ok := inv.index[id]
	if !ok {
		var zero T
		return zero, false
	}
	return *inv.items.At(i), true
}

// Len counts the entities.
func (inv *Inventory[T]) Len() int { return inv.items.Len() }

// All returns a copy of the entities in insertion order.
func (inv *Inventory[T]) All() []T { return inv.items.All() }

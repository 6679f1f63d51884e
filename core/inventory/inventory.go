// Package inventory keeps the TMF637 product, TMF638 service and TMF639
// resource inventories: entities by id, in the order they were first put.
package inventory

// Inventory holds entities of one kind by id, remembering insertion order.
type Inventory[T any] struct {
	index map[string]int
	items []T
	ids   []string
}

// New returns an empty inventory.
func New[T any]() *Inventory[T] { return &Inventory[T]{index: map[string]int{}} }

// Put adds or replaces the entity with id.
func (inv *Inventory[T]) Put(id string, v T) {
	if i, ok := inv.index[id]; ok {
		inv.items[i] = v
		return
	}
	inv.index[id] = len(inv.items)
	inv.items = append(inv.items, v)
	inv.ids = append(inv.ids, id)
}

// Get returns the entity with id.
func (inv *Inventory[T]) Get(id string) (T, bool) {
	i, ok := inv.index[id]
	if !ok {
		var zero T
		return zero, false
	}
	return inv.items[i], true
}

// Len counts the entities.
func (inv *Inventory[T]) Len() int { return len(inv.items) }

// All returns the entities in insertion order. The slice is shared: do not
// modify it.
func (inv *Inventory[T]) All() []T { return inv.items }

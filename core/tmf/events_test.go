package tmf

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An event handed back is filled again by a later New of its kind, with
// nothing left of what it said: an item event keeps its own item.
func TestOrderEventsFillRecycledEventsAgain(t *testing.T) {
	var a OrderEvents
	ev := a.New(ResourceOrderItemStateChange, "RO-001", "SO-1/SITE-1", "inProgress", true)
	item := ev.Item
	*ev.Item = ItemEvent{ID: "ROI-001", Handle: 7, State: "completed", Value: "VLAN 12", Characteristics: Characteristics{{Name: "vlanId", Value: "12"}}}
	ev.Handle, ev.At = 3, 9
	plain := a.New(ResourceOrderStateChange, "RO-001", "SO-1/SITE-1", "inProgress", false)
	a.Recycle(ev)
	a.Recycle(plain)
	assert.Equal(t, OrderEvent{Item: item}, *ev, "emptied as it is handed back")
	assert.Equal(t, ItemEvent{}, *item)
	assert.Equal(t, OrderEvent{}, *plain)

	again := a.New(ResourceOrderStateChange, "RO-002", "SO-2/SITE-1", "completed", false)
	assert.Same(t, plain, again)
	assert.Equal(t, OrderEvent{Type: ResourceOrderStateChange, OrderID: "RO-002", ExternalID: "SO-2/SITE-1", State: "completed"}, *again)

	withItem := a.New(ResourceOrderItemStateChange, "RO-002", "SO-2/SITE-1", "inProgress", true)
	require.Same(t, ev, withItem)
	assert.Same(t, item, withItem.Item, "its own item again")
	assert.Equal(t, ItemEvent{}, *withItem.Item)
	assert.Equal(t, OrderEvent{Type: ResourceOrderItemStateChange, OrderID: "RO-002", ExternalID: "SO-2/SITE-1", State: "inProgress", Item: item}, *withItem)

	fresh := a.New(ResourceOrderItemStateChange, "RO-003", "SO-3/SITE-1", "inProgress", true)
	assert.NotSame(t, ev, fresh, "none left to fill again: a new one")
}

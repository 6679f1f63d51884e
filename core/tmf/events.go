package tmf

import (
	"errors"
	"time"

	"github.com/ordertwin/ordertwin/core/slab"
)

// EventType names a TMF event.
type EventType string

// The events COM, SOM and ROM exchange (TMF641 and TMF652 notification
// names).
const (
	ServiceOrderCreate           EventType = "ServiceOrderCreateEvent"
	ServiceOrderStateChange      EventType = "ServiceOrderStateChangeEvent"
	ServiceOrderItemStateChange  EventType = "ServiceOrderItemStateChangeEvent"
	ResourceOrderCreate          EventType = "ResourceOrderCreateEvent"
	ResourceOrderStateChange     EventType = "ResourceOrderStateChangeEvent"
	ResourceOrderItemStateChange EventType = "ResourceOrderItemStateChangeEvent"
)

// OrderEvent tells the orderer what became of a service or resource order
// it placed: the order's state, or one item's.
type OrderEvent struct {
	Type EventType
	// Handle echoes the order's Handle.
	Handle     int
	At         time.Duration
	OrderID    string
	ExternalID string
	State      string
	Item       *ItemEvent
}

// OrderEvents allocates the events a component sends about its orders, in
// slabs (core/slab): the receiver owns each event, until the sender takes
// it back (Recycle). Its zero value is ready to use.
type OrderEvents struct {
	plain    slab.Of[OrderEvent]
	withItem slab.Of[orderItemEvent]
	// Events handed back, filled again before the slabs give new ones.
	spare, spareWithItem []*OrderEvent
}

// orderItemEvent is an event about an item, allocated with its item.
type orderItemEvent struct {
	ev   OrderEvent
	item ItemEvent
}

// New returns an event about an order; with item true, its Item is set to
// a zero ItemEvent allocated with it, which the caller fills and never
// replaces.
func (a *OrderEvents) New(t EventType, orderID, externalID, state string, item bool) *OrderEvent {
	if !item {
		var ev *OrderEvent
		if n := len(a.spare); n > 0 {
			ev, a.spare = a.spare[n-1], a.spare[:n-1]
		} else {
			ev = a.plain.New()
		}
		*ev = OrderEvent{Type: t, OrderID: orderID, ExternalID: externalID, State: state}
		return ev
	}
	if n := len(a.spareWithItem); n > 0 {
		ev := a.spareWithItem[n-1]
		a.spareWithItem = a.spareWithItem[:n-1]
		*ev = OrderEvent{Type: t, OrderID: orderID, ExternalID: externalID, State: state, Item: ev.Item} // its item emptied by Recycle
		return ev
	}
	both := a.withItem.New()
	both.ev = OrderEvent{Type: t, OrderID: orderID, ExternalID: externalID, State: state, Item: &both.item}
	return &both.ev
}

// Recycle takes back an event New made, once its receiver has handled it
// and keeps nothing of it but copies: a later New fills it again. It is
// emptied at once (as slab.Of.Put does), its item with it.
func (a *OrderEvents) Recycle(ev *OrderEvent) {
	if it := ev.Item; it != nil {
		*it = ItemEvent{}
		*ev = OrderEvent{Item: it}
		a.spareWithItem = append(a.spareWithItem, ev)
	} else {
		*ev = OrderEvent{}
		a.spare = append(a.spare, ev)
	}
}

// ItemEvent is the news about one order item.
type ItemEvent struct {
	ID string
	// Handle echoes the item's Handle.
	Handle      int
	State       string
	StateReason string
	Milestone   string
	// Instance is the service or resource the item produced, with the
	// characteristics the orderer may need (allocated values, measurements).
	Instance        Ref
	Value           string
	Characteristics Characteristics
}

// ErrUnknownOrder is wrapped by the refusal of a message about an order
// (an event, a cancellation) that its receiver does not have: one it never
// placed, or never took.
var ErrUnknownOrder = errors.New("no such order here")

// CancelRequest asks the receiver of an order to cancel it, or some of its
// items (TMF641 cancelServiceOrder, TMF652 cancelResourceOrder; items
// narrow it to part of the order). The order is named by its id or, before
// the orderer knows the id, by its external id.
type CancelRequest struct {
	OrderID    string
	ExternalID string
	Items      []string
	Reason     string
}

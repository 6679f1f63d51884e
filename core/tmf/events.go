package tmf

import (
	"errors"
	"time"
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

// NewOrderEvent returns an event about an order; with item true, its Item
// is set to a zero ItemEvent allocated with it.
func NewOrderEvent(t EventType, orderID, externalID, state string, item bool) *OrderEvent {
	if !item {
		return &OrderEvent{Type: t, OrderID: orderID, ExternalID: externalID, State: state}
	}
	both := &struct {
		ev   OrderEvent
		item ItemEvent
	}{ev: OrderEvent{Type: t, OrderID: orderID, ExternalID: externalID, State: state}}
	both.ev.Item = &both.item
	return &both.ev
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

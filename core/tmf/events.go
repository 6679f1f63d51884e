package tmf

import "time"

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
	Type       EventType
	At         time.Duration
	OrderID    string
	ExternalID string
	State      string
	Item       *ItemEvent
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

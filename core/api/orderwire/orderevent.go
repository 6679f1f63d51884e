package orderwire

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// What SOM and ROM tell their orderer (an internal tmf.OrderEvent) as the
// body of a TMF641 or TMF652 v4 notification, and back: for processes
// that run COM, SOM and ROM apart, the hub of one POSTs these to a
// listener of the other.
//
// The envelope is the v4 one: {eventId, eventTime, eventType, event:
// {serviceOrder | resourceOrder}}. The order carries its id, href,
// externalId, state and @handle (the OrderEvent's Handle); an event about
// an item carries that one item, with its id, @handle, state, stateReason
// and what it produced: the service (TMF641 item.service) or resource
// (TMF652 item.resource) with its id, name, @referredType (@type for a
// resource), role, value and characteristics. A service order item's
// milestone is a v4.1 milestone of the order naming the item; a resource
// order item's is the item's milestone extension. The event's time (At)
// is eventTime. The eventId is derived from the rest, so that the same
// event sent twice has the same id and a listener can drop the second.
//
// v4 has no item state change event: an item's change is an
// AttributeValueChangeEvent whose order carries the one item that
// changed.

// eventTypes maps the internal event types to the v4 notifications.
var eventTypes = []struct {
	internal tmf.EventType
	wire     string
}{
	{tmf.ServiceOrderCreate, "ServiceOrderCreateEvent"},
	{tmf.ServiceOrderStateChange, "ServiceOrderStateChangeEvent"},
	{tmf.ServiceOrderItemStateChange, "ServiceOrderAttributeValueChangeEvent"},
	{tmf.ResourceOrderCreate, "ResourceOrderCreateEvent"},
	{tmf.ResourceOrderStateChange, "ResourceOrderStateChangeEvent"},
	{tmf.ResourceOrderItemStateChange, "ResourceOrderAttributeValueChangeEvent"},
}

// orderEvent is the v4 notification envelope of an order event.
type orderEvent struct {
	EventID     string          `json:"eventId"`
	EventTime   string          `json:"eventTime"`
	EventType   string          `json:"eventType"`
	Domain      string          `json:"domain,omitempty"`
	Title       string          `json:"title,omitempty"`
	TimeOcurred string          `json:"timeOcurred,omitempty"`
	Event       orderEventOrder `json:"event"`
}

type orderEventOrder struct {
	ServiceOrder  *ServiceOrder  `json:"serviceOrder,omitempty"`
	ResourceOrder *ResourceOrder `json:"resourceOrder,omitempty"`
}

// milestoneReached is the status of a service order milestone an item
// reached.
const milestoneReached = "reached"

// ServiceOrderEventToWire maps an event of SOM about a service order to
// its TMF641 v4 notification: the event type and the JSON body. epoch is
// the calendar time of T+0.
func ServiceOrderEventToWire(ev *tmf.OrderEvent, epoch time.Time) (eventType string, body []byte) {
	at := wireDate(epoch, ev.At)
	so := &ServiceOrder{ID: ev.OrderID, Href: tmf630.EntityHref(tmf630.ServiceOrdering, "serviceOrder", ev.OrderID),
		ExternalID: ev.ExternalID, State: ev.State, Handle: ev.Handle, Type: "ServiceOrder"}
	if it := ev.Item; it != nil {
		item := ServiceOrderItem{ID: it.ID, State: it.State, StateReason: it.StateReason, Handle: it.Handle, Type: "ServiceOrderItem",
			Service: ServiceRefOrValue{ID: it.Instance.ID, Name: it.Instance.Name, Role: it.Instance.Role,
				ReferredType: it.Instance.Type, Value: it.Value, ServiceCharacteristic: tmf630.WireCharacteristics(it.Characteristics)}}
		if it.Instance.ID != "" {
			item.Service.Href = tmf630.EntityHref(tmf630.ServiceInventory, "service", it.Instance.ID)
		}
		so.ServiceOrderItem = []ServiceOrderItem{item}
		if it.Milestone != "" {
			so.Milestone = []ServiceOrderMilestone{{Name: it.Milestone, Status: milestoneReached, MilestoneDate: at,
				ServiceOrderItem: []ServiceOrderItemRef{{ItemID: it.ID, ServiceOrderID: so.ID, ServiceOrderHref: so.Href}},
				Type:             "ServiceOrderMilestone"}}
		}
	}
	return encodeOrderEvent(ev, at, events.ServiceOrdering.Name, "ServiceOrder", "serviceOrderItem", orderEventOrder{ServiceOrder: so})
}

// ResourceOrderEventToWire maps an event of ROM about a resource order to
// its TMF652 v4 notification: the event type and the JSON body. epoch is
// the calendar time of T+0.
func ResourceOrderEventToWire(ev *tmf.OrderEvent, epoch time.Time) (eventType string, body []byte) {
	at := wireDate(epoch, ev.At)
	ro := &ResourceOrder{ID: ev.OrderID, Href: tmf630.EntityHref(tmf630.ResourceOrdering, "resourceOrder", ev.OrderID),
		ExternalID: ev.ExternalID, State: ev.State, Handle: ev.Handle, Type: "ResourceOrder"}
	if it := ev.Item; it != nil {
		item := ResourceOrderItem{ID: it.ID, State: it.State, StateReason: it.StateReason, Milestone: it.Milestone,
			Handle: it.Handle, Type: "ResourceOrderItem"}
		if it.Instance != (tmf.Ref{}) || it.Value != "" || len(it.Characteristics) > 0 {
			item.Resource = &ResourceRefOrValue{ID: it.Instance.ID, Name: it.Instance.Name, Type: it.Instance.Type,
				Role: it.Instance.Role, Value: it.Value, ResourceCharacteristic: tmf630.WireCharacteristics(it.Characteristics)}
			if it.Instance.ID != "" {
				item.Resource.Href = tmf630.EntityHref(tmf630.ResourceInventory, "resource", it.Instance.ID)
			}
		}
		ro.OrderItem = []ResourceOrderItem{item}
	}
	return encodeOrderEvent(ev, at, events.ResourceOrdering.Name, "ResourceOrder", "orderItem", orderEventOrder{ResourceOrder: ro})
}

// encodeOrderEvent wraps an order in the envelope of ev's type.
func encodeOrderEvent(ev *tmf.OrderEvent, at, domain, entity, items string, order orderEventOrder) (string, []byte) {
	eventType := string(ev.Type)
	for _, t := range eventTypes {
		if t.internal == ev.Type {
			eventType = t.wire
		}
	}
	title := entity + " " + ev.OrderID + " " + ev.State
	if ev.Item != nil {
		title = entity + " " + ev.OrderID + " " + items + " " + ev.Item.ID + " " + ev.Item.State
	}
	payload, err := json.Marshal(order)
	if err != nil {
		panic(fmt.Sprintf("api: encode %s event: %v", entity, err)) // plain strings and ints: cannot fail
	}
	sum := sha256.Sum256(append([]byte(eventType+"\x00"+at+"\x00"), payload...))
	body, err := json.Marshal(orderEvent{EventID: hex.EncodeToString(sum[:12]), EventTime: at, EventType: eventType,
		Domain: domain, Title: title, TimeOcurred: at, Event: order})
	if err != nil {
		panic(fmt.Sprintf("api: encode %s event: %v", entity, err))
	}
	return eventType, body
}

// ServiceOrderEventFromWire maps a TMF641 v4 notification about a service
// order back to the internal event (the inverse of
// ServiceOrderEventToWire). eventType is the notification's type, as the
// listener's path or the envelope says; it must agree with the body's.
// The error names what is wrong.
func ServiceOrderEventFromWire(eventType string, body []byte, epoch time.Time) (*tmf.OrderEvent, error) {
	env, ev, err := decodeOrderEvent(eventType, body, epoch, "Service")
	if err != nil {
		return nil, err
	}
	so := env.Event.ServiceOrder
	if so == nil {
		return nil, errors.New("event.serviceOrder: required")
	}
	if e := orderEventFields(ev, so.ID, so.ExternalID, so.State, so.Handle, "event.serviceOrder"); e != nil {
		return nil, e
	}
	one, err := eventItem(ev.Type, len(so.ServiceOrderItem), tmf.ServiceOrderItemStateChange, "event.serviceOrder.serviceOrderItem",
		func() string { return so.ServiceOrderItem[0].ID })
	if err != nil {
		return nil, err
	}
	if !one {
		return ev, nil
	}
	it := &so.ServiceOrderItem[0]
	svc := &it.Service
	ev.Item = &tmf.ItemEvent{ID: it.ID, Handle: it.Handle, State: it.State, StateReason: it.StateReason,
		Instance: tmf.Ref{ID: svc.ID, Name: svc.Name, Role: svc.Role, Type: svc.ReferredType},
		Value:    svc.Value, Characteristics: internalCharacteristics(svc.ServiceCharacteristic)}
	for _, m := range so.Milestone {
		for _, ref := range m.ServiceOrderItem {
			if ref.ItemID == it.ID {
				ev.Item.Milestone = m.Name
			}
		}
	}
	return ev, nil
}

// ResourceOrderEventFromWire maps a TMF652 v4 notification about a
// resource order back to the internal event (the inverse of
// ResourceOrderEventToWire). eventType is the notification's type; it
// must agree with the body's. The error names what is wrong.
func ResourceOrderEventFromWire(eventType string, body []byte, epoch time.Time) (*tmf.OrderEvent, error) {
	env, ev, err := decodeOrderEvent(eventType, body, epoch, "Resource")
	if err != nil {
		return nil, err
	}
	ro := env.Event.ResourceOrder
	if ro == nil {
		return nil, errors.New("event.resourceOrder: required")
	}
	if e := orderEventFields(ev, ro.ID, ro.ExternalID, ro.State, ro.Handle, "event.resourceOrder"); e != nil {
		return nil, e
	}
	one, err := eventItem(ev.Type, len(ro.OrderItem), tmf.ResourceOrderItemStateChange, "event.resourceOrder.orderItem",
		func() string { return ro.OrderItem[0].ID })
	if err != nil {
		return nil, err
	}
	if !one {
		return ev, nil
	}
	it := &ro.OrderItem[0]
	ev.Item = &tmf.ItemEvent{ID: it.ID, Handle: it.Handle, State: it.State, StateReason: it.StateReason, Milestone: it.Milestone}
	if res := it.Resource; res != nil {
		ev.Item.Instance = tmf.Ref{ID: res.ID, Name: res.Name, Role: res.Role, Type: res.Type}
		ev.Item.Value = res.Value
		ev.Item.Characteristics = internalCharacteristics(res.ResourceCharacteristic)
	}
	return ev, nil
}

// decodeOrderEvent reads the envelope of a notification about an order of
// kind (Service, Resource): its type, one of kind's, must agree with the
// body's, and its time is read.
func decodeOrderEvent(eventType string, body []byte, epoch time.Time, kind string) (*orderEvent, *tmf.OrderEvent, error) {
	var env orderEvent
	if e := tmf630.DecodeObject(body, &env); e != nil {
		return nil, nil, errors.New(e.Message)
	}
	if env.EventType != eventType {
		return nil, nil, fmt.Errorf("eventType: %s, but the notification is a %s", strconv.Quote(env.EventType), strconv.Quote(eventType))
	}
	ev := &tmf.OrderEvent{}
	var known []string
	for _, t := range eventTypes {
		if strings.HasPrefix(t.wire, kind+"Order") {
			known = append(known, t.wire)
			if t.wire == eventType {
				ev.Type = t.internal
			}
		}
	}
	if ev.Type == "" {
		return nil, nil, fmt.Errorf("eventType: %s is not an event this side takes (%s)", strconv.Quote(eventType), strings.Join(known, ", "))
	}
	at, err := internalDate(epoch, "eventTime", env.EventTime)
	if err != nil {
		return nil, nil, err
	}
	ev.At = at
	return &env, ev, nil
}

// orderEventFields fills the order's part of an event.
func orderEventFields(ev *tmf.OrderEvent, id, externalID, state string, handle int, at string) error {
	if id == "" {
		return errors.New(at + ".id: required")
	}
	ev.OrderID, ev.ExternalID, ev.State, ev.Handle = id, externalID, state, handle
	return nil
}

// eventItem says whether an event is about an item: its order carries
// exactly one item (whose id is id()). An item's change must carry its
// item; any other event carrying several items is about the order (a
// snapshot).
func eventItem(t tmf.EventType, n int, itemChange tmf.EventType, at string, id func() string) (bool, error) {
	switch {
	case n == 1 && id() == "":
		return false, errors.New(at + "[0].id: required")
	case n == 1:
		return true, nil
	case t == itemChange:
		return false, fmt.Errorf("%s: an item's change carries the one item that changed, not %d", at, n)
	}
	return false, nil
}

package orderwire

import (
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// The TMF652 v4 wire shape of a resource order, and its conversion to and
// from the internal one (core/tmf) that ROM takes; exported, like the
// service order's, for processes that run SOM and ROM apart.
//
// What v4 lacks is carried in extension fields:
//   - place, on the order: the site whose resources it allocates (ROM
//     allocates per site; v4 has no place on an order).
//   - on each item: resourceCharacteristic (what the item asks for: the
//     allocated resource's own characteristics are under resource),
//     stateReason (a v5 field), milestone (the stage a CPE shipment
//     reached: staged, inTransit, delivered, installed, lost, damaged),
//     completionDate, and @handle (the orderer's Handle, echoed in ROM's
//     events; omitted when 0).
//   - on an item's resource: lifecycleState, ROM's own state of the
//     resource (released, terminated, lost, replaced are finer than the v4
//     resourceStatus, as in TMF639), and role (events only).
//
// An item's dependencies are v4 orderItemRelationship entries of type
// dependsOn. Hrefs are derived from ids (the order, the resource in
// TMF639) and not read back.

// ResourceOrder is a TMF652 v4 ResourceOrder. A new order (no id yet) has
// no id, href, state or dates: it is the body of POST resourceOrder.
type ResourceOrder struct {
	ID             string              `json:"id,omitempty"`
	Href           string              `json:"href,omitempty"`
	ExternalID     string              `json:"externalId,omitempty"`
	Name           string              `json:"name,omitempty"`
	State          string              `json:"state,omitempty"`
	OrderDate      string              `json:"orderDate,omitempty"`
	StartDate      string              `json:"startDate,omitempty"`
	CompletionDate string              `json:"completionDate,omitempty"`
	Place          *tmf630.Place       `json:"place,omitempty"`
	RelatedParty   []tmf630.Ref        `json:"relatedParty,omitempty"`
	OrderItem      []ResourceOrderItem `json:"orderItem,omitempty"`
	Handle         int                 `json:"@handle,omitempty"`
	Type           string              `json:"@type,omitempty"`
}

// ResourceOrderItem is a TMF652 v4 ResourceOrderItem: one RFS.
type ResourceOrderItem struct {
	ID                     string                  `json:"id"`
	Action                 string                  `json:"action"`
	State                  string                  `json:"state,omitempty"`
	StateReason            string                  `json:"stateReason,omitempty"`
	ResourceSpecification  *tmf630.Ref             `json:"resourceSpecification,omitempty"`
	ResourceCharacteristic []tmf630.Characteristic `json:"resourceCharacteristic,omitempty"`
	Resource               *ResourceRefOrValue     `json:"resource,omitempty"`
	OrderItemRelationship  []OrderItemRelationship `json:"orderItemRelationship,omitempty"`
	Milestone              string                  `json:"milestone,omitempty"`
	CompletionDate         string                  `json:"completionDate,omitempty"`
	Handle                 int                     `json:"@handle,omitempty"`
	Type                   string                  `json:"@type,omitempty"`
}

// ResourceRefOrValue is a v4 ResourceRefOrValue: the resource an item
// allocated (or, for a delete, gives back). @type is its kind (OLTPort,
// VLAN), as in TMF639.
type ResourceRefOrValue struct {
	ID                     string                  `json:"id,omitempty"`
	Href                   string                  `json:"href,omitempty"`
	Name                   string                  `json:"name,omitempty"`
	Type                   string                  `json:"@type,omitempty"`
	Category               string                  `json:"category,omitempty"`
	Value                  string                  `json:"value,omitempty"`
	ResourceStatus         string                  `json:"resourceStatus,omitempty"`
	UsageState             string                  `json:"usageState,omitempty"`
	LifecycleState         string                  `json:"lifecycleState,omitempty"`
	ResourceCharacteristic []tmf630.Characteristic `json:"resourceCharacteristic,omitempty"`
	Place                  *tmf630.Place           `json:"place,omitempty"`
	Role                   string                  `json:"role,omitempty"`
}

// OrderItemRelationship is a v4 ResourceOrderItemRelationship.
type OrderItemRelationship struct {
	RelationshipType string               `json:"relationshipType"`
	OrderItem        ResourceOrderItemRef `json:"orderItem,omitempty"`
}

// ResourceOrderItemRef is a v4 ResourceOrderItemRef.
type ResourceOrderItemRef struct {
	ItemID            string `json:"itemId"`
	ResourceOrderID   string `json:"resourceOrderId,omitempty"`
	ResourceOrderHref string `json:"resourceOrderHref,omitempty"`
}

// dependsOn is the relationship type of an item's dependency.
const DependsOn = "dependsOn"

// ResourceOrderToWire maps an internal resource order to TMF652 v4; epoch
// is the calendar time of T+0. An order ROM has not accepted yet (no id)
// maps to the body of POST resourceOrder.
func ResourceOrderToWire(ro *tmf.ResourceOrder, epoch time.Time) ResourceOrder {
	out := ResourceOrder{ExternalID: ro.ExternalID, Name: ro.Name, State: ro.State, RelatedParty: tmf630.Refs(ro.RelatedParty, party),
		Type: "ResourceOrder", OrderItem: make([]ResourceOrderItem, len(ro.Items))}
	if ro.ID != "" {
		out.ID, out.Href = ro.ID, tmf630.EntityHref(tmf630.ResourceOrdering, "resourceOrder", ro.ID)
		out.OrderDate = wireDate(epoch, ro.OrderDate)
	}
	if ro.StartDate != 0 {
		out.StartDate = wireDate(epoch, ro.StartDate)
	}
	if ro.CompletionDate != 0 {
		out.CompletionDate = wireDate(epoch, ro.CompletionDate)
	}
	if ro.Place != (tmf.Place{}) {
		p := tmf630.PlaceOf(ro.Place)
		out.Place = &p
	}
	for i := range ro.Items {
		it := &ro.Items[i]
		item := ResourceOrderItem{ID: it.ID, Action: string(it.Action), State: it.State, StateReason: it.StateReason,
			ResourceCharacteristic: tmf630.WireCharacteristics(it.Characteristics), Milestone: it.Milestone, Handle: it.Handle,
			Type: "ResourceOrderItem"}
		if it.Specification != (tmf.Ref{}) {
			r := wireRef(it.Specification)
			item.ResourceSpecification = &r
		}
		if it.Resource != nil {
			res := wireResource(it.Resource)
			item.Resource = &res
		}
		for _, d := range it.DependsOn {
			item.OrderItemRelationship = append(item.OrderItemRelationship,
				OrderItemRelationship{RelationshipType: DependsOn, OrderItem: ResourceOrderItemRef{ItemID: d, ResourceOrderID: ro.ID, ResourceOrderHref: out.Href}})
		}
		if it.CompletionDate != 0 {
			item.CompletionDate = wireDate(epoch, it.CompletionDate)
		}
		out.OrderItem[i] = item
	}
	return out
}

// wireResource maps an item's resource. Its state, when it has one, is
// mapped to the v4 attributes as TMF639 does, and kept as it is in
// lifecycleState.
func wireResource(res *tmf.Resource) ResourceRefOrValue {
	out := ResourceRefOrValue{ID: res.ID, Type: res.ResourceType, Category: res.Category, Value: res.Value,
		LifecycleState: res.State, ResourceCharacteristic: tmf630.WireCharacteristics(res.Characteristics)}
	if res.ID != "" {
		out.Href = tmf630.EntityHref(tmf630.ResourceInventory, "resource", res.ID)
	}
	if res.State != "" {
		out.ResourceStatus, out.UsageState, _ = tmf.ResourceStates(res.State, res.UsageState)
	}
	if res.Place != (tmf.Place{}) {
		p := tmf630.PlaceOf(res.Place)
		out.Place = &p
	}
	return out
}

// ResourceOrderFromWire maps a TMF652 v4 resource order to the internal
// one; epoch is the calendar time of T+0. It reads what
// ResourceOrderToWire writes, and any v4 order: an error names the field
// it cannot read. It checks no business rule: DecodeResourceOrder does,
// for a new order.
func ResourceOrderFromWire(w *ResourceOrder, epoch time.Time) (*tmf.ResourceOrder, error) {
	ro := &tmf.ResourceOrder{ID: w.ID, ExternalID: w.ExternalID, Name: w.Name, State: w.State,
		RelatedParty: parties(w.RelatedParty)}
	var err error
	for _, d := range []struct {
		name string
		to   *time.Duration
		from string
	}{{"orderDate", &ro.OrderDate, w.OrderDate}, {"startDate", &ro.StartDate, w.StartDate}, {"completionDate", &ro.CompletionDate, w.CompletionDate}} {
		if *d.to, err = internalDate(epoch, d.name, d.from); err != nil {
			return nil, err
		}
	}
	if w.Place != nil {
		ro.Place = internalPlace(*w.Place)
	}
	if len(w.OrderItem) > 0 {
		ro.Items = make([]tmf.ResourceOrderItem, len(w.OrderItem))
	}
	for i := range w.OrderItem {
		it := &w.OrderItem[i]
		item := &ro.Items[i]
		*item = tmf.ResourceOrderItem{ID: it.ID, Action: tmf.Action(it.Action), State: it.State, StateReason: it.StateReason,
			Characteristics: internalCharacteristics(it.ResourceCharacteristic), Milestone: it.Milestone, Handle: it.Handle}
		if it.ResourceSpecification != nil {
			item.Specification = internalRef(*it.ResourceSpecification)
		}
		if it.Resource != nil {
			item.Resource = internalResource(it.Resource)
		}
		for _, rel := range it.OrderItemRelationship {
			if rel.RelationshipType == DependsOn {
				item.DependsOn = append(item.DependsOn, rel.OrderItem.ItemID)
			}
		}
		if item.CompletionDate, err = internalDate(epoch, tmf630.Field("orderItem", i, "completionDate"), it.CompletionDate); err != nil {
			return nil, err
		}
	}
	return ro, nil
}

// internalResource is the inverse of wireResource. A resource with no
// lifecycleState (from another system) takes its v4 resourceStatus; the
// usage is active or nothing, as ROM keeps it.
func internalResource(w *ResourceRefOrValue) *tmf.Resource {
	res := &tmf.Resource{ID: w.ID, ResourceType: w.Type, Category: w.Category, Value: w.Value, State: w.LifecycleState,
		Characteristics: internalCharacteristics(w.ResourceCharacteristic)}
	if res.State == "" {
		res.State = w.ResourceStatus
	}
	if w.UsageState == "active" {
		res.UsageState = "active"
	}
	if w.Place != nil {
		res.Place = internalPlace(*w.Place)
	}
	return res
}

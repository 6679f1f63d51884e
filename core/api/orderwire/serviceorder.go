package orderwire

import (
	"fmt"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// The TMF641 v4 wire shape of a service order, and its conversion to and
// from the internal one (core/tmf) that SOM takes. The conversions are
// exported for processes that run COM and SOM apart: COM's side turns the
// order it made into the body of POST serviceOrder, SOM's side turns the
// body back into the order, and GET answers with the same shape.
//
// What v4 lacks is carried in extension fields:
//   - @handle, on the order and on each item: the orderer's Handle (an
//     index into its own bookkeeping), which SOM echoes in its events;
//     omitted when 0.
//   - stateReason on an item (a v5 field): why it failed or was cancelled.
//   - productOrderItem on an item: the TMF622 item it realises.
//   - place[].address: the street address (as in tmf630.Place).
//   - milestone: the v4.1 ServiceOrderMilestone list (events only).
//
// Hrefs are derived from ids (the order, the service in TMF638, its
// specification in TMF633, its resources in TMF639) and not read back:
// the internal model keeps none. External references keep their id as the
// v4 name and their type; their href is kept as it is (a v5 field).

// ServiceOrder is a TMF641 v4 ServiceOrder. A new order (no id yet) has no
// id, href, state or dates: it is the body of POST serviceOrder.
type ServiceOrder struct {
	ID                string                  `json:"id,omitempty"`
	Href              string                  `json:"href,omitempty"`
	ExternalID        string                  `json:"externalId,omitempty"`
	Category          string                  `json:"category,omitempty"`
	Description       string                  `json:"description,omitempty"`
	State             string                  `json:"state,omitempty"`
	OrderDate         string                  `json:"orderDate,omitempty"`
	CompletionDate    string                  `json:"completionDate,omitempty"`
	RelatedParty      []tmf630.Ref            `json:"relatedParty,omitempty"`
	ExternalReference []ExternalReference     `json:"externalReference,omitempty"`
	ServiceOrderItem  []ServiceOrderItem      `json:"serviceOrderItem,omitempty"`
	Milestone         []ServiceOrderMilestone `json:"milestone,omitempty"`
	Handle            int                     `json:"@handle,omitempty"`
	Type              string                  `json:"@type,omitempty"`
}

// ServiceOrderItem is a TMF641 v4 ServiceOrderItem: one CFS at one site.
type ServiceOrderItem struct {
	ID               string            `json:"id"`
	Action           string            `json:"action"`
	State            string            `json:"state,omitempty"`
	StateReason      string            `json:"stateReason,omitempty"`
	Service          ServiceRefOrValue `json:"service"`
	ProductOrderItem *tmf630.Ref       `json:"productOrderItem,omitempty"`
	Handle           int               `json:"@handle,omitempty"`
	Type             string            `json:"@type,omitempty"`
}

// ServiceRefOrValue is a v4 ServiceRefOrValue: the service an item
// orders, and once installed its id in TMF638. Value and role are
// extensions an event uses for what the item produced.
type ServiceRefOrValue struct {
	ID                    string                  `json:"id,omitempty"`
	Href                  string                  `json:"href,omitempty"`
	Name                  string                  `json:"name,omitempty"`
	Category              string                  `json:"category,omitempty"`
	State                 string                  `json:"state,omitempty"`
	StartDate             string                  `json:"startDate,omitempty"`
	ServiceSpecification  *tmf630.Ref             `json:"serviceSpecification,omitempty"`
	ServiceCharacteristic []tmf630.Characteristic `json:"serviceCharacteristic,omitempty"`
	Place                 []tmf630.Place          `json:"place,omitempty"`
	RelatedParty          []tmf630.Ref            `json:"relatedParty,omitempty"`
	SupportingResource    []tmf630.Ref            `json:"supportingResource,omitempty"`
	Value                 string                  `json:"value,omitempty"`
	Role                  string                  `json:"role,omitempty"`
	ReferredType          string                  `json:"@referredType,omitempty"`
}

// ExternalReference is a v4 ExternalReference: name is the id of the
// entity in the other system (a product order), externalReferenceType its
// kind.
type ExternalReference struct {
	Name                  string `json:"name"`
	ExternalReferenceType string `json:"externalReferenceType,omitempty"`
	Href                  string `json:"href,omitempty"`
}

// ServiceOrderMilestone is a TMF641 v4.1 ServiceOrderMilestone: a stage
// an item reached.
type ServiceOrderMilestone struct {
	Name             string                `json:"name"`
	Status           string                `json:"status,omitempty"`
	MilestoneDate    string                `json:"milestoneDate,omitempty"`
	ServiceOrderItem []ServiceOrderItemRef `json:"serviceOrderItem,omitempty"`
	Type             string                `json:"@type,omitempty"`
}

// ServiceOrderItemRef is a TMF641 v4.1 ServiceOrderItemRef.
type ServiceOrderItemRef struct {
	ItemID           string `json:"itemId"`
	ServiceOrderID   string `json:"serviceOrderId,omitempty"`
	ServiceOrderHref string `json:"serviceOrderHref,omitempty"`
}

// ServiceOrderToWire maps an internal service order to TMF641 v4; epoch is
// the calendar time of T+0. An order SOM has not accepted yet (no id) maps
// to the body of POST serviceOrder.
func ServiceOrderToWire(so *tmf.ServiceOrder, epoch time.Time) ServiceOrder {
	out := ServiceOrder{ExternalID: so.ExternalID, Category: so.Category, Description: so.Description, State: so.State,
		RelatedParty: tmf630.Refs(so.RelatedParty, party), Handle: so.Handle, Type: "ServiceOrder",
		ServiceOrderItem: make([]ServiceOrderItem, len(so.Items))}
	if so.ID != "" {
		out.ID, out.Href = so.ID, tmf630.EntityHref(tmf630.ServiceOrdering, "serviceOrder", so.ID)
		out.OrderDate = wireDate(epoch, so.OrderDate)
	}
	if so.CompletionDate != 0 {
		out.CompletionDate = wireDate(epoch, so.CompletionDate)
	}
	for _, r := range so.ExternalRef {
		out.ExternalReference = append(out.ExternalReference, ExternalReference{Name: r.ID, ExternalReferenceType: r.Type, Href: r.Href})
	}
	for i := range so.Items {
		it := &so.Items[i]
		item := ServiceOrderItem{ID: it.ID, Action: string(it.Action), State: it.State, StateReason: it.StateReason,
			Service: wireService(&it.Service, epoch), Handle: it.Handle, Type: "ServiceOrderItem"}
		if it.ProductOrderItem != (tmf.Ref{}) {
			r := wireRef(it.ProductOrderItem)
			item.ProductOrderItem = &r
		}
		out.ServiceOrderItem[i] = item
	}
	return out
}

// wireService maps the service of an item.
func wireService(svc *tmf.Service, epoch time.Time) ServiceRefOrValue {
	out := ServiceRefOrValue{ID: svc.ID, Name: svc.Name, Category: svc.Category, State: svc.State,
		ServiceCharacteristic: tmf630.WireCharacteristics(svc.Characteristics), RelatedParty: tmf630.Refs(svc.RelatedParty, party)}
	if svc.ID != "" {
		out.Href = tmf630.EntityHref(tmf630.ServiceInventory, "service", svc.ID)
	}
	if svc.StartDate != 0 {
		out.StartDate = wireDate(epoch, svc.StartDate)
	}
	if spec := svc.Specification; spec != (tmf.Ref{}) {
		r := wireRef(spec)
		r.Href = tmf630.EntityHref(tmf630.ServiceCatalog, "serviceSpecification", spec.ID)
		out.ServiceSpecification = &r
	}
	if svc.Place != (tmf.Place{}) {
		out.Place = []tmf630.Place{tmf630.PlaceOf(svc.Place)}
	}
	for _, r := range svc.SupportingRes {
		w := wireRef(r)
		w.Href = tmf630.EntityHref(tmf630.ResourceInventory, "resource", r.ID)
		out.SupportingResource = append(out.SupportingResource, w)
	}
	return out
}

// ServiceOrderFromWire maps a TMF641 v4 service order to the internal one;
// epoch is the calendar time of T+0. It reads what ServiceOrderToWire
// writes, and any v4 order: an error names the field it cannot read. It
// checks no business rule: DecodeServiceOrder does, for a new order.
func ServiceOrderFromWire(w *ServiceOrder, epoch time.Time) (*tmf.ServiceOrder, error) {
	so := &tmf.ServiceOrder{ID: w.ID, ExternalID: w.ExternalID, Category: w.Category, Description: w.Description,
		State: w.State, RelatedParty: parties(w.RelatedParty), Handle: w.Handle}
	var err error
	if so.OrderDate, err = internalDate(epoch, "orderDate", w.OrderDate); err != nil {
		return nil, err
	}
	if so.CompletionDate, err = internalDate(epoch, "completionDate", w.CompletionDate); err != nil {
		return nil, err
	}
	for _, r := range w.ExternalReference {
		so.ExternalRef = append(so.ExternalRef, tmf.Ref{ID: r.Name, Type: r.ExternalReferenceType, Href: r.Href})
	}
	if len(w.ServiceOrderItem) > 0 {
		so.Items = make([]tmf.ServiceOrderItem, len(w.ServiceOrderItem))
	}
	for i := range w.ServiceOrderItem {
		it := &w.ServiceOrderItem[i]
		item := &so.Items[i]
		*item = tmf.ServiceOrderItem{ID: it.ID, Action: tmf.Action(it.Action), State: it.State, StateReason: it.StateReason,
			Handle: it.Handle}
		if it.ProductOrderItem != nil {
			item.ProductOrderItem = internalRef(*it.ProductOrderItem)
		}
		if err := internalService(&item.Service, &it.Service, epoch, tmf630.Field("serviceOrderItem", i, "service")); err != nil {
			return nil, err
		}
	}
	return so, nil
}

// internalService maps the service of an item; at names it in errors.
func internalService(svc *tmf.Service, w *ServiceRefOrValue, epoch time.Time, at string) error {
	*svc = tmf.Service{ID: w.ID, Name: w.Name, Category: w.Category, State: w.State, RelatedParty: parties(w.RelatedParty)}
	var err error
	if svc.StartDate, err = internalDate(epoch, at+".startDate", w.StartDate); err != nil {
		return err
	}
	if w.ServiceSpecification != nil {
		svc.Specification = internalRef(*w.ServiceSpecification)
		svc.Specification.Href = "" // derived from the id
	}
	switch len(w.Place) {
	case 0:
	case 1:
		svc.Place = internalPlace(w.Place[0])
	default:
		return fmt.Errorf("%s.place: a service is at one site, not %d", at, len(w.Place))
	}
	svc.Characteristics = internalCharacteristics(w.ServiceCharacteristic)
	for _, r := range w.SupportingResource {
		ref := internalRef(r)
		ref.Href = "" // derived from the id
		svc.SupportingRes = append(svc.SupportingRes, ref)
	}
	return nil
}

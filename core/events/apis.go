package events

import (
	"slices"
	"strings"

	"github.com/ordertwin/ordertwin/core/tmf"
)

// API is a TMF Open API with a hub: listeners registered on it are sent
// the events of its entities.
type API struct {
	// Name is its name in the base path (productOrderingManagement), and
	// the domain of its events.
	Name string
	// Base is its v4 base path.
	Base string
	// Entities are the kinds of entity its events carry, by their field
	// in the event payload (productOrder).
	Entities []*Entity
	// changeOnly: the API names every change <Type>ChangeEvent (TMF633),
	// not AttributeValueChange or StateChange.
	changeOnly bool
}

// Entity is a resource of an API, as its events carry it.
type Entity struct {
	API *API
	// Field is its name in the payload (productOrder); Path the
	// collection in its href (productOrder); Type its @type and the stem
	// of its event types (ProductOrder).
	Field, Path, Type string
	// State is the attribute holding its state ("state", "status" for a
	// product, "resourceStatus" for a resource); "" when it has none.
	State string
	// Items is the field of its items (productOrderItem), and ItemType
	// their @type, for an order.
	Items, ItemType string
	// onWire, when set, puts a journalled state into the payload in the
	// API's terms (a resource: v4's resourceStatus, ROM's own state as a
	// characteristic); otherwise the state goes in State as it is.
	onWire func(payload map[string]any, state string)
	// wireAttrs are the attributes onWire puts into the payload.
	wireAttrs []string
	// ownType: the entity's @type is its own, as its API's GET gives it
	// (a resource's OLTPort, IPv4Subnet), which the Directory's Types
	// tells; Type is the API's, and the @type of an entity it knows none
	// of.
	ownType bool
}

// The event types of an entity are <Type><suffix>.
const (
	createEvent     = "CreateEvent"
	stateChange     = "StateChangeEvent"
	attributeChange = "AttributeValueChangeEvent"
	changeEvent     = "ChangeEvent" // TMF633's one kind of change
	deleteEvent     = "DeleteEvent"
	jeopardyEvent   = "JeopardyEvent"  // TMF641 v4.1's, for every order
	milestoneEvent  = "MilestoneEvent" // TMF641 v4.1's, for every order
)

// orderItemSuffix makes an order's journal kind that of its items.
const orderItemSuffix = "Item"

// Journal kinds and events the notifier reads (core/engine, core/docs).
const (
	jeopardyKind    = "jeopardy"  // Out.Jeopardy: To is its type, Reason its message
	milestoneKind   = "milestone" // ROM: an item's milestone (To) reached
	hubKind         = "hub"       // the docs collection of listeners
	docCreate       = "create"    // docs and lifecycles: a creation
	docPatch        = "patch"     // docs: a merge patch
	docDelete       = "delete"    // docs: a deletion
	docCreatedState = "created"   // docs: To of a creation, not a state
	inventoryModify = "modify"    // inventories: attributes changed (engine.InventoryModify)
)

// HubCollection is the docs collection that keeps hub listeners.
const HubCollection = hubKind

// The APIs that have a hub (the v4 specifications' /hub), each with the
// entities whose records the journal holds or may hold.
var (
	ProductOrdering   = &API{Name: "productOrderingManagement", Base: "/tmf-api/productOrderingManagement/v4"}
	QuoteManagement   = &API{Name: "quoteManagement", Base: "/tmf-api/quoteManagement/v4"}
	ProductCatalog    = &API{Name: "productCatalogManagement", Base: "/tmf-api/productCatalogManagement/v4"}
	ServiceCatalog    = &API{Name: "serviceCatalogManagement", Base: "/tmf-api/serviceCatalogManagement/v4", changeOnly: true}
	ProductInventory  = &API{Name: "productInventory", Base: "/tmf-api/productInventory/v4"}
	ServiceInventory  = &API{Name: "serviceInventory", Base: "/tmf-api/serviceInventory/v4"}
	ResourceInventory = &API{Name: "resourceInventoryManagement", Base: "/tmf-api/resourceInventoryManagement/v4"}
	ServiceOrdering   = &API{Name: "serviceOrdering", Base: "/tmf-api/serviceOrdering/v4"}
	ResourceOrdering  = &API{Name: "resourceOrderingManagement", Base: "/tmf-api/resourceOrderingManagement/v4"}
)

// APIs lists the APIs with a hub.
func APIs() []*API {
	return []*API{ProductOrdering, QuoteManagement, ProductCatalog, ServiceCatalog, ProductInventory,
		ServiceInventory, ResourceInventory, ServiceOrdering, ResourceOrdering}
}

// APIAt returns the API whose base path is base, or nil.
func APIAt(base string) *API {
	for _, a := range APIs() {
		if a.Base == base {
			return a
		}
	}
	return nil
}

func (a *API) entity(field, typ, state string) *Entity {
	e := &Entity{API: a, Field: field, Path: field, Type: typ, State: state}
	a.Entities = append(a.Entities, e)
	return e
}

// wire sets how the entity's states go on the wire: fn puts them into the
// payload as attrs (in the form of Attributes).
func (e *Entity) wire(fn func(payload map[string]any, state string), attrs ...string) *Entity {
	e.onWire, e.wireAttrs = fn, attrs
	return e
}

// typed says the entity's events carry its own @type (ownType).
func (e *Entity) typed() *Entity {
	e.ownType = true
	return e
}

// Attributes are those the entity's events may carry (translator.event),
// as a hub query names them beneath event.<entity>: id, href, @type (and
// @baseType, of an entity with a type of its own), its state, an order's items, jeopardy alerts and milestones; sorted.
func (e *Entity) Attributes() []string {
	out := []string{"id", "href", "@type"}
	if e.ownType {
		out = append(out, "@baseType")
	}
	if e.State != "" {
		if e.onWire != nil {
			out = append(out, e.wireAttrs...)
		} else {
			out = append(out, e.State)
		}
	}
	if e.Items != "" {
		out = append(out, e.Items, e.Items+".id", e.Items+".state", e.Items+".@type")
	}
	for _, r := range jeopardyOf {
		if r.entity == e {
			out = append(out, "jeopardyAlert", "jeopardyAlert.name", "jeopardyAlert.jeopardyType", "jeopardyAlert.message",
				"jeopardyAlert.alertDate", "jeopardyAlert.@type")
		}
	}
	for _, r := range byKind {
		if r.entity == e && r.milestone {
			out = append(out, "milestone", "milestone.name", "milestone.milestoneDate", "milestone.status", "milestone.message",
				"milestone.orderItem", "milestone.orderItem.id", "milestone.@type")
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (a *API) order(field, typ, items string) *Entity {
	e := a.entity(field, typ, "state")
	e.Items, e.ItemType = items, typ+orderItemSuffix
	return e
}

// The entities, and which journal kind is about which (kinds registered,
// not branched on). A record of a lifecycle kind is a creation or a state
// change; a record of a docs collection (core/docs) a creation, a change
// of attributes (a merge patch) or a deletion.
var (
	productOrder  = ProductOrdering.order("productOrder", "ProductOrder", "productOrderItem")
	serviceOrder  = ServiceOrdering.order("serviceOrder", "ServiceOrder", "serviceOrderItem")
	resourceOrder = ResourceOrdering.order("resourceOrder", "ResourceOrder", "orderItem")

	resourceEntity = ResourceInventory.entity("resource", "Resource", "resourceStatus").typed().wire(func(payload map[string]any, state string) {
		payload["resourceStatus"], _, _ = tmf.ResourceStates(state, "")
		payload["resourceCharacteristic"] = []any{map[string]any{"name": "lifecycleState", "valueType": "string", "value": state}}
	}, "resourceStatus", "resourceCharacteristic", "resourceCharacteristic.name", "resourceCharacteristic.valueType", "resourceCharacteristic.value")

	byKind = map[string]rule{
		"productOrder":      {entity: productOrder},
		"productOrderItem":  {entity: productOrder, item: true},
		"serviceOrder":      {entity: serviceOrder},
		"serviceOrderItem":  {entity: serviceOrder, item: true},
		"resourceOrder":     {entity: resourceOrder},
		"resourceOrderItem": {entity: resourceOrder, item: true},
		// A CPE shipment's milestones (staged, in transit, delivered,
		// installed), reached by a resource order item.
		milestoneKind: {entity: resourceOrder, item: true, milestone: true},
		"quote":       {entity: QuoteManagement.entity("quote", "Quote", "state")},
		// Cancellation requests (TMF622 cancelProductOrder) are documents.
		"cancelProductOrder": {entity: ProductOrdering.entity("cancelProductOrder", "CancelProductOrder", "state")},
		// Inventories: COM, SOM and ROM journal each product, service and
		// resource made (create), each change of its state (change) and
		// each change of its attributes (modify: a modify order's).
		"product":  {entity: ProductInventory.entity("product", "Product", "status")},
		"service":  {entity: ServiceInventory.entity("service", "Service", "state")},
		"resource": {entity: resourceEntity},
		// Documents clients own (core/docs): a collection is named after
		// the TMF resource it holds.
		"catalog":              {entity: ProductCatalog.entity("catalog", "Catalog", "")},
		"category":             {entity: ProductCatalog.entity("category", "Category", "")},
		"productOffering":      {entity: ProductCatalog.entity("productOffering", "ProductOffering", "")},
		"productOfferingPrice": {entity: ProductCatalog.entity("productOfferingPrice", "ProductOfferingPrice", "")},
		"productSpecification": {entity: ProductCatalog.entity("productSpecification", "ProductSpecification", "")},
		"serviceCatalog":       {entity: ServiceCatalog.entity("serviceCatalog", "ServiceCatalog", "")},
		"serviceCategory":      {entity: ServiceCatalog.entity("serviceCategory", "ServiceCategory", "")},
		"serviceCandidate":     {entity: ServiceCatalog.entity("serviceCandidate", "ServiceCandidate", "")},
		"serviceSpecification": {entity: ServiceCatalog.entity("serviceSpecification", "ServiceSpecification", "")},
	}

	// jeopardyOf is the order a jeopardy alert is about, by the component
	// that raised it; its entity is an item of that order, or (COM) a
	// wave, named <order>/<wave>.
	jeopardyOf = map[string]rule{
		"COM": {entity: productOrder, item: true},
		"SOM": {entity: serviceOrder, item: true},
		"ROM": {entity: resourceOrder, item: true},
	}
)

// rule says which entity a kind of record is about; item: the record's
// entity is an item of it, or (jeopardy) an item or a part named
// <order>/<part>.
type rule struct {
	entity    *Entity
	item      bool
	milestone bool
}

// itemKind is the journal kind of the items of an order entity.
func (e *Entity) itemKind() string { return e.Field + orderItemSuffix }

// EventTypes lists the event types an API's listeners may ask for.
func (a *API) EventTypes() []string {
	var out []string
	for _, e := range a.Entities {
		if a.changeOnly {
			out = append(out, e.Type+createEvent, e.Type+changeEvent, e.Type+deleteEvent)
			continue
		}
		out = append(out, e.Type+createEvent, e.Type+attributeChange)
		if e.State != "" {
			out = append(out, e.Type+stateChange)
		}
		if e.Items != "" {
			out = append(out, e.Type+jeopardyEvent, e.Type+milestoneEvent)
		}
		out = append(out, e.Type+deleteEvent)
	}
	return out
}

// entityField returns the API's entity whose payload field is field, or
// nil.
func (a *API) entityField(field string) *Entity {
	i := slices.IndexFunc(a.Entities, func(e *Entity) bool { return e.Field == field })
	if i < 0 {
		return nil
	}
	return a.Entities[i]
}

// fields lists the payload fields of the API's entities, for messages.
func (a *API) fields() string {
	var f []string
	for _, e := range a.Entities {
		f = append(f, e.Field)
	}
	return strings.Join(f, ", ")
}

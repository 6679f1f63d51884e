package tmf

import (
	"cmp"
	"fmt"
	"iter"
	"slices"
	"time"
)

// Ref points at another entity.
type Ref struct {
	ID   string `json:"id"`
	Href string `json:"href,omitempty"`
	Name string `json:"name,omitempty"`
	Role string `json:"role,omitempty"`
	Type string `json:"@referredType,omitempty"`
}

// Characteristic is a name/value pair of a product, service or resource.
type Characteristic struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Characteristics is an ordered list of characteristics.
type Characteristics []Characteristic

// Get returns the value of the characteristic called name, or "".
func (cs Characteristics) Get(name string) string {
	for _, c := range cs {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Set replaces the value of name, or appends it.
func (cs *Characteristics) Set(name, value string) {
	for i := range *cs {
		if (*cs)[i].Name == name {
			(*cs)[i].Value = value
			return
		}
	}
	*cs = append(*cs, Characteristic{name, value})
}

// Place is a site address.
type Place struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Role string `json:"role,omitempty"`
	// Address is the street address qualified by the twin or the network.
	Address string `json:"address"`
}

// Action is a TMF order item action.
type Action string

// Order item actions (OrderItemActionType).
const (
	Add    Action = "add"
	Modify Action = "modify"
	Delete Action = "delete"
)

// ProductOrder is a TMF622 v4 ProductOrder.
type ProductOrder struct {
	ID                      string             `json:"id"`
	ExternalID              string             `json:"externalId,omitempty"`
	Description             string             `json:"description,omitempty"`
	Category                string             `json:"category,omitempty"`
	OrderDate               time.Duration      `json:"-"`
	CompletionDate          time.Duration      `json:"-"`
	State                   string             `json:"state"`
	Quote                   []Ref              `json:"quote,omitempty"`
	RelatedParty            []Ref              `json:"relatedParty,omitempty"`
	BillingAccount          *Ref               `json:"billingAccount,omitempty"`
	Agreement               []Ref              `json:"agreement,omitempty"`
	Items                   []ProductOrderItem `json:"productOrderItem"`
	RequestedCompletionDate time.Duration      `json:"-"`
	// Approval is set once the order's quote was approved and COM took the
	// order on it: which quote, and when.
	Approval *OrderApproval `json:"-"`
}

// OrderApproval is the approval a product order carries: its quote's.
type OrderApproval struct {
	Quote string
	At    time.Duration
}

// PlannedWave is one wave of an order's rollout plan: its service order
// (ServiceOrderID once SOM took it), the wave's state (scheduled until
// released), its sites and dates.
type PlannedWave struct {
	Name, ServiceOrder, ServiceOrderID, State string
	Sites                                     []string
	Target, ReleasedAt, CompletedAt           time.Duration
}

// ProductOrderItem is a TMF622 v4 ProductOrderItem: one site.
type ProductOrderItem struct {
	ID               string          `json:"id"`
	Action           Action          `json:"action"`
	State            string          `json:"state"`
	StateReason      string          `json:"stateReason,omitempty"`
	ProductOffering  Ref             `json:"productOffering"`
	Place            Place           `json:"place"`
	Characteristics  Characteristics `json:"productCharacteristic,omitempty"`
	QuoteItem        *Ref            `json:"quoteItem,omitempty"`
	Qualification    []Ref           `json:"qualification,omitempty"`
	ItemTerm         int             `json:"itemTerm,omitempty"` // months
	MonthlyPrice     float64         `json:"-"`
	ProductInstance  *Ref            `json:"product,omitempty"`
	ServiceOrderItem []Ref           `json:"-"`
	// Services are the service instances SOM reported as the item's
	// service order items completed: they realise its product.
	Services []Ref `json:"-"`
}

// ServiceOrder is a TMF641 v4 ServiceOrder.
type ServiceOrder struct {
	ID             string             `json:"id"`
	ExternalID     string             `json:"externalId,omitempty"`
	Category       string             `json:"category,omitempty"`
	Description    string             `json:"description,omitempty"`
	State          string             `json:"state"`
	OrderDate      time.Duration      `json:"-"`
	CompletionDate time.Duration      `json:"-"`
	RelatedParty   []Ref              `json:"relatedParty,omitempty"`
	ExternalRef    []Ref              `json:"externalReference,omitempty"`
	Items          []ServiceOrderItem `json:"serviceOrderItem"`
	// Handle is the orderer's handle for the order, echoed in its events.
	Handle int `json:"-"`
}

// ServiceOrderItem is a TMF641 v4 ServiceOrderItem: one CFS at one site.
type ServiceOrderItem struct {
	ID          string  `json:"id"`
	Action      Action  `json:"action"`
	State       string  `json:"state"`
	StateReason string  `json:"stateReason,omitempty"`
	Service     Service `json:"service"`
	// ProductOrderItem is the COM item this one realises.
	ProductOrderItem Ref `json:"productOrderItem"`
	// Handle is the orderer's handle for the item, echoed in the item's
	// events so that the orderer finds its bookkeeping without a lookup.
	Handle int `json:"-"`
}

// Service is a TMF638 v4 Service, as ordered (inside a service order item)
// and as installed (in the service inventory).
type Service struct {
	ID              string          `json:"id,omitempty"`
	Name            string          `json:"name,omitempty"`
	Category        string          `json:"category,omitempty"` // CFS or RFS
	State           string          `json:"state,omitempty"`
	Specification   Ref             `json:"serviceSpecification"`
	Characteristics Characteristics `json:"serviceCharacteristic,omitempty"`
	Place           Place           `json:"place"`
	RelatedParty    []Ref           `json:"relatedParty,omitempty"`
	SupportingRes   []Ref           `json:"supportingResource,omitempty"`
	StartDate       time.Duration   `json:"-"`
	// Ord numbers the services in the order they were installed (a
	// modify keeps the number of the service it replaces): the inventory
	// lists them by it.
	Ord uint64 `json:"-"`
}

// ResourceOrder is a TMF652 v4 ResourceOrder: one site.
type ResourceOrder struct {
	ID             string              `json:"id"`
	ExternalID     string              `json:"externalId,omitempty"`
	Name           string              `json:"name,omitempty"`
	State          string              `json:"state"`
	OrderDate      time.Duration       `json:"-"`
	StartDate      time.Duration       `json:"-"`
	CompletionDate time.Duration       `json:"-"`
	Place          Place               `json:"place"`
	RelatedParty   []Ref               `json:"relatedParty,omitempty"`
	Items          []ResourceOrderItem `json:"orderItem"`
}

// ResourceOrderItem is a TMF652 v4 ResourceOrderItem: one RFS.
type ResourceOrderItem struct {
	ID              string          `json:"id"`
	Action          Action          `json:"action"`
	State           string          `json:"state"`
	StateReason     string          `json:"stateReason,omitempty"`
	Specification   Ref             `json:"resourceSpecification"`
	Characteristics Characteristics `json:"resourceCharacteristic,omitempty"`
	// DependsOn lists the ids of items of the same order that must be
	// completed first (orderItemRelationship of type dependsOn).
	DependsOn []string  `json:"-"`
	Resource  *Resource `json:"resource,omitempty"`
	Milestone string    `json:"milestone,omitempty"`
	// Handle is the orderer's handle for the item, echoed in its events.
	Handle         int           `json:"-"`
	CompletionDate time.Duration `json:"-"`
}

// Resource is a TMF639 v4 Resource.
type Resource struct {
	ID              string          `json:"id"`
	Category        string          `json:"category,omitempty"` // physical or logical
	ResourceType    string          `json:"@type"`
	Value           string          `json:"value"`
	State           string          `json:"resourceStatus"`       // reserved, then available once committed
	UsageState      string          `json:"usageState,omitempty"` // active once its order item completes
	Characteristics Characteristics `json:"resourceCharacteristic,omitempty"`
	Place           Place           `json:"place"`
	// StartDate is when the resource was first allocated to its order.
	StartDate time.Duration `json:"-"`
	// Ord numbers the resources in the order ROM allocated them (one
	// allocated again after it was given back takes a new number): the
	// inventory lists them by it.
	Ord uint64 `json:"-"`
}

// Product is a TMF637 v4 Product instance.
type Product struct {
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Status          string          `json:"status"`
	ProductOffering Ref             `json:"productOffering"`
	Characteristics Characteristics `json:"productCharacteristic,omitempty"`
	Place           Place           `json:"place"`
	RelatedParty    []Ref           `json:"relatedParty,omitempty"`
	Services        []Ref           `json:"realizingService,omitempty"`
	BillingAccount  *Ref            `json:"billingAccount,omitempty"`
	// ProductOrder and ProductOrderItem name the order item that created
	// the product.
	ProductOrder     string        `json:"-"`
	ProductOrderItem string        `json:"-"`
	StartDate        time.Duration `json:"-"`
	// TerminationDate is when a disconnect ended it (status terminated).
	TerminationDate time.Duration `json:"-"`
	MonthlyPrice    float64       `json:"-"`
	// Ord numbers the products in the order they became active: the
	// inventory lists them by it.
	Ord uint64 `json:"-"`
}

// Jeopardy is an alert that an order is at risk (TMF641 v4.1
// jeopardyAlert): something not done by its deadline, a gate held.
type Jeopardy struct {
	// N numbers the raiser's alerts from 1, in the order raised.
	N       int
	At      time.Duration
	Entity  string
	Type    string // JeopardyDeadline, or the raiser's own kind
	Message string
}

// ID is the alert's id on its raiser's worklist and shelf: the raiser's
// prefix and its number, three digits at least (JEO-C007).
func (j Jeopardy) ID(prefix string) string { return fmt.Sprintf("%s%03d", prefix, j.N) }

// Raised gathers the jeopardies each of holders keeps (alerts), in the
// order raised (by N).
func Raised[T any](holders iter.Seq[T], alerts func(T) []Jeopardy) []Jeopardy {
	var all []Jeopardy
	for h := range holders {
		all = append(all, alerts(h)...)
	}
	slices.SortFunc(all, func(a, b Jeopardy) int { return cmp.Compare(a.N, b.N) })
	return all
}

// JeopardyDeadline is the jeopardy type of a missed deadline.
const JeopardyDeadline = "deadline"

// ResourceStates maps ROM's lifecycle of a resource onto the three v4
// state attributes (resourceStatus, usageState, administrativeState):
//
//	ROM state (usage)   resourceStatus usageState administrativeState
//	reserved            reserved       idle       unlocked
//	available (active)  available      active     unlocked
//	available           available      idle       unlocked
//	released            available      idle       unlocked
//	terminated          available      idle       unlocked
//	lost                unknown        idle       locked
//	replaced            unknown        idle       locked
//
// released (given back when a site failed or was cancelled) and
// terminated (given back by a disconnect) are in their pool again: ROM may
// allocate them to the next order, so they are available and unlocked. A
// lost device (written off in transit) and one replaced after it was lost
// are out of service for good: where they are is unknown and nobody may
// use them. v4 has no word for these four, so ROM's state is kept as it is
// in a lifecycleState characteristic (TMF639 on the wire).
func ResourceStates(state, usage string) (status, usageState, admin string) {
	switch state {
	case "reserved":
		return "reserved", "idle", "unlocked"
	case "available":
		if usage == "active" {
			return "available", "active", "unlocked"
		}
		return "available", "idle", "unlocked"
	case "released", "terminated":
		return "available", "idle", "unlocked"
	case "lost", "replaced":
		return "unknown", "idle", "locked"
	}
	return "unknown", "idle", "unlocked"
}

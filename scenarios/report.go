package scenarios

import (
	"cmp"
	"slices"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Report is what a run produced: the JSON report of `ordertwin run
// --format json`. Every *At field is an ISO 8601 offset from T+0.
type Report struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	Start    string `json:"start"`
	Outcome  string `json:"outcome"`
	// Orders counts the product orders by state.
	Orders map[string]int `json:"ordersByState"`
	// Summary is set when the run has many orders: the per-entity lists
	// (orders, items, instances, resources, timeline) are left out.
	Summary    bool        `json:"summary,omitempty"`
	FinishedAt string      `json:"finishedAt"`
	Quote      QuoteReport `json:"quote"`
	// otherQuotes are the run's quotes after the first (a population's,
	// one a customer): a quote expectation holds for each.
	otherQuotes      []QuoteReport
	ProductOrders    []ProductOrderRow  `json:"productOrders"`
	ServiceOrders    []ServiceOrderRow  `json:"serviceOrders"`
	ResourceOrders   []ResourceOrderRow `json:"resourceOrders"`
	ProductInstances []ProductRow       `json:"productInstances"`
	ServiceInstances []ServiceRow       `json:"serviceInstances"`
	Resources        []ResourceRow      `json:"resources"`
	Billing          BillingReport      `json:"billing"`
	// Contract is the true contract value, site by site: a version 2
	// scenario's report has it.
	Contract     *ContractReport `json:"contract,omitempty"`
	Counts       Counts          `json:"counts"`
	Timeline     []TimelineRow   `json:"timeline"`
	Faults       []FaultRow      `json:"faults"`
	Jeopardies   []JeopardyRow   `json:"jeopardies"`
	Expectations Outcome         `json:"expectations"`
}

// QuoteReport is the quote and its approvals.
type QuoteReport struct {
	ID        string        `json:"id"`
	Customer  string        `json:"customer"`
	State     string        `json:"state"`
	Reason    string        `json:"reason,omitempty"`
	TCV       float64       `json:"tcv"`
	Monthly   float64       `json:"monthly"`
	ListPrice float64       `json:"listPricePerSite"`
	Currency  string        `json:"currency"`
	Approvals []ApprovalRow `json:"approvals"`
}

// ApprovalRow is one approval stage.
type ApprovalRow struct {
	Stage  string `json:"stage"`
	State  string `json:"state"`
	At     string `json:"at,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ProductOrderRow is a TMF622 product order.
type ProductOrderRow struct {
	ID          string   `json:"id"`
	State       string   `json:"state"`
	CompletedAt string   `json:"completedAt,omitempty"`
	Items       []POIRow `json:"items"`
}

// POIRow is a product order item: one site.
type POIRow struct {
	ID          string `json:"id"`
	Site        string `json:"site"`
	State       string `json:"state"`
	StateReason string `json:"stateReason,omitempty"`
	// Feasibility is the item's feasibility token: the quote's, then the
	// one revalidation issued.
	Feasibility string `json:"feasibilityToken,omitempty"`
	Product     string `json:"product,omitempty"`
}

// ServiceOrderRow is a TMF641 service order: one wave.
type ServiceOrderRow struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Wave        string   `json:"wave"`
	State       string   `json:"state"`
	Sites       []string `json:"sites"`
	Items       []SOIRow `json:"items"`
	SubmittedAt string   `json:"submittedAt"`
	CompletedAt string   `json:"completedAt,omitempty"`
}

// SOIRow is a service order item: one CFS at one site.
type SOIRow struct {
	ID              string              `json:"id"`
	CFS             string              `json:"cfs"`
	Site            string              `json:"site"`
	State           string              `json:"state"`
	StateReason     string              `json:"stateReason,omitempty"`
	Service         string              `json:"service,omitempty"`
	Characteristics tmf.Characteristics `json:"characteristics"`
}

// ResourceOrderRow is a TMF652 resource order: one site.
type ResourceOrderRow struct {
	ID          string   `json:"id"`
	Site        string   `json:"site"`
	State       string   `json:"state"`
	Items       []ROIRow `json:"items"`
	CompletedAt string   `json:"completedAt,omitempty"`
}

// ROIRow is a resource order item: one RFS.
type ROIRow struct {
	ID              string              `json:"id"`
	RFS             string              `json:"rfs"`
	State           string              `json:"state"`
	StateReason     string              `json:"stateReason,omitempty"`
	DependsOn       []string            `json:"dependsOn,omitempty"`
	Resource        string              `json:"resource,omitempty"`
	Characteristics tmf.Characteristics `json:"characteristics"`
	CompletedAt     string              `json:"completedAt,omitempty"`
}

// ProductRow is a TMF637 product instance.
type ProductRow struct {
	ID      string  `json:"id"`
	Site    string  `json:"site"`
	Status  string  `json:"status"`
	Monthly float64 `json:"monthly"`
	From    string  `json:"from"`
}

// ServiceRow is a TMF638 service instance.
type ServiceRow struct {
	ID              string              `json:"id"`
	Name            string              `json:"name"`
	Site            string              `json:"site"`
	State           string              `json:"state"`
	Resources       []string            `json:"resources"`
	Characteristics tmf.Characteristics `json:"characteristics"`
}

// ResourceRow is a TMF639 resource.
type ResourceRow struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Value string `json:"value"`
	Site  string `json:"site"`
	State string `json:"state"`
}

// BillingReport is what billing charges per month, per site.
type BillingReport struct {
	Monthly  float64      `json:"monthly"`
	Currency string       `json:"currency"`
	Sites    []BillingRow `json:"sites"`
}

// ContractReport is the contract the product orders carry: each site's
// tier, speed and monthly price (as amended, or as a modify order changed
// it) for its term, and their sum, the total contract value.
type ContractReport struct {
	Value    float64       `json:"value"`
	Monthly  float64       `json:"monthly"`
	Currency string        `json:"currency"`
	Sites    []ContractRow `json:"sites"`
}

// ContractRow is one site of the contract.
type ContractRow struct {
	Site     string  `json:"site"`
	Offering string  `json:"offering"`
	Tier     string  `json:"tier"`
	Speed    string  `json:"speed"`
	Monthly  float64 `json:"monthly"`
	Term     int     `json:"termMonths"`
	Value    float64 `json:"value"`
}

// BillingRow is one billed site.
type BillingRow struct {
	Site    string  `json:"site"`
	Monthly float64 `json:"monthly"`
	From    string  `json:"from"`
}

// Counts counts the entities of the run.
type Counts struct {
	ProductOrders      int `json:"productOrders"`
	ProductOrderItems  int `json:"productOrderItems"`
	ServiceOrders      int `json:"serviceOrders"`
	ServiceOrderItems  int `json:"serviceOrderItems"`
	ResourceOrders     int `json:"resourceOrders"`
	ResourceOrderItems int `json:"resourceOrderItems"`
	ProductInstances   int `json:"productInstances"`
	ServiceInstances   int `json:"serviceInstances"`
	Resources          int `json:"resources"`
}

// JeopardyRow is a jeopardy alert (TMF641 v4.1 jeopardyAlert).
type JeopardyRow struct {
	At      string `json:"at"`
	Entity  string `json:"entity"`
	Type    string `json:"jeopardyType"`
	Message string `json:"message"`
}

// FaultRow is an injected fault rule and how often it fired.
type FaultRow struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Hits int    `json:"hits"`
}

// TimelineRow is one state change.
type TimelineRow struct {
	At     string `json:"at"`
	Entity string `json:"entity"`
	Name   string `json:"name,omitempty"`
	Kind   string `json:"kind"`
	System string `json:"system"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

func offset(d time.Duration) string { return tmf.FormatOffset(d) }

// doneAt formats a completion time, or "" while the entity is not final.
func doneAt(state string, d time.Duration) string {
	switch state {
	case lc.Completed, lc.Partial, lc.Failed, lc.Cancelled:
		return offset(d)
	}
	return ""
}

// Report builds the report of the run so far.
func (s *System) Report() *Report {
	r := &Report{Scenario: s.Spec.Name, Seed: s.Spec.Seed, Start: s.Spec.Epoch.Format(time.RFC3339),
		FinishedAt: offset(s.Engine.LastChange()),
		// Lists are never null in the JSON, even when empty.
		ProductOrders: []ProductOrderRow{}, ServiceOrders: []ServiceOrderRow{}, ResourceOrders: []ResourceOrderRow{},
		ProductInstances: []ProductRow{}, ServiceInstances: []ServiceRow{}, Resources: []ResourceRow{},
		Billing: BillingReport{Sites: []BillingRow{}}, Timeline: []TimelineRow{}, Faults: []FaultRow{}}
	r.Jeopardies = []JeopardyRow{}
	// COM's and ROM's alerts, in time order (COM's first at the same time).
	alerts := slices.Concat(s.jeopardies(com.JeopardyShelfKind, com.JeopardyPrefix, s.COM.Jeopardies()),
		s.jeopardies(rom.JeopardyShelfKind, rom.JeopardyPrefix, s.ROM.Jeopardies()))
	slices.SortStableFunc(alerts, func(a, b tmf.Jeopardy) int { return cmp.Compare(a.At, b.At) })
	for _, j := range alerts {
		r.Jeopardies = append(r.Jeopardies, JeopardyRow{At: offset(j.At), Entity: j.Entity, Type: j.Type, Message: j.Message})
	}
	for _, h := range s.Twin.FaultHits() {
		r.Faults = append(r.Faults, FaultRow{Name: h.Name, Kind: string(h.Kind), Hits: h.Hits})
	}
	r.Quote.Approvals = []ApprovalRow{}
	quotes := s.quotes()
	if len(quotes) > 0 {
		q := quotes[0]
		r.Quote = QuoteReport{ID: q.ID, Customer: q.Customer.ID, State: q.State, Reason: q.Reason, TCV: q.TCV,
			Monthly: q.Monthly, ListPrice: q.ListPrice, Currency: q.Currency}
		for _, a := range q.Approvals {
			row := ApprovalRow{Stage: a.Stage, State: a.State, Reason: a.Reason}
			if a.State != lc.Pending {
				row.At = offset(a.At)
			}
			r.Quote.Approvals = append(r.Quote.Approvals, row)
		}
		r.Billing.Currency = q.Currency
		for _, q := range quotes[1:] {
			r.otherQuotes = append(r.otherQuotes, QuoteReport{ID: q.ID, Customer: q.Customer.ID, State: q.State, TCV: q.TCV, Monthly: q.Monthly})
		}
	}
	// A report of many orders is a summary: it counts their entities and
	// lists none (below), so it builds no rows for them.
	summary := len(s.Spec.Orders) > 1
	outcome := ""
	r.Orders = map[string]int{}
	orders, waveViews := s.rollouts()
	if !summary {
		r.ProductOrders = slices.Grow(r.ProductOrders, len(orders))
	}
	for _, po := range orders {
		r.Orders[po.State]++
		r.Counts.ProductOrderItems += len(po.Items)
		if !summary {
			row := ProductOrderRow{ID: po.ID, State: po.State, CompletedAt: doneAt(po.State, po.CompletionDate), Items: sized[POIRow](len(po.Items))}
			for _, it := range po.Items {
				poi := POIRow{ID: it.ID, Site: it.Place.ID, State: it.State, StateReason: it.StateReason}
				if len(it.Qualification) > 0 {
					poi.Feasibility = it.Qualification[0].ID
				}
				if it.ProductInstance != nil {
					poi.Product = it.ProductInstance.ID
				}
				row.Items = append(row.Items, poi)
			}
			r.ProductOrders = append(r.ProductOrders, row)
		}
		if com.IsChangeOrder(po) {
			continue // the outcome is the customers' orders', not the changes made to them
		}
		if outcome == "" || outcome == po.State {
			outcome = po.State
		} else {
			outcome = "mixed"
		}
	}
	r.Outcome = outcome
	r.Counts.ProductOrders = len(orders)
	waves := map[string]string{}
	for _, w := range waveViews {
		waves[w.ExternalID] = w.Name
	}
	sos := s.serviceOrders()
	if !summary {
		r.ServiceOrders = sized[ServiceOrderRow](len(sos))
	}
	for _, so := range sos {
		r.Counts.ServiceOrderItems += len(so.Items)
		if summary {
			continue
		}
		row := ServiceOrderRow{ID: so.ID, Name: so.Description, Wave: waves[so.ExternalID], State: so.State,
			SubmittedAt: offset(so.OrderDate), CompletedAt: doneAt(so.State, so.CompletionDate), Sites: []string{}, Items: sized[SOIRow](len(so.Items))}
		for _, it := range so.Items {
			if len(row.Sites) == 0 || row.Sites[len(row.Sites)-1] != it.Service.Place.ID {
				row.Sites = append(row.Sites, it.Service.Place.ID)
			}
			row.Items = append(row.Items, SOIRow{ID: it.ID, CFS: it.Service.Specification.ID, Site: it.Service.Place.ID,
				State: it.State, StateReason: it.StateReason, Service: it.Service.ID, Characteristics: it.Service.Characteristics})
		}
		r.ServiceOrders = append(r.ServiceOrders, row)
	}
	r.Counts.ServiceOrders = len(sos)
	ros := s.resourceOrders()
	if !summary {
		r.ResourceOrders = sized[ResourceOrderRow](len(ros))
	}
	for _, ro := range ros {
		r.Counts.ResourceOrderItems += len(ro.Items)
		if summary {
			continue
		}
		row := ResourceOrderRow{ID: ro.ID, Site: ro.Place.ID, State: ro.State, CompletedAt: doneAt(ro.State, ro.CompletionDate),
			Items: sized[ROIRow](len(ro.Items))}
		for _, it := range ro.Items {
			roi := ROIRow{ID: it.ID, RFS: it.Specification.Name, State: it.State, StateReason: it.StateReason,
				DependsOn: it.DependsOn, Characteristics: it.Characteristics, CompletedAt: doneAt(it.State, it.CompletionDate)}
			if it.Resource != nil {
				roi.Resource = it.Resource.Value
			}
			row.Items = append(row.Items, roi)
		}
		r.ResourceOrders = append(r.ResourceOrders, row)
	}
	r.Counts.ResourceOrders = len(ros)
	products := s.products()
	if !summary {
		r.ProductInstances = sized[ProductRow](len(products))
	}
	for _, p := range products {
		from := offset(p.StartDate)
		if !summary {
			r.ProductInstances = append(r.ProductInstances, ProductRow{ID: p.ID, Site: p.Place.ID, Status: p.Status, Monthly: p.MonthlyPrice, From: from})
		}
		if p.Status == "terminated" {
			continue // disconnected: billing stopped
		}
		if !summary {
			r.Billing.Sites = append(r.Billing.Sites, BillingRow{Site: p.Place.ID, Monthly: p.MonthlyPrice, From: from})
		}
		r.Billing.Monthly += p.MonthlyPrice
	}
	r.Counts.ProductInstances = len(products)
	if s.Spec.Version >= 2 {
		r.Contract = contract(orders, products, r.Quote.Currency)
	}
	services := s.services()
	r.Counts.ServiceInstances = len(services)
	if !summary {
		r.ServiceInstances = sized[ServiceRow](len(services))
		for _, sv := range services {
			row := ServiceRow{ID: sv.ID, Name: sv.Name, Site: sv.Place.ID, State: sv.State, Characteristics: sv.Characteristics}
			for _, res := range sv.SupportingRes {
				row.Resources = append(row.Resources, res.ID)
			}
			r.ServiceInstances = append(r.ServiceInstances, row)
		}
	}
	resources := s.resources()
	r.Counts.Resources = len(resources)
	if !summary {
		r.Resources = sized[ResourceRow](len(resources))
		for _, res := range resources {
			state := res.State
			if res.UsageState != "" {
				state = res.UsageState
			}
			r.Resources = append(r.Resources, ResourceRow{ID: res.ID, Type: res.ResourceType, Value: res.Value, Site: res.Place.ID, State: state})
		}
	}
	if !summary {
		r.Timeline = sized[TimelineRow](len(s.timeline))
		for _, t := range s.timeline {
			r.Timeline = append(r.Timeline, timelineRow(t))
		}
	} else {
		r.Summary = true
		r.ProductOrders, r.ServiceOrders, r.ResourceOrders = []ProductOrderRow{}, []ServiceOrderRow{}, []ResourceOrderRow{}
		r.ProductInstances, r.ServiceInstances, r.Resources = []ProductRow{}, []ServiceRow{}, []ResourceRow{}
		r.Billing.Sites, r.Timeline = []BillingRow{}, []TimelineRow{}
		if r.Contract != nil {
			r.Contract.Sites = []ContractRow{}
		}
	}
	return r
}

func timelineRow(t store.Record) TimelineRow {
	return TimelineRow{At: offset(t.At), Entity: t.Entity, Name: t.Name, Kind: t.Kind, System: t.System, State: t.To, Reason: t.Reason}
}

// sized is an empty slice with room for n, nil for none (a report's empty
// list stays null in JSON, as before).
func sized[T any](n int) []T {
	if n == 0 {
		return nil
	}
	return make([]T, 0, n)
}

// contract is the contract of the orders' sites: every site added and not
// cancelled, rejected, failed (given up and compensated: the order goes on
// without it, and it is never billed) or disconnected, at its product's
// current price (a modify order changes it) or its item's.
func contract(orders []*tmf.ProductOrder, products []*tmf.Product, currency string) *ContractReport {
	current := map[string]*tmf.Product{}
	for _, p := range products {
		current[p.ID] = p
	}
	c := &ContractReport{Currency: currency, Sites: []ContractRow{}}
	for _, po := range orders {
		for _, it := range po.Items {
			if it.Action != tmf.Add || it.State == lc.Cancelled || it.State == lc.Rejected || it.State == lc.Failed {
				continue
			}
			row := ContractRow{Site: it.Place.ID, Offering: it.ProductOffering.ID, Tier: it.Characteristics.Get("slaTier"), Speed: it.Characteristics.Get("speed"),
				Monthly: it.MonthlyPrice, Term: it.ItemTerm}
			var p *tmf.Product // the site's product, once in service
			if it.ProductInstance != nil {
				p = current[it.ProductInstance.ID]
			}
			if p != nil {
				if p.Status == "terminated" {
					continue
				}
				row.Monthly = p.MonthlyPrice
				for _, ch := range p.Characteristics {
					switch ch.Name {
					case "slaTier":
						row.Tier = ch.Value
					case "speed":
						row.Speed = ch.Value
					}
				}
			}
			row.Value = row.Monthly * float64(row.Term)
			c.Sites = append(c.Sites, row)
			c.Monthly += row.Monthly
			c.Value += row.Value
		}
	}
	return c
}

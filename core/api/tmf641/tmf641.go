// Package tmf641 is TMF641 v4 service ordering: the service orders SOM
// runs, placed in process by COM or over the API, and their cancellation
// (docs/api.md).
package tmf641

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/core/api/ordering"
	"github.com/ordertwin/ordertwin/core/api/orderwire"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// TMF641 Service Ordering v4: the service orders SOM runs. COM places
// its own in process (one per rollout wave); an orderer outside the
// process (a third party's COM, or ours deployed apart) places them with
// POST serviceOrder and follows them with GET and the hub, and cancels
// them with cancelServiceOrder. The externalId of a new order is its
// idempotency key: a second POST with the same one answers with the first
// order and changes nothing.

var serviceOrderAttrs = tmf630.Attributes(orderwire.ServiceOrder{})

// serviceOrders serves the service orders of n's SOM, a peer's taken by
// fromPeer.
type serviceOrders struct {
	n        *tmf630.Node
	fromPeer ordering.FromPeer
}

// Routes serves service ordering when n runs SOM; fromPeer takes the
// orders and cancellations that our own COM in another process sends.
func Routes(n *tmf630.Node, fromPeer ordering.FromPeer, mux *http.ServeMux) {
	if n.SOM == nil {
		return
	}
	s := serviceOrders{n, fromPeer}
	tmf630.ShelfWire(n, som.ShelfKind, som.Shelved, s.shelvedServiceOrder)
	coll := tmf630.ServiceOrdering + "/serviceOrder"
	mux.HandleFunc("GET "+coll, s.listServiceOrders)
	mux.HandleFunc("GET "+coll+"/{id}", s.getServiceOrder)
	mux.HandleFunc("POST "+coll, s.postServiceOrder)
	byOrder := tmf630.NotOffered("GET", "a service order is changed by another order (items with action modify or delete) and cancelled with POST "+
		tmf630.ServiceOrdering+"/cancelServiceOrder")
	mux.Handle("PATCH "+coll+"/{id}", byOrder)
	mux.Handle("DELETE "+coll+"/{id}", byOrder)
	c := &ordering.Cancelling{Base: tmf630.ServiceOrdering, Collection: "cancelServiceOrder", Prefix: "CSO", Order: "serviceOrder", To: engine.SOM,
		Read: s.serviceOrderStatus, Shelved: shelvedStatus,
		Instead: "cancel its product order with POST " + tmf630.ProductOrdering + "/cancelProductOrder"}
	c.Routes(n, fromPeer, mux)
}

func (s serviceOrders) listServiceOrders(w http.ResponseWriter, r *http.Request) {
	tmf630.ListShelved(s.n, w, r, serviceOrderAttrs, som.ShelfKind,
		func() []orderwire.ServiceOrder { return tmf630.MapAll(s.n.SOM.Orders(), s.serviceOrder) },
		func(so *orderwire.ServiceOrder) uint64 { return tmf.SeqOf(so.ID) })
}

func (s serviceOrders) getServiceOrder(w http.ResponseWriter, r *http.Request) {
	tmf630.GetOne(s.n, w, r, "serviceOrder", s.readServiceOrder)
}

// readServiceOrder maps the service order with id, or gives nil.
func (s serviceOrders) readServiceOrder(id string) *orderwire.ServiceOrder {
	so := s.n.SOM.Order(id)
	return tmf630.Ptr(so, so != nil, s.serviceOrder)
}

// serviceOrderByID reads one service order, or a 404.
func (s serviceOrders) serviceOrderByID(r *http.Request, id string) (*orderwire.ServiceOrder, *tmf630.Error) {
	return tmf630.ReadOne(s.n, r, "serviceOrder", id, s.readServiceOrder)
}

func (s serviceOrders) postServiceOrder(w http.ResponseWriter, r *http.Request) {
	if s.fromPeer(w, r, engine.SOM, s.decodePeerServiceOrder) {
		return // the service order of our own COM, in its own process
	}
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	so, e := DecodeServiceOrder(body)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if e := s.checkServiceOrder(so); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if e := s.checkPlans(so); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	reply, e := s.n.Command(r.Context(), engine.SOM, som.OrderRequest{Order: *so})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	placed := reply.(som.Placed)
	tmf630.PlacedAnswer(w, r, s.serviceOrderByID, placed.ID, placed.Duplicate, func(v *orderwire.ServiceOrder) string { return v.Href })
}

// checkServiceOrder checks what a new order names against the catalog:
// each item's specification is a CFS (SOM decomposes CFS into RFS), whose
// name it takes when the order gives none.
func (s serviceOrders) checkServiceOrder(so *tmf.ServiceOrder) *tmf630.Error {
	if s.n.Catalog == nil {
		return nil
	}
	for i := range so.Items {
		spec := &so.Items[i].Service.Specification
		cfs := s.n.Catalog.CFS[spec.ID]
		if cfs == nil {
			why := "no such CFS in the catalog"
			if s.n.Catalog.RFS[spec.ID] != nil {
				why = "a resource-facing service: SOM takes CFS and decomposes them itself"
			}
			return tmf630.NewError(http.StatusBadRequest, tmf630.Field("serviceOrderItem", i, "service.serviceSpecification.id")+": "+
				strconv.Quote(spec.ID)+" is "+why+" (CFS: "+strings.Join(slices.Sorted(maps.Keys(s.n.Catalog.CFS)), ", ")+")")
		}
		if spec.Name == "" {
			spec.Name = cfs.Name
		}
	}
	return nil
}

// serviceOrder maps an internal service order to the wire, with what the
// catalog and the service inventory add: the specification's name, the
// installed service's state. It runs on the engine's goroutine.
func (s serviceOrders) serviceOrder(so *tmf.ServiceOrder) orderwire.ServiceOrder {
	return s.wire(so, s.n.SOM.Services.Get)
}

// shelvedServiceOrder maps a service order SOM shelved to the wire: its
// items carry their services' states as they were when it left memory,
// so it reads nothing of SOM (it runs off the engine's goroutine).
func (s serviceOrders) shelvedServiceOrder(so *tmf.ServiceOrder) orderwire.ServiceOrder {
	return s.wire(so, func(string) *tmf.Service { return nil })
}

// wire maps a service order with the catalog's names and the states of
// the services installed that installed finds.
func (s serviceOrders) wire(so *tmf.ServiceOrder, installed func(id string) *tmf.Service) orderwire.ServiceOrder {
	out := orderwire.ServiceOrderToWire(so, s.n.Epoch)
	for i := range out.ServiceOrderItem {
		svc := &out.ServiceOrderItem[i].Service
		if spec := svc.ServiceSpecification; spec != nil && spec.Name == "" && s.n.Catalog != nil {
			if cfs := s.n.Catalog.CFS[spec.ID]; cfs != nil {
				spec.Name = cfs.Name
			}
		}
		if svc.ID != "" && svc.State == "" {
			if inst := installed(svc.ID); inst != nil {
				svc.State = inst.State
			}
		}
	}
	return out
}

// serviceOrderStatus is what a cancellation needs of a service order; on
// the engine's goroutine.
func (s serviceOrders) serviceOrderStatus(id string) (ordering.Status, bool) {
	so := s.n.SOM.Order(id)
	if so == nil {
		return ordering.Status{}, false
	}
	st := serviceOrderStatus(so)
	st.PlacedBy = s.n.SOM.PlacedBy(id)
	return st, true
}

// shelvedStatus is the status of a service order that left memory.
func shelvedStatus(body []byte) (ordering.Status, error) {
	so, err := som.Shelved(body)
	if err != nil {
		return ordering.Status{}, err
	}
	return serviceOrderStatus(so), nil
}

// serviceOrderStatus is what a cancellation task needs of so.
func serviceOrderStatus(so *tmf.ServiceOrder) ordering.Status {
	st := ordering.Status{State: so.State, Final: lc.IsFinal(lc.ServiceOrder, so.State), Completion: so.CompletionDate}
	st.Cancelled = slices.ContainsFunc(so.Items, func(it tmf.ServiceOrderItem) bool { return it.State == lc.Cancelled })
	return st
}

// decodePeerServiceOrder reads the service order a peer COM sends: the
// whole internal order on the wire, its handles included.
func (s serviceOrders) decodePeerServiceOrder(body []byte) (any, *tmf630.Error) {
	var w orderwire.ServiceOrder
	if e := tmf630.DecodeObject(body, &w); e != nil {
		return nil, e
	}
	so, err := orderwire.ServiceOrderFromWire(&w, s.n.Epoch)
	if err != nil {
		return nil, tmf630.NewError(http.StatusBadRequest, err.Error())
	}
	return so, nil
}

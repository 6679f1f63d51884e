package api

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

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

func (s *Server) serviceOrdering(mux *http.ServeMux) {
	if s.SOM == nil {
		return
	}
	coll := tmf630.ServiceOrdering + "/serviceOrder"
	mux.HandleFunc("GET "+coll, s.listServiceOrders)
	mux.HandleFunc("GET "+coll+"/{id}", s.getServiceOrder)
	mux.HandleFunc("POST "+coll, s.postServiceOrder)
	byOrder := tmf630.NotOffered("GET", "a service order is changed by another order (items with action modify or delete) and cancelled with POST "+
		tmf630.ServiceOrdering+"/cancelServiceOrder")
	mux.HandleFunc("PATCH "+coll+"/{id}", byOrder)
	mux.HandleFunc("DELETE "+coll+"/{id}", byOrder)
	c := &orderCancelling{base: tmf630.ServiceOrdering, collection: "cancelServiceOrder", prefix: "CSO", order: "serviceOrder", to: engine.SOM,
		read:    s.serviceOrderStatus,
		instead: "cancel its product order with POST " + tmf630.ProductOrdering + "/cancelProductOrder"}
	c.routes(s, mux)
}

func (s *Server) listServiceOrders(w http.ResponseWriter, r *http.Request) {
	tmf630.ListAll(s.Node(), w, r, serviceOrderAttrs, func() []orderwire.ServiceOrder { return tmf630.MapAll(s.SOM.Orders(), s.serviceOrder) })
}

func (s *Server) getServiceOrder(w http.ResponseWriter, r *http.Request) {
	tmf630.GetOne(s.Node(), w, r, "serviceOrder", s.readServiceOrder)
}

// readServiceOrder maps the service order with id, or gives nil.
func (s *Server) readServiceOrder(id string) *orderwire.ServiceOrder {
	so := s.SOM.Order(id)
	return tmf630.Ptr(so, so != nil, s.serviceOrder)
}

// serviceOrderByID reads one service order, or a 404.
func (s *Server) serviceOrderByID(r *http.Request, id string) (*orderwire.ServiceOrder, *tmf630.Error) {
	return tmf630.ReadOne(s.Node(), r, "serviceOrder", id, s.readServiceOrder)
}

func (s *Server) postServiceOrder(w http.ResponseWriter, r *http.Request) {
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
	reply, e := s.Node().Command(r.Context(), engine.SOM, som.OrderRequest{Order: *so})
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
func (s *Server) checkServiceOrder(so *tmf.ServiceOrder) *tmf630.Error {
	if s.Catalog == nil {
		return nil
	}
	for i := range so.Items {
		spec := &so.Items[i].Service.Specification
		cfs := s.Catalog.CFS[spec.ID]
		if cfs == nil {
			why := "no such CFS in the catalog"
			if s.Catalog.RFS[spec.ID] != nil {
				why = "a resource-facing service: SOM takes CFS and decomposes them itself"
			}
			return tmf630.NewError(http.StatusBadRequest, tmf630.Field("serviceOrderItem", i, "service.serviceSpecification.id")+": "+
				strconv.Quote(spec.ID)+" is "+why+" (CFS: "+strings.Join(slices.Sorted(maps.Keys(s.Catalog.CFS)), ", ")+")")
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
func (s *Server) serviceOrder(so *tmf.ServiceOrder) orderwire.ServiceOrder {
	out := orderwire.ServiceOrderToWire(so, s.Epoch)
	for i := range out.ServiceOrderItem {
		svc := &out.ServiceOrderItem[i].Service
		if spec := svc.ServiceSpecification; spec != nil && spec.Name == "" && s.Catalog != nil {
			if cfs := s.Catalog.CFS[spec.ID]; cfs != nil {
				spec.Name = cfs.Name
			}
		}
		if svc.ID != "" && svc.State == "" {
			if inst := s.SOM.Services.Get(svc.ID); inst != nil {
				svc.State = inst.State
			}
		}
	}
	return out
}

// serviceOrderStatus is what a cancellation needs of a service order; on
// the engine's goroutine.
func (s *Server) serviceOrderStatus(id string) (orderStatus, bool) {
	so := s.SOM.Order(id)
	if so == nil {
		return orderStatus{}, false
	}
	st := orderStatus{state: so.State, final: lc.IsFinal(lc.ServiceOrder, so.State), completion: so.CompletionDate,
		placedBy: s.SOM.PlacedBy(id)}
	st.cancelled = slices.ContainsFunc(so.Items, func(it tmf.ServiceOrderItem) bool { return it.State == lc.Cancelled })
	return st, true
}

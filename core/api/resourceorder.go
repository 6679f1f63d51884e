package api

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/core/api/orderwire"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// TMF652 Resource Ordering v4: the resource orders ROM runs, one per
// site. SOM places its own in process; an orderer outside the process (a
// third party's SOM, or ours deployed apart) places them with POST
// resourceOrder, follows them with GET and the hub, and cancels them with
// cancelResourceOrder. The externalId of a new order is its idempotency
// key: a second POST with the same one answers with the first order and
// changes nothing.

var resourceOrderAttrs = tmf630.Attributes(orderwire.ResourceOrder{})

func (s *Server) resourceOrdering(mux *http.ServeMux) {
	if s.ROM == nil {
		return
	}
	coll := tmf630.ResourceOrdering + "/resourceOrder"
	mux.HandleFunc("GET "+coll, s.listResourceOrders)
	mux.HandleFunc("GET "+coll+"/{id}", s.getResourceOrder)
	mux.HandleFunc("POST "+coll, s.postResourceOrder)
	byOrder := tmf630.NotOffered("GET", "a resource order is changed by another order (items with action modify or delete) and cancelled with POST "+
		tmf630.ResourceOrdering+"/cancelResourceOrder")
	mux.HandleFunc("PATCH "+coll+"/{id}", byOrder)
	mux.HandleFunc("DELETE "+coll+"/{id}", byOrder)
	c := &orderCancelling{base: tmf630.ResourceOrdering, collection: "cancelResourceOrder", prefix: "CRO", order: "resourceOrder", to: engine.ROM,
		read:    s.resourceOrderStatus,
		instead: "cancel its service order with POST " + tmf630.ServiceOrdering + "/cancelServiceOrder"}
	c.routes(s, mux)
}

func (s *Server) listResourceOrders(w http.ResponseWriter, r *http.Request) {
	tmf630.ListAll(s.Node(), w, r, resourceOrderAttrs, func() []orderwire.ResourceOrder { return tmf630.MapAll(s.ROM.Orders(), s.resourceOrder) })
}

func (s *Server) getResourceOrder(w http.ResponseWriter, r *http.Request) {
	tmf630.GetOne(s.Node(), w, r, "resourceOrder", s.readResourceOrder)
}

// resourceOrder maps a resource order to the wire.
func (s *Server) resourceOrder(ro *tmf.ResourceOrder) orderwire.ResourceOrder {
	return orderwire.ResourceOrderToWire(ro, s.Epoch)
}

// readResourceOrder maps the resource order with id, or gives nil.
func (s *Server) readResourceOrder(id string) *orderwire.ResourceOrder {
	ro := s.ROM.Order(id)
	return tmf630.Ptr(ro, ro != nil, s.resourceOrder)
}

// resourceOrderByID reads one resource order, or a 404.
func (s *Server) resourceOrderByID(r *http.Request, id string) (*orderwire.ResourceOrder, *tmf630.Error) {
	return tmf630.ReadOne(s.Node(), r, "resourceOrder", id, s.readResourceOrder)
}

func (s *Server) postResourceOrder(w http.ResponseWriter, r *http.Request) {
	if s.fromPeer(w, r, engine.ROM, s.decodePeerResourceOrder) {
		return // the resource order of our own SOM, in its own process
	}
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	ro, e := DecodeResourceOrder(body)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if e := s.checkResourceOrder(ro); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	reply, e := s.Node().Command(r.Context(), engine.ROM, rom.OrderRequest{Order: *ro})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	var placed rom.Placed
	switch v := reply.(type) {
	case rom.Placed:
		placed = v
	case error:
		status := http.StatusBadRequest
		if errors.Is(v, rom.ErrItemTaken) {
			status = http.StatusConflict
		}
		tmf630.WriteError(w, tmf630.NewError(status, "orderItem: "+v.Error()))
		return
	}
	tmf630.PlacedAnswer(w, r, s.resourceOrderByID, placed.ID, placed.Duplicate, func(v *orderwire.ResourceOrder) string { return v.Href })
}

// checkResourceOrder checks what a new order names against the catalog:
// each item's specification is a kind of resource an RFS allocates, and
// its name, when given, that RFS.
func (s *Server) checkResourceOrder(ro *tmf.ResourceOrder) *tmf630.Error {
	if s.Catalog == nil {
		return nil
	}
	kinds := map[string]bool{}
	for _, rfs := range s.Catalog.RFS {
		kinds[rfs.Resource.Type] = true
	}
	for i := range ro.Items {
		spec := ro.Items[i].Specification
		if !kinds[spec.ID] {
			return tmf630.NewError(http.StatusBadRequest, tmf630.Field("orderItem", i, "resourceSpecification.id")+": "+strconv.Quote(spec.ID)+
				" is no kind of resource an RFS of the catalog allocates ("+strings.Join(slices.Sorted(maps.Keys(kinds)), ", ")+")")
		}
		if spec.Name == "" {
			continue
		}
		if rfs := s.Catalog.RFS[spec.Name]; rfs == nil || rfs.Resource.Type != spec.ID {
			return tmf630.NewError(http.StatusBadRequest, tmf630.Field("orderItem", i, "resourceSpecification.name")+": "+strconv.Quote(spec.Name)+
				" is no RFS of the catalog that allocates a "+spec.ID)
		}
	}
	return nil
}

// resourceOrderStatus is what a cancellation needs of a resource order;
// on the engine's goroutine.
func (s *Server) resourceOrderStatus(id string) (orderStatus, bool) {
	ro := s.ROM.Order(id)
	if ro == nil {
		return orderStatus{}, false
	}
	st := orderStatus{state: ro.State, final: lc.IsFinal(lc.ResourceOrder, ro.State), completion: ro.CompletionDate,
		placedBy: s.ROM.PlacedBy(id)}
	st.cancelled = ro.State == lc.Cancelled ||
		slices.ContainsFunc(ro.Items, func(it tmf.ResourceOrderItem) bool { return it.State == lc.Cancelled })
	return st, true
}

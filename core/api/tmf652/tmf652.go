// Package tmf652 is TMF652 v4 resource ordering: the resource orders ROM
// runs, placed in process by SOM or over the API, and their cancellation
// (docs/api.md).
package tmf652

import (
	"errors"
	"fmt"
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

// resourceOrders serves the resource orders of n's ROM, a peer's taken
// by fromPeer.
type resourceOrders struct {
	n        *tmf630.Node
	fromPeer ordering.FromPeer
}

// Routes serves resource ordering when n runs ROM; fromPeer takes the
// orders and cancellations that our own SOM in another process sends.
func Routes(n *tmf630.Node, fromPeer ordering.FromPeer, mux *http.ServeMux) {
	if n.ROM == nil {
		return
	}
	s := resourceOrders{n, fromPeer}
	tmf630.ShelfWire(n, rom.ShelfKind, rom.Shelved, s.resourceOrder)
	coll := tmf630.ResourceOrdering + "/resourceOrder"
	mux.HandleFunc("GET "+coll, s.listResourceOrders)
	mux.HandleFunc("GET "+coll+"/{id}", s.getResourceOrder)
	mux.HandleFunc("POST "+coll, s.postResourceOrder)
	byOrder := tmf630.NotOffered("GET", "a resource order is changed by another order (items with action modify or delete) and cancelled with POST "+
		tmf630.ResourceOrdering+"/cancelResourceOrder")
	mux.Handle("PATCH "+coll+"/{id}", byOrder)
	mux.Handle("DELETE "+coll+"/{id}", byOrder)
	c := &ordering.Cancelling{Base: tmf630.ResourceOrdering, Collection: "cancelResourceOrder", Prefix: "CRO", Order: "resourceOrder", To: engine.ROM,
		Read: s.resourceOrderStatus, Shelved: shelvedStatus,
		Instead: "cancel its service order with POST " + tmf630.ServiceOrdering + "/cancelServiceOrder"}
	c.Routes(n, fromPeer, mux)
}

func (s resourceOrders) listResourceOrders(w http.ResponseWriter, r *http.Request) {
	tmf630.ListShelved(s.n, w, r, resourceOrderAttrs, rom.ShelfKind,
		func() []orderwire.ResourceOrder { return tmf630.MapAll(s.n.ROM.Orders(), s.resourceOrder) },
		func(ro *orderwire.ResourceOrder) uint64 { return tmf.SeqOf(ro.ID) })
}

func (s resourceOrders) getResourceOrder(w http.ResponseWriter, r *http.Request) {
	tmf630.GetOne(s.n, w, r, "resourceOrder", s.readResourceOrder)
}

// resourceOrder maps a resource order to the wire.
func (s resourceOrders) resourceOrder(ro *tmf.ResourceOrder) orderwire.ResourceOrder {
	return orderwire.ResourceOrderToWire(ro, s.n.Epoch)
}

// readResourceOrder maps the resource order with id, or gives nil.
func (s resourceOrders) readResourceOrder(id string) *orderwire.ResourceOrder {
	ro := s.n.ROM.Order(id)
	return tmf630.Ptr(ro, ro != nil, s.resourceOrder)
}

// resourceOrderByID reads one resource order, or a 404.
func (s resourceOrders) resourceOrderByID(r *http.Request, id string) (*orderwire.ResourceOrder, *tmf630.Error) {
	return tmf630.ReadOne(s.n, r, "resourceOrder", id, s.readResourceOrder)
}

func (s resourceOrders) postResourceOrder(w http.ResponseWriter, r *http.Request) {
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
	// An item id of an order that left memory is taken too (ROM checks
	// those in memory): checked as the engine takes the order, not in
	// ROM's step, which a replay of a log written before would repeat.
	taken := func() error {
		if ro.ExternalID != "" { // the same order again: ROM answers with it
			if _, again, err := s.n.Engine.CheckedOwner(rom.ShelfKind, engine.ExternalIDItem(ro.ExternalID)); err != nil {
				return tmf630.Unavailable(err)
			} else if again {
				return nil
			}
		}
		for i := range ro.Items {
			id, ok, err := s.n.Engine.CheckedOwner(rom.ShelfKind, ro.Items[i].ID)
			if err != nil {
				return tmf630.Unavailable(err)
			}
			if ok {
				return tmf630.NewError(http.StatusConflict, fmt.Sprintf("orderItem: item %q: %v by resource order %s", ro.Items[i].ID, rom.ErrItemTaken, id))
			}
		}
		return nil
	}
	reply, e := s.n.CommandWith(r.Context(), engine.ROM, rom.OrderRequest{Order: *ro}, engine.Around{Check: taken})
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
func (s resourceOrders) checkResourceOrder(ro *tmf.ResourceOrder) *tmf630.Error {
	if s.n.Catalog == nil {
		return nil
	}
	kinds := map[string]bool{}
	for _, rfs := range s.n.Catalog.RFS {
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
		if rfs := s.n.Catalog.RFS[spec.Name]; rfs == nil || rfs.Resource.Type != spec.ID {
			return tmf630.NewError(http.StatusBadRequest, tmf630.Field("orderItem", i, "resourceSpecification.name")+": "+strconv.Quote(spec.Name)+
				" is no RFS of the catalog that allocates a "+spec.ID)
		}
	}
	return nil
}

// resourceOrderStatus is what a cancellation needs of a resource order;
// on the engine's goroutine.
func (s resourceOrders) resourceOrderStatus(id string) (ordering.Status, bool) {
	ro := s.n.ROM.Order(id)
	if ro == nil {
		return ordering.Status{}, false
	}
	st := resourceOrderStatus(ro)
	st.PlacedBy = s.n.ROM.PlacedBy(id)
	return st, true
}

// shelvedStatus is the status of a resource order that left memory.
func shelvedStatus(body []byte) (ordering.Status, error) {
	ro, err := rom.Shelved(body)
	if err != nil {
		return ordering.Status{}, err
	}
	return resourceOrderStatus(ro), nil
}

// resourceOrderStatus is what a cancellation task needs of ro.
func resourceOrderStatus(ro *tmf.ResourceOrder) ordering.Status {
	st := ordering.Status{State: ro.State, Final: lc.IsFinal(lc.ResourceOrder, ro.State), Completion: ro.CompletionDate}
	st.Cancelled = ro.State == lc.Cancelled ||
		slices.ContainsFunc(ro.Items, func(it tmf.ResourceOrderItem) bool { return it.State == lc.Cancelled })
	return st
}

// decodePeerResourceOrder reads the resource order a peer SOM sends.
func (s resourceOrders) decodePeerResourceOrder(body []byte) (any, *tmf630.Error) {
	var w orderwire.ResourceOrder
	if e := tmf630.DecodeObject(body, &w); e != nil {
		return nil, e
	}
	ro, err := orderwire.ResourceOrderFromWire(&w, s.n.Epoch)
	if err != nil {
		return nil, tmf630.NewError(http.StatusBadRequest, err.Error())
	}
	return ro, nil
}

package som

import (
	"fmt"
	"slices"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// A finished service order leaves SOM's memory after Config.Retention,
// once nothing about it can still arrive: when it has ended and ROM has
// told the end of each of its sites' resource orders (and answered each
// cancellation SOM sent it), SOM sets a retire timer; when it fires, SOM
// shelves the order (its read model in the store's shelf, committed with
// the step, each item's service with the state the inventory gives it
// then) and lets it go, with its sites and their request handles.
//
// Its services leave with it, each shelved on its own for the inventory
// API (ServiceShelfKind), unless another order in memory still holds one:
// an order holds the services it installed and those it changes or
// disconnects (inventory.Hold), and a service leaves memory with the last
// order that holds it. A modify or disconnect order whose service has
// left memory takes it back from the shelf (Out.Unshelve, logged for
// replay) and holds it. A message about a retired order is one about an
// order SOM does not have.

// retire is SOM's own timer: a finished order leaves memory.
type retire struct{ Order string }

// ShelfKind is the kind of a service order on the store's shelf,
// ServiceShelfKind that of a service.
const (
	ShelfKind        = "serviceOrder"
	ServiceShelfKind = "service"
)

// hold counts a service the order installed, changes or disconnects as
// held by it, when orders leave memory.
func (s *SOM) hold(o *order, id string) {
	if s.cfg.Retention > 0 {
		s.Services.Hold(id)
		o.held = append(o.held, id)
	}
}

// service is the service with id for an order that changes or
// disconnects it, which then holds it: from the inventory, or taken back
// from the store's shelf when it left memory; nil when there is none.
func (s *SOM) service(o *order, id string, out *engine.Out) *tmf.Service {
	svc := s.Services.Get(id)
	if svc == nil && s.cfg.Retention > 0 {
		body, ok := out.Unshelve(ServiceShelfKind, id)
		if !ok {
			return nil
		}
		back, err := ShelvedService(body)
		if err != nil {
			out.Error(fmt.Errorf("SOM: take service %s back from the shelf: %w", id, err))
			return nil
		}
		svc = back
		s.Services.Put(id, svc)
	}
	if svc != nil {
		s.hold(o, id)
	}
	return svc
}

// ShelvedService decodes a service SOM shelved.
func ShelvedService(body []byte) (*tmf.Service, error) {
	var svc tmf.Service
	if err := engine.DecodeDoc(body, &svc); err != nil {
		return nil, fmt.Errorf("service on the shelf: %w", err)
	}
	return &svc, nil
}

// ended sets a finished order's retire timer, when orders leave memory
// and nothing about the order is still to come from ROM (else the last
// end ROM tells sets it: roEnded).
func (s *SOM) ended(o *order, out *engine.Out) {
	if s.cfg.Retention > 0 && s.quiet(o) {
		out.Send(engine.SOM, engine.RetireAfter(out.Now(), s.cfg.Retention), retire{o.so.ID})
	}
}

// quiet tells whether an order has ended and ROM owes it nothing more.
func (s *SOM) quiet(o *order) bool {
	if !lc.IsFinal(lc.ServiceOrder, o.so.State) {
		return false
	}
	for k := range o.sites {
		if o.sites[k].owed > 0 {
			return false
		}
	}
	return true
}

// roEnded takes ROM's word that a site's resource order has ended (state
// is its final state).
func (s *SOM) roEnded(st *site, state string, out *engine.Out) {
	switch {
	case st.owed == 0:
		return
	case st.race && state != lc.Cancelled:
		st.race = false // it ended before the cancellation came: ROM tells it again
		return
	}
	st.owed--
	st.race = false
	if st.owed == 0 {
		s.ended(st.order, out)
	}
}

// retire lets a finished order leave memory.
func (s *SOM) retire(m retire, out *engine.Out) {
	o := s.byID[m.Order]
	if o == nil || !s.quiet(o) {
		return
	}
	shelved := o.so
	shelved.Items = slices.Clone(o.so.Items)
	for i := range shelved.Items {
		svc := &shelved.Items[i].Service
		if svc.ID != "" && svc.State == "" {
			if inst := s.Services.Get(svc.ID); inst != nil {
				svc.State = inst.State
			}
		}
	}
	head, body, err := s.shelver.Doc(&shelved)
	if err != nil {
		out.Error(fmt.Errorf("SOM: shelve %s: %w", o.so.ID, err))
		return
	}
	items := tmf.IDsOf(o.so.Items, func(it *tmf.ServiceOrderItem) string { return it.ID })
	if o.from == 0 && o.so.ExternalID != "" { // placed through the API: found by it (placedFor)
		items = append(items, engine.ExternalIDItem(o.so.ExternalID))
	}
	out.Shelve(store.Doc{Kind: ShelfKind, ID: o.so.ID, Ord: tmf.SeqOf(o.so.ID), Party: o.customer, Head: head, Body: body, Items: items})
	for _, id := range o.held {
		svc := s.Services.Release(id)
		if svc == nil {
			continue // another order in memory holds it
		}
		head, b, err := s.services.Doc(svc)
		if err != nil {
			out.Error(fmt.Errorf("SOM: shelve service %s: %w", id, err))
			return
		}
		out.Shelve(store.Doc{Kind: ServiceShelfKind, ID: id, Ord: svc.Ord, Party: o.customer, Head: head, Body: b})
	}
	for k := range o.sites {
		st := &o.sites[k]
		for c := range st.services {
			svc := &st.services[c]
			if svc.ID != "" && s.Services.Get(svc.ID) == svc {
				own := *svc // still held: the inventory's service, in storage of its own
				own.SupportingRes = slices.Clone(svc.SupportingRes)
				own.Characteristics = slices.Clone(svc.Characteristics)
				s.Services.Put(own.ID, &own)
			}
		}
		if key := o.so.ID + "/" + st.place.ID; s.roSites[key] == st {
			delete(s.roSites, key)
		}
		if len(st.steps) > 0 {
			s.handled.Remove(st)
		}
	}
	delete(s.byID, o.so.ID)
	if o.so.ExternalID != "" && s.byExternal[o.so.ExternalID] == o {
		delete(s.byExternal, o.so.ExternalID)
	}
	s.orders.Remove(o)
}

// placedFor is the id of the order placed with externalID, "" for none
// (or no externalID): in memory, else on the shelf, whose doc of an
// order placed through the API lists its externalId.
func (s *SOM) placedFor(externalID string, out *engine.Out) string {
	if o := s.byExternal[externalID]; o != nil && externalID != "" {
		return o.so.ID
	}
	return out.ShelvedByExternalID(ShelfKind, externalID)
}

// byHandle finds the plan step a resource order item handle stands for,
// among the sites in memory.
func (s *SOM) byHandle(h int) (stepRef, bool) {
	st, ok := s.handled.Find(h)
	if !ok || h < 0 {
		return stepRef{}, false
	}
	if j := h - st.handle; j < len(st.steps) {
		return stepRef{st.order, st, j}, true
	}
	return stepRef{}, false
}

// Shelved decodes a service order SOM shelved (a store.Doc's body).
func Shelved(body []byte) (*tmf.ServiceOrder, error) {
	var so tmf.ServiceOrder
	if err := engine.DecodeDoc(body, &so); err != nil {
		return nil, fmt.Errorf("service order on the shelf: %w", err)
	}
	return &so, nil
}

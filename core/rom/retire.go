package rom

import (
	"fmt"
	"maps"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// A finished resource order leaves ROM's memory after Config.Retention:
// when it ends, ROM sets a retire timer; when the timer fires and no call
// of the order is in flight any more (a release may still be answered),
// ROM shelves the order (its read model, as the APIs show it then, in the
// store's shelf, committed with the step, before any reader can miss it)
// and lets it go. A message about a retired order is one about an order
// ROM does not know.
//
// Its resources leave ROM's memory with it, each shelved on its own for
// the inventory API (ResourceShelfKind), unless another order in memory
// still holds one: an order holds the resources it allocated and those it
// gives back or replaces (inventory.Hold), and a resource leaves memory
// with the last order that holds it. The network keeps what is allocated
// (the twin's or the real system's allocation): only ROM's record leaves.
// A disconnect or a change whose resource has left memory takes it back
// from the shelf (Out.Unshelve, logged for replay) and holds it. The
// shelved order shows its resources as they were when it left memory,
// the inventory as they are.

// retire is ROM's own timer: a finished order leaves memory.
type retire struct{ Order string }

// ShelfKind is the kind of a resource order on the store's shelf,
// ResourceShelfKind that of a resource.
const (
	ShelfKind         = "resourceOrder"
	ResourceShelfKind = "resource"
	// JeopardyShelfKind is that of a jeopardy raised on a resource order
	// (JeopardyPrefix and its number: JEO-R007, as on the worklist).
	JeopardyShelfKind = "resourceOrderJeopardy"
	JeopardyPrefix    = "JEO-R"
)

// hold counts a resource the order allocated, gives back or replaces as
// held by it, when orders leave memory.
func (r *ROM) hold(o *order, id string) {
	if r.cfg.Retention > 0 {
		r.Resources.Hold(id)
		o.held = append(o.held, id)
	}
}

// resource is the resource with id for an order that gives it back or
// replaces it, which then holds it: from the inventory, or taken back
// from the store's shelf when it left memory; nil when there is none.
func (r *ROM) resource(o *order, id string, out *engine.Out) *tmf.Resource {
	res := r.Resources.Get(id)
	if res == nil && r.cfg.Retention > 0 {
		body, ok := out.Unshelve(ResourceShelfKind, id)
		if !ok {
			return nil
		}
		back, err := ShelvedResource(body)
		if err != nil {
			out.Error(fmt.Errorf("ROM: take resource %s back from the shelf: %w", id, err))
			return nil
		}
		res = back
		r.Resources.Put(id, res)
	}
	if res != nil {
		r.hold(o, id)
	}
	return res
}

// ShelvedResource decodes a resource ROM shelved.
func ShelvedResource(body []byte) (*tmf.Resource, error) {
	var res tmf.Resource
	if err := engine.DecodeDoc(body, &res); err != nil {
		return nil, fmt.Errorf("resource on the shelf: %w", err)
	}
	return &res, nil
}

// ended sets a finished order's retire timer, when orders leave memory.
func (r *ROM) ended(o *order, out *engine.Out) {
	if r.cfg.Retention > 0 {
		out.Send(engine.ROM, engine.RetireAfter(out.Now(), r.cfg.Retention), retire{o.ro.ID})
	}
}

// retire lets a finished order leave memory, or waits another retention
// for the calls still in flight.
func (r *ROM) retire(m retire, out *engine.Out) {
	o := r.byID[m.Order]
	if o == nil || !o.finished {
		return
	}
	if o.calls > 0 {
		out.Send(engine.ROM, engine.RetireAfter(out.Now(), r.cfg.Retention), m)
		return
	}
	head, body, err := r.shelver.Doc(&o.ro)
	if err != nil {
		out.Error(fmt.Errorf("ROM: shelve %s: %w", o.ro.ID, err))
		return
	}
	if err := out.ShelveJeopardies(JeopardyShelfKind, JeopardyPrefix, o.customer, o.jeopardies); err != nil {
		out.Error(fmt.Errorf("ROM: shelve %s: %w", o.ro.ID, err))
		return
	}
	items := tmf.IDsOf(o.ro.Items, func(it *tmf.ResourceOrderItem) string { return it.ID })
	if o.from == 0 && o.ro.ExternalID != "" { // placed through the API: found by it (placedFor)
		items = append(items, engine.ExternalIDItem(o.ro.ExternalID))
	}
	out.Shelve(store.Doc{Kind: ShelfKind, ID: o.ro.ID, Ord: tmf.SeqOf(o.ro.ID), Party: o.customer, Head: head, Body: body, Items: items})
	for _, id := range o.held {
		res := r.Resources.Release(id)
		if res == nil {
			continue // another order in memory holds it
		}
		head, b, err := r.resources.Doc(res)
		if err != nil {
			out.Error(fmt.Errorf("ROM: shelve resource %s: %w", id, err))
			return
		}
		// A resource names no customer (TMF639): its doc has no party,
		// and a caller bound to one lists none (store.Doc.Party).
		out.Shelve(store.Doc{Kind: ResourceShelfKind, ID: id, Ord: res.Ord, Head: head, Body: b})
	}
	for i := range o.steps {
		st := &o.steps[i]
		if !st.owned {
			continue
		}
		if res := r.Resources.Get(st.resource.ID); res == &st.resource {
			own := st.resource // still held: the inventory's resource, in storage of its own
			r.Resources.Put(own.ID, &own)
		}
	}
	for i := range o.ro.Items {
		r.retired[o.ro.Items[i].State]++
	}
	r.byItem.remove(o)
	r.ops.Forget(func(yield func(string) bool) {
		for i := range o.ro.Items {
			if !yield(o.ro.Items[i].ID) {
				return
			}
		}
		for _, j := range o.jeopardies {
			if !yield(j.ID(JeopardyPrefix)) {
				return
			}
		}
	})
	delete(r.byID, o.ro.ID)
	if o.ro.ExternalID != "" && r.byExternal[o.ro.ExternalID] == o {
		delete(r.byExternal, o.ro.ExternalID)
	}
	r.orders.Remove(o)
}

// placedFor is the id of the order placed with externalID, "" for none
// (or no externalID): in memory, else on the shelf, whose doc of an
// order placed through the API lists its externalId.
func (r *ROM) placedFor(externalID string, out *engine.Out) string {
	if o := r.byExternal[externalID]; o != nil && externalID != "" {
		return o.ro.ID
	}
	return out.ShelvedByExternalID(ShelfKind, externalID)
}

// byHandle finds the item a request handle stands for, among the orders
// in memory.
func (r *ROM) byHandle(h int) (itemRef, bool) {
	o, ok := r.orders.Find(h)
	if !ok || h < 0 {
		return itemRef{}, false
	}
	if i := h - o.handle; i < len(o.ro.Items) {
		return itemRef{o, i}, true
	}
	return itemRef{}, false
}

// Shelved decodes a resource order ROM shelved (a store.Doc's body).
func Shelved(body []byte) (*tmf.ResourceOrder, error) {
	var ro tmf.ResourceOrder
	if err := engine.DecodeDoc(body, &ro); err != nil {
		return nil, fmt.Errorf("resource order on the shelf: %w", err)
	}
	return &ro, nil
}

// Retired counts the items of the orders that left memory, by state.
func (r *ROM) Retired() map[string]int { return maps.Clone(r.retired) }

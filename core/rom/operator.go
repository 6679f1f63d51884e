package rom

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// ROM's part of the worklist: each resource order item held for manual
// action by the failure policy (its id: ROI-012), held by a person, or
// failed, and each jeopardy raised on an item still waiting (JEO-R001, by
// the order of ROM's jeopardies). People retry a held item (with changed
// characteristics if they give some), complete it by hand with evidence,
// or compensate its site; they hold an item that has not started and
// release it; they assign and note any item.

// heldItem is when an item was held, until when (the failure policy's
// deadline for manual action; 0 for none), and by whom ("" for the
// failure policy).
type heldItem struct {
	Item  string
	Since time.Duration
	Due   time.Duration
	By    string
	// Released is set when a person released the item before the items
	// it depends on completed: it starts once they have.
	Released bool `json:",omitempty"`
}

// held keeps when item it was held, and by whom.
func (r *ROM) held(it *tmf.ResourceOrderItem, due time.Duration, by string, out *engine.Out) {
	r.holds[it.ID] = heldItem{Item: it.ID, Since: out.Now(), Due: due, By: by}
}

// Worklist lists what waits on a person in ROM, in order: the held and
// failed items order by order, then the jeopardies.
func (r *ROM) Worklist() []operator.Item {
	var items []operator.Item
	open := map[string]operator.Item{}
	for o := range r.orders.All() {
		for i := range o.ro.Items {
			if it, ok := r.workItem(o, i); ok {
				items = append(items, it)
				if it.State != lc.Failed {
					open[it.Entity] = it
				}
			}
		}
	}
	for _, j := range r.Jeopardies() {
		if it, ok := open[j.Entity]; ok {
			items = append(items, operator.Item{ID: j.ID(JeopardyPrefix), Kind: operator.Jeopardy, Entity: j.Entity,
				State: j.Type, Reason: j.Message, Since: j.At, Order: it.Order, Site: it.Site, Wave: it.Wave, System: "ROM"})
		}
	}
	for i := range items {
		r.ops.Annotate(&items[i])
	}
	return items
}

// workItem is the worklist item of item i of o, if it waits on a person.
func (r *ROM) workItem(o *order, i int) (operator.Item, bool) {
	it := &o.ro.Items[i]
	if it.State != lc.Held && it.State != lc.Failed {
		return operator.Item{}, false // most items: checked before anything is made
	}
	item := operator.Item{ID: it.ID, Entity: it.ID, State: it.State, Reason: it.StateReason, Order: o.ro.ID,
		Site: o.ro.Place.ID, Wave: o.ro.ExternalID, System: "ROM"}
	switch it.State {
	case lc.Held:
		h := r.holds[it.ID]
		item.Since = h.Since
		if h.Due > 0 {
			item.Deadline, item.HasDeadline = h.Due, true
		}
		first := operator.Retry
		item.Kind = operator.ManualAction
		if h.By != "" {
			first, item.Kind = operator.Release, operator.OperatorHeld
		}
		if !h.Released {
			item.Actions = append(item.Actions, first)
		}
		if it.Resource != nil {
			// Completed by hand with what it holds: one that holds no
			// resource yet would complete without one, for SOM to refuse.
			item.Actions = append(item.Actions, operator.CompleteManually)
		}
		item.Actions = append(item.Actions, operator.Compensate)
	case lc.Failed:
		item.Kind, item.Since = operator.ItemFailed, it.CompletionDate
	default:
		return operator.Item{}, false
	}
	return item, true
}

// act takes a person's action on a resource order item: the action taken
// (operator.Done), or an error wrapping operator.ErrUnknownItem or
// operator.ErrNotAllowed, when it changed nothing.
func (r *ROM) act(a operator.Action, out *engine.Out) any {
	if d, ok := r.ops.Replayed(a, out); ok {
		if err := d.Answers(a); err != nil {
			return err
		}
		return d
	}
	var item *operator.Item
	o := r.byItem.find(a.Item)
	if o != nil {
		if it, ok := r.workItem(o, o.index(a.Item)); ok {
			r.ops.Annotate(&it)
			item = &it
		}
	} else {
		for _, it := range r.Worklist() { // a jeopardy
			if it.ID == a.Item {
				item = &it
				break
			}
		}
	}
	if item == nil && o != nil && a.Kind == operator.Hold {
		// An item not waiting on anyone yet: it may be held, and nothing
		// else is done to it.
		it := &o.ro.Items[o.index(a.Item)]
		if it.State != lc.Acknowledged || o.compensating {
			return operator.NotAllowed(a, it.ID+" is "+it.State+": only an item not started yet is held")
		}
		item = &operator.Item{ID: it.ID, Entity: it.ID, State: it.State, Kind: "resourceOrderItem", Actions: []string{operator.Hold}}
	}
	if item == nil {
		return operator.Unknown(a)
	}
	if err := operator.Check(a, item); err != nil {
		return err
	}
	var result string
	switch a.Kind {
	case operator.Retry, operator.CompleteManually, operator.Compensate, operator.Hold, operator.Release:
		var err error
		if result, err = r.actOnItem(a, o, o.index(a.Item), out); err != nil {
			return err
		}
	case operator.Assign:
		result = "assigned to " + a.Assignee
	case operator.Note:
		result = "noted"
	}
	return r.ops.Take(a, result, out)
}

// actOnItem carries out an action that moves item i of o.
func (r *ROM) actOnItem(a operator.Action, o *order, i int, out *engine.Out) (string, error) {
	it, st := &o.ro.Items[i], &o.steps[i]
	by := " by " + a.By
	switch a.Kind {
	case operator.Retry:
		if len(a.Characteristics) > 0 {
			cs := slices.Clone(it.Characteristics) // an item's own: SOM's may be shared
			for _, c := range a.Characteristics {
				cs.Set(c.Name, c.Value)
			}
			it.Characteristics = cs
		}
		if !r.resume(o, i, "retried"+by, out) {
			return "", operator.NotAllowed(a, it.ID+" cannot resume")
		}
		sys := st.spec.Reserve
		if st.op == port.Commit {
			sys = st.spec.Commit
		}
		r.call(o, i, sys, st.op, st.attempts+1, out)
		return fmt.Sprintf("%s %s again (attempt %d)", it.ID, st.op, st.attempts), nil
	case operator.CompleteManually:
		if !r.resume(o, i, "completed manually"+by, out) {
			return "", operator.NotAllowed(a, it.ID+" cannot resume")
		}
		it.StateReason = "completed manually" + by + ": " + a.Note
		r.completeItem(out.Now(), o, i, "operator "+a.By, out)
		return it.ID + " completed manually", nil
	case operator.Compensate:
		r.compensate(o, i, "compensated"+by+reasonOf(a), out)
		return fmt.Sprintf("site %s compensated: %s failed, what it holds released", o.ro.Place.ID, o.ro.ID), nil
	case operator.Hold:
		it.StateReason = "held" + by + reasonOf(a)
		if !out.Fire(r.machines, lc.ResourceOrderItem, it.ID, "", &it.State, lc.Hold, it.StateReason, "operator "+a.By) {
			return "", operator.NotAllowed(a, it.ID+" cannot be held")
		}
		r.held(it, 0, a.By, out)
		r.notify(out, o, tmf.ResourceOrderItemStateChange, it)
		return it.ID + " held", nil
	case operator.Release:
		if !o.depsDone(i) {
			h := r.holds[it.ID]
			h.Released = true
			r.holds[it.ID] = h
			it.StateReason = "released" + by + ": it starts once the items it depends on are completed"
			return it.ID + " released: it starts once the items it depends on are completed", nil
		}
		if !r.startHeld(o, i, "released"+by, out) {
			return "", operator.NotAllowed(a, it.ID+" cannot resume")
		}
		return it.ID + " released", nil
	}
	return "", nil
}

// startHeld starts item i of o, held until a person released it.
func (r *ROM) startHeld(o *order, i int, reason string, out *engine.Out) bool {
	if !r.resume(o, i, reason, out) {
		return false
	}
	r.watch(o, i, out)
	if o.ro.Items[i].Action == tmf.Delete {
		r.decommission(o, i, out)
	} else {
		r.call(o, i, o.steps[i].spec.Reserve, port.Reserve, 1, out)
	}
	return true
}

func reasonOf(a operator.Action) string {
	if a.Note == "" {
		return ""
	}
	return ": " + a.Note
}

// resume puts a held item back in progress.
func (r *ROM) resume(o *order, i int, reason string, out *engine.Out) bool {
	it := &o.ro.Items[i]
	if o.steps[i].spec == nil || !out.Fire(r.machines, lc.ResourceOrderItem, it.ID, "", &it.State, lc.Resume, reason, "ROM") {
		return false
	}
	it.StateReason = ""
	delete(r.holds, it.ID)
	r.notify(out, o, tmf.ResourceOrderItemStateChange, it)
	return true
}

// HasItem tells whether ROM has a resource order item with id.
func (r *ROM) HasItem(id string) bool { return r.byItem.find(id) != nil }

// Actions lists the actions taken on ROM's worklist, in order.
func (r *ROM) Actions() []operator.Done { return r.ops.Done }

// savedHolds are the held items in a snapshot, by id.
func (r *ROM) savedHolds() []heldItem {
	var hs []heldItem
	for _, k := range slices.Sorted(maps.Keys(r.holds)) {
		hs = append(hs, r.holds[k])
	}
	return hs
}

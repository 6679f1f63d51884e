package com

import (
	"fmt"
	"slices"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Cancel asks COM to cancel a product order (TMF622 cancelProductOrder) or
// one site of it. A site already active is past the point of no return:
// its cancellation is refused (it needs a disconnect order). Every other
// site is cancelled: its service and resource orders are cancelled and all
// it holds is released, the capacity its revalidation held included.
type Cancel struct {
	Order  string // product order id; "" for the only one
	Site   string // site code; "" for the whole order
	Reason string
}

// Cancelled is COM's reply to a cancellation: what it refused, if
// anything (a cancellation of a whole order with active sites cancels the
// others and refuses those).
type Cancelled struct {
	// Cancelling counts the sites going the cancellation way.
	Cancelling int
	Refused    []string
}

// cancel carries out a cancellation request.
func (c *COM) cancel(m Cancel, out *engine.Out) {
	var reply Cancelled
	defer func() { out.Reply(reply) }()
	refuse := func(entity, why string) {
		reply.Refused = append(reply.Refused, entity+": "+why)
		c.refusal = entity + ": " + why
		out.Record(store.Record{Kind: "cancellation", Entity: entity, System: "COM", To: "refused", Event: "cancel", Reason: why})
	}
	if why := c.unshelve(m.Order, out); why != "" {
		refuse(m.Order, why)
		return
	}
	o := c.findOrder(m.Order)
	if o == nil {
		refuse(m.Order, "no such product order")
		return
	}
	switch o.po.State {
	case lc.Completed, lc.Partial, lc.Failed, lc.Cancelled, lc.Rejected:
		refuse(o.po.ID, "the order is "+o.po.State)
		return
	}
	reason := "cancelled by the customer"
	if m.Reason != "" {
		reason = m.Reason
	}
	var cancellable []int
	active := 0
	for i := range o.po.Items {
		it := &o.po.Items[i]
		if m.Site != "" && it.Place.ID != m.Site {
			continue
		}
		switch it.State {
		case lc.Completed:
			active++
			refuse(it.ID, fmt.Sprintf("past the point of no return: %s is active (it needs a disconnect order)", it.Place.ID))
		case lc.Acknowledged, lc.InProgress, lc.Held, lc.Pending:
			cancellable = append(cancellable, i)
		}
	}
	if m.Site != "" && len(cancellable) == 0 && active == 0 {
		refuse(o.po.ID, fmt.Sprintf("no site %q of the order can be cancelled", m.Site))
	}
	if len(cancellable) == 0 {
		return
	}
	reply.Cancelling = len(cancellable)
	if m.Site == "" && active == 0 {
		// Nothing is active: the whole order goes the cancellation way.
		out.Fire(c.machines, lc.ProductOrder, o.po.ID, "", &o.po.State, lc.Cancel, reason, "COM")
	}
	// The last waves' sites first, and those held for capacity (in no
	// wave yet) before them: a wave whose every site is cancelled opens
	// the gate behind it, which would release a wave about to be
	// cancelled too.
	rank := func(i int) int {
		if w := o.waveOf[i]; w != nil {
			return slices.Index(o.waves, w)
		}
		return len(o.waves)
	}
	slices.SortStableFunc(cancellable, func(a, b int) int { return rank(b) - rank(a) })
	for _, i := range cancellable {
		c.cancelItem(o, i, reason, out)
	}
}

// findOrder finds the order with id in memory; "" names the only order
// COM has, when it has one (in memory or not).
func (c *COM) findOrder(id string) *order {
	if id == "" && c.orders.Len() == 1 && c.retired == 0 {
		o, _ := c.orders.First()
		return o
	}
	return c.orderBy[id]
}

// cancelItem cancels one site: at once when nothing of it has reached SOM,
// else through SOM, which answers with its service order items cancelled.
func (c *COM) cancelItem(o *order, i int, reason string, out *engine.Out) {
	it := &o.po.Items[i]
	it.StateReason = reason
	w := o.waveOf[i]
	if it.State != lc.InProgress || w == nil || w.so != nil {
		if w != nil && w.so != nil {
			w.withdraw(o, i, c)
			if len(w.items) == 0 {
				out.Fire(c.machines, lc.Wave, w.id, "", &w.state, lc.Cancel, "every site cancelled", "COM")
			}
		}
		if t := o.tasks[i]; t != nil && t.state == lc.Requested {
			out.Fire(c.machines, lc.Task, t.id, t.name, &t.state, lc.Cancel, reason, "COM → Network Planning")
		}
		if out.Cancel(c.machines, lc.ProductOrderItem, it.ID, "", &it.State, reason, "COM") {
			c.releaseHold(o, i, out)
			c.itemFinal(o, out)
		}
		c.releaseNext(o, out)
		return
	}
	if !out.Fire(c.machines, lc.ProductOrderItem, it.ID, "", &it.State, lc.Cancel, reason, "COM → SOM") {
		return
	}
	ids := make([]string, len(it.ServiceOrderItem))
	for k, r := range it.ServiceOrderItem {
		ids[k] = r.ID
	}
	out.Send(engine.SOM, 0, &tmf.CancelRequest{OrderID: w.soID, ExternalID: w.externalID, Items: ids, Reason: reason})
}

// withdraw takes a site out of a wave that has not been released yet.
func (w *wave) withdraw(o *order, i int, c *COM) {
	w.items = slices.DeleteFunc(w.items, func(j int) bool { return j == i })
	w.pending = slices.DeleteFunc(w.pending, func(p pendingItem) bool {
		if r := c.sois[p.handle]; r.item == i {
			r.final = true
			return true
		}
		return false
	})
}

// cancelled ends a site whose cancellation SOM has carried out.
func (c *COM) cancelled(o *order, i int, out *engine.Out) {
	it := &o.po.Items[i]
	if out.Fire(c.machines, lc.ProductOrderItem, it.ID, "", &it.State, lc.AcceptCancel, it.StateReason, "COM") &&
		out.Fire(c.machines, lc.ProductOrderItem, it.ID, "", &it.State, lc.ConfirmCancel, it.StateReason, "COM") {
		c.releaseHold(o, i, out)
		c.itemFinal(o, out)
	}
}

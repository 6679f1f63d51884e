package rom

import (
	"fmt"
	"maps"
	"time"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// retry is ROM's own timer: call item Item of order Order (its id) again
// with operation Op, after its backoff.
type retry struct {
	Order string
	Item  int
	Op    port.Op
}

// holdExpired is ROM's own timer: the deadline for manual action on held
// item Item of order Order; Then is the policy's fallback.
type holdExpired struct {
	Order string
	Item  int
	Then  string
}

// failed applies the failure policy of the item's step to a failed call:
// retry with backoff, hold for manual action, fail the step, or compensate
// the whole site.
func (r *ROM) failed(o *order, i int, res *port.Result, out *engine.Out) {
	it, st := &o.ro.Items[i], &o.steps[i]
	reason := res.Err.Message
	p := r.policy(it.Specification.Name, it.Specification.ID, string(res.Err.Class))
	switch p.Action {
	case catalog.Retry:
		if st.attempts < p.Attempts {
			wait := p.Backoff << (st.attempts - 1)
			out.Record(store.Record{Kind: "retry", Entity: it.ID, System: "ROM", From: string(res.Op),
				To: fmt.Sprintf("attempt %d", st.attempts+1), Event: "retry",
				Reason: fmt.Sprintf("%s; again in %s", reason, tmf.FormatOffset(wait))})
			out.Send(engine.ROM, wait, retry{o.ro.ID, i, res.Op})
			r.retries[res.System]++
			return
		}
		r.fallBack(o, i, p.Then, fmt.Sprintf("%s (after %d attempts)", reason, st.attempts), out)
	case catalog.Replace:
		if st.replaced < p.Attempts {
			st.replaced++
			out.Record(store.Record{Kind: "retry", Entity: it.ID, System: "ROM", From: string(res.Op),
				To: fmt.Sprintf("replacement %d", st.replaced), Event: "replace", Reason: reason})
			// Written off, not released: the adapter says it is gone.
			if it.Resource != nil {
				setState(it.Resource, "lost", out)
			}
			it.Resource, st.released = nil, false
			r.call(o, i, st.spec.Reserve, port.Reserve, st.replaced+1, out)
			return
		}
		r.fallBack(o, i, p.Then, fmt.Sprintf("%s (after %d replacements)", reason, st.replaced), out)
	case catalog.HoldStep:
		it.StateReason = reason
		if out.Fire(r.machines, lc.ResourceOrderItem, it.ID, "", &it.State, lc.Hold, reason+"; waiting for manual action", "ROM") {
			r.notify(out, o, tmf.ResourceOrderItemStateChange, it)
			r.held(it, out.Now()+p.Deadline, "", out)
			out.Send(engine.ROM, p.Deadline, holdExpired{o.ro.ID, i, p.Then})
		}
	default:
		r.fallBack(o, i, p.Action, reason, out)
	}
}

// policy is the failure policy for a step; without a table, a step fails.
func (r *ROM) policy(rfs, resourceType, class string) catalog.Policy {
	if r.cfg.Policy == nil {
		return catalog.Policy{Action: catalog.FailStep}
	}
	return r.cfg.Policy(rfs, resourceType, class)
}

// fallBack ends a step for good: it fails alone, or the site is compensated.
func (r *ROM) fallBack(o *order, i int, action, reason string, out *engine.Out) {
	if action == catalog.Compensate {
		r.compensate(o, i, reason, out)
		return
	}
	r.failItem(o, i, reason, out)
}

// retried calls a step again, as its policy said.
func (r *ROM) retried(m retry, out *engine.Out) {
	o, it := r.timed(m.Order, m.Item)
	if it == nil || it.State != lc.InProgress || o.compensating {
		return
	}
	st := &o.steps[m.Item]
	sys := st.spec.Reserve
	if m.Op == port.Commit {
		sys = st.spec.Commit
	}
	r.call(o, m.Item, sys, m.Op, st.attempts+1, out)
}

// timed finds the order and item a timer is for, or nil: a timer for an
// order ROM no longer has does nothing.
func (r *ROM) timed(id string, i int) (*order, *tmf.ResourceOrderItem) {
	o := r.byID[id]
	if o == nil || i < 0 || i >= len(o.ro.Items) {
		return nil, nil
	}
	return o, &o.ro.Items[i]
}

// stepDue is ROM's own timer: the deadline of item Item of order Order,
// Deadline after it started. ROM sends it as a pointer from a slab.
type stepDue struct {
	Order    string
	Item     int
	Deadline time.Duration
}

// watch sets the deadline of an item that has just started, if its step
// has one.
func (r *ROM) watch(o *order, i int, out *engine.Out) {
	if r.cfg.Deadline == nil {
		return
	}
	if d := r.cfg.Deadline(o.ro.Items[i].Specification.Name); d > 0 {
		due := r.dues.New()
		*due = stepDue{o.ro.ID, i, d}
		out.Send(engine.ROM, d, due)
	}
}

// due raises a jeopardy alert for an item still not done at its deadline:
// in progress (a call unanswered, retries, a replacement on its way) or
// held for manual action.
func (r *ROM) due(m *stepDue, out *engine.Out) {
	o, it := r.timed(m.Order, m.Item)
	if it == nil || it.State != lc.InProgress && it.State != lc.Held {
		return
	}
	msg := fmt.Sprintf("%s (%s, %s) is still %s %s after it started", it.ID, it.Specification.Name, o.ro.Place.ID,
		it.State, tmf.FormatOffset(m.Deadline))
	if it.StateReason != "" {
		msg += ": " + it.StateReason
	}
	r.raised++
	j := out.Jeopardy(it.ID, tmf.JeopardyDeadline, msg)
	j.N = r.raised
	o.jeopardies = append(o.jeopardies, j)
}

// Jeopardies lists the alerts raised on the orders in memory, in the
// order raised: in a run, where no order leaves memory, every alert. An
// alert leaves memory with its order; the journal keeps every one.
func (r *ROM) Jeopardies() []tmf.Jeopardy {
	return tmf.Raised(r.orders.All(), func(o *order) []tmf.Jeopardy { return o.jeopardies })
}

// expired applies a held step's fallback when nobody acted in time.
func (r *ROM) expired(m holdExpired, out *engine.Out) {
	o, it := r.timed(m.Order, m.Item)
	if it == nil || it.State != lc.Held {
		return
	}
	if h, ok := r.holds[it.ID]; ok && h.Due != out.Now() {
		return // the deadline of an earlier hold: a person retried it since
	}
	r.fallBack(o, m.Item, m.Then, it.StateReason+" (no manual action before the deadline)", out)
}

// compensate gives up a site: the failing item and every item not yet
// final fail with the reason, and everything the site holds is released,
// so that nothing leaks. Answers still on their way are released when they
// come. An item already completed stays completed, with the milestone
// released: its orderer hears it, before the order ends, so that no
// service stays active on a resource given back.
func (r *ROM) compensate(o *order, i int, reason string, out *engine.Out) {
	if !o.compensating {
		o.compensating = true
		o.reason = "site compensated: " + reason
		out.Record(store.Record{Kind: "compensation", Entity: o.ro.ID, Name: o.ro.Name, System: "ROM",
			From: o.ro.State, To: "compensating", Event: "compensate", Reason: reason})
		for j := range o.ro.Items {
			if d := &o.ro.Items[j]; d.State == lc.Completed && d.Resource != nil && !o.steps[j].released {
				d.Milestone = lc.Released
				out.Record(store.Record{Kind: "milestone", Entity: d.ID, Name: d.Resource.ID, To: lc.Released, Event: "milestone", Reason: o.reason})
				r.notify(out, o, tmf.ResourceOrderItemStateChange, d)
			}
		}
	}
	r.failItem(o, i, reason, out)
	for j := range o.ro.Items {
		d := &o.ro.Items[j]
		if d.State == lc.Acknowledged || d.State == lc.InProgress || d.State == lc.Held {
			waiting := o.commitWaiting(j)
			r.failItem(o, j, o.reason, out)
			if waiting {
				r.endCommit(o, j, out)
			}
		}
		r.release(o, j, out)
	}
}

// commitWaiting reports whether item j is in progress with a CE router's
// commit: a call to the ZTP system that waits, days at most, for the
// router to call home and take its Day-1 configuration. (A commit that
// failed and waits for its retry has no call in flight; ending it anyway
// changes nothing.)
func (o *order) commitWaiting(j int) bool {
	st := &o.steps[j]
	return o.ro.Items[j].State == lc.InProgress && st.op == port.Commit && st.spec != nil &&
		st.spec.Type == "CPE" && st.spec.Commit != st.spec.Reserve
}

// endCommit ends the commit of item j, given up while it waits for its
// router: a release to the system the commit went to (the ZTP adapter
// ends the commit still waiting for that router, which then fails, and
// sends nothing). The release to the system that reserved the router
// (release) gives the router back; without this one the commit would go
// on waiting, the router be told to call again for as long as the
// adapter's timeout (7 days), and a run, which ends with its last answer,
// would not end. Its answer changes nothing in the inventory.
func (r *ROM) endCommit(o *order, j int, out *engine.Out) {
	d, st := &o.ro.Items[j], &o.steps[j]
	if d.Resource == nil {
		return
	}
	o.calls++
	out.Call(port.Request{Key: r.strs.Join(d.ID, "/release/", string(st.spec.Commit)), System: st.spec.Commit, Op: port.Release,
		Item: d.ID, Handle: o.handle + j, Customer: o.customer, Site: o.ro.Place.ID, Place: o.ro.Place,
		ResourceType: d.Specification.ID, Resource: d.Resource})
}

// release gives back item j's resource, once.
func (r *ROM) release(o *order, j int, out *engine.Out) {
	d, st := &o.ro.Items[j], &o.steps[j]
	if d.Resource == nil || st.released || st.spec == nil {
		return // nothing held, or an item of no known kind: ROM holds nothing for it
	}
	st.released = true
	o.calls++
	// A request of its own: the item's slot may hold a call queued in this
	// same batch.
	out.Call(port.Request{Key: r.strs.Join(d.ID, "/release/1"), System: st.spec.Reserve, Op: port.Release, Item: d.ID,
		Handle: o.handle + j, Customer: o.customer, Site: o.ro.Place.ID, Place: o.ro.Place,
		ResourceType: d.Specification.ID, Resource: d.Resource})
}

// late handles an answer for an item that is no longer in progress: in a
// compensated site, whatever it allocated is released.
func (r *ROM) late(o *order, i int, res *port.Result, out *engine.Out) {
	if !o.compensating || !res.Final || res.Err != nil || res.Resource == nil || o.steps[i].spec == nil {
		return
	}
	it := &o.ro.Items[i]
	if it.Resource == nil || it.Resource.ID != res.Resource.ID {
		it.Resource = r.own(o, &o.steps[i], it.Resource, res.Resource, "", out)
		o.steps[i].released = false
	}
	r.release(o, i, out)
}

// decommission starts a delete item: the resource it names, as the
// inventory has it, is given back to the system that allocated it.
func (r *ROM) decommission(o *order, i int, out *engine.Out) {
	it := &o.ro.Items[i]
	if it.Resource == nil {
		r.failItem(o, i, "a delete item names no resource", out)
		return
	}
	res := r.resource(o, it.Resource.ID, out)
	if res == nil || res.UsageState != "active" {
		r.failItem(o, i, fmt.Sprintf("resource %s is not active in the inventory", it.Resource.ID), out)
		return
	}
	it.Resource = res
	r.call(o, i, o.steps[i].spec.Reserve, port.Release, 1, out)
}

// decommissioned ends a delete item with its release's answer: the
// resource is terminated, or the release is retried per the failure
// policy. A disconnect that cannot release a resource fails that item
// (and what waits on it); it never compensates, which would release the
// rest without order.
func (r *ROM) decommissioned(now time.Duration, o *order, i int, res *port.Result, out *engine.Out) {
	it := &o.ro.Items[i]
	if res.Err != nil {
		if !res.Final {
			return
		}
		if p := r.policy(it.Specification.Name, it.Specification.ID, string(res.Err.Class)); p.Action == catalog.Retry && o.steps[i].attempts < p.Attempts {
			r.failed(o, i, res, out)
			return
		}
		r.failItem(o, i, "release failed: "+res.Err.Message, out)
		return
	}
	setState(it.Resource, "terminated", out)
	o.steps[i].released = true
	r.completeItem(now, o, i, "ROM → "+string(o.steps[i].spec.Reserve), out)
}

// releasedAnswer marks a given-back resource in the inventory. The answer
// of a release that ended a commit in flight (endCommit), from the
// commit's system, leaves the inventory to the release that gave the
// resource back.
func (r *ROM) releasedAnswer(o *order, i int, res *port.Result, out *engine.Out) {
	it := &o.ro.Items[i]
	if res.Err != nil {
		out.Error(fmt.Errorf("ROM: release of %s for %s failed: %w", it.Resource.ID, it.ID, res.Err))
		return
	}
	if st := &o.steps[i]; st.spec != nil && res.System != st.spec.Reserve {
		return
	}
	setState(it.Resource, "released", out)
}

// cancel cancels a resource order: every item not yet final is cancelled,
// and everything the order holds is released (answers still on their way
// are released when they come). A final order has nothing to cancel: its
// state event tells the canceller so.
func (r *ROM) cancel(c *tmf.CancelRequest, out *engine.Out) {
	o, err := r.cancelled(c)
	if err != nil {
		out.Error(err)
		return
	}
	if o.finished {
		r.notify(out, o, tmf.ResourceOrderStateChange, nil)
		return
	}
	o.compensating, o.cancelled, o.reason = true, true, "cancelled: "+c.Reason
	for j := range o.ro.Items {
		d := &o.ro.Items[j]
		switch d.State {
		case lc.Acknowledged, lc.InProgress, lc.Held:
			waiting := o.commitWaiting(j)
			d.StateReason = o.reason
			if !out.Cancel(r.machines, lc.ResourceOrderItem, d.ID, "", &d.State, o.reason, "ROM") {
				return
			}
			d.CompletionDate = out.Now()
			o.done++
			r.notify(out, o, tmf.ResourceOrderItemStateChange, d)
			if waiting {
				r.endCommit(o, j, out)
			}
		}
		r.release(o, j, out)
	}
	r.finishIfDone(o, out)
}

// cancelled finds the order a cancellation names; an order ROM does not
// have is an error wrapping tmf.ErrUnknownOrder.
func (r *ROM) cancelled(c *tmf.CancelRequest) (*order, error) {
	if o := r.byID[c.OrderID]; o != nil {
		return o, nil
	}
	return nil, fmt.Errorf("ROM: cancel of resource order %q, which ROM does not have: %w", c.OrderID, tmf.ErrUnknownOrder)
}

// Retries counts the calls ROM has retried after a failure, per system
// (a replacement of a lost resource is not a retry).
func (r *ROM) Retries() map[port.System]int { return maps.Clone(r.retries) }

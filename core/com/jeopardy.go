package com

import (
	"fmt"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// COM's jeopardy alerts: a wave past its target, a site held past its
// wave's target, a gate held on its SLA check.
const (
	JeopardyDeadline = tmf.JeopardyDeadline
	JeopardySLA      = "slaValidation"
)

// Remediate tells COM that the network behind a wave held on its SLA check
// has been fixed: COM measures the wave's sites again and, if they now meet
// the tier, completes the wave and opens the next gate.
type Remediate struct {
	Order string // product order id; "" for the only one
	Wave  string // wave name (Pilot)
}

// deadline is COM's own timer: the target of the wave with handle Wave.
type deadline struct{ Wave int }

// heldDue is COM's own timer: the deadline of a site held for capacity
// (item Item of order Order, planning task number Task), its wave's
// target.
type heldDue struct {
	Order  string
	Item   int
	Task   int
	Target time.Duration
}

// watchHeld sets the deadline of a site held for capacity while network
// planning builds it: the target of the wave the site was planned in (at
// once when that has passed).
func (c *COM) watchHeld(o *order, i int, t *task, out *engine.Out) {
	q := o.quote.req
	name := q.Sites[o.sites[i]].Wave
	for _, w := range q.Waves {
		if due := o.target(w); w.Name == name && due > 0 {
			out.Send(engine.COM, max(0, due-out.Now()), heldDue{o.po.ID, i, t.n, due})
		}
	}
}

// heldMissed raises a jeopardy for a site still held at its deadline.
func (c *COM) heldMissed(m heldDue, out *engine.Out) {
	o := c.orderBy[m.Order]
	if o == nil {
		return // it left memory: nothing of it is held
	}
	it, t := &o.po.Items[m.Item], c.tasks[m.Task]
	if t == nil || it.State != lc.Held || t.state != lc.Requested {
		return
	}
	c.jeopardy(o, it.ID, JeopardyDeadline, fmt.Sprintf("%s is still held at its wave's target %s (%s); %s is %s",
		it.Place.ID, tmf.FormatOffset(m.Target), it.StateReason, t.id, t.state), out)
}

// Jeopardies lists the alerts raised on the orders in memory, in the
// order raised: in a run, where no order leaves memory, every alert. An
// alert leaves memory with its order (and comes back with it); the journal
// keeps every one.
func (c *COM) Jeopardies() []tmf.Jeopardy {
	return tmf.Raised(c.orders.All(), func(o *order) []tmf.Jeopardy { return o.jeopardies })
}

// jeopardy raises an alert about entity of order o, numbered after the
// last one COM raised.
func (c *COM) jeopardy(o *order, entity, typ, message string, out *engine.Out) {
	c.raised++
	j := out.Jeopardy(entity, typ, message)
	j.N = c.raised
	o.jeopardies = append(o.jeopardies, j)
}

// watch sets the deadline of a wave with a target.
func (c *COM) watch(w *wave, out *engine.Out) {
	if w.target > 0 {
		out.Send(engine.COM, max(0, w.target-out.Now()), deadline{w.handle})
	}
}

// missed raises a jeopardy for a wave not done by its target.
func (c *COM) missed(w *wave, out *engine.Out) {
	switch w.state {
	case lc.Completed, lc.Partial, lc.Cancelled, lc.Failed:
		return
	}
	c.jeopardy(w.order, w.id, JeopardyDeadline, fmt.Sprintf("%s is %s at its target %s", w.soName, w.state, tmf.FormatOffset(w.target)), out)
}

// remediate measures again the sites of a wave held on its SLA check.
func (c *COM) remediate(m Remediate, out *engine.Out) {
	var w *wave
	for o := range c.orders.All() {
		if m.Order != "" && o.po.ID != m.Order {
			continue
		}
		for _, ow := range o.waves {
			if ow.name == m.Wave {
				w = ow
			}
		}
	}
	if w == nil || w.state != lc.Held || w.slaBreach == "" {
		out.Record(store.Record{Kind: "remediation", Entity: m.Order + "/" + m.Wave, System: "COM", To: "ignored",
			Event: "remediate", Reason: "no wave of that name is held on its SLA check"})
		return
	}
	o := w.order
	var sites []int
	for _, i := range w.items {
		if o.po.Items[i].State == lc.Completed {
			sites = append(sites, i)
		}
	}
	w.slaBreach = ""
	w.measuring = len(sites)
	for _, i := range sites {
		it := &o.po.Items[i]
		c.call(out, port.Request{Key: it.ID + "/measure/" + tmf.FormatOffset(out.Now()), System: port.NMS, Op: port.Measure,
			Item: it.ID, Customer: o.quote.req.Customer.ID, Site: it.Place.ID, Place: it.Place},
			then{Do: measured, Wave: w.handle, Item: i})
	}
}

// measured takes a remeasurement of a site of a wave held on its SLA
// check; the last one completes the wave, or raises a jeopardy if the SLA
// still fails.
func (c *COM) measured(w *wave, i int, res *port.Result, out *engine.Out) {
	o := w.order
	it := &o.po.Items[i]
	if res.Err != nil {
		w.slaBreach = it.Place.ID + ": " + res.Err.Message
	} else if res.Resource != nil {
		if why := c.tierOf(o, i).Breach(res.Resource.Characteristics); why != "" {
			w.slaBreach = it.Place.ID + ": " + why
		}
	}
	if w.measuring--; w.measuring > 0 {
		return
	}
	if w.slaBreach != "" {
		c.jeopardy(o, w.id, JeopardySLA, "SLA validation still fails after remediation: "+w.slaBreach, out)
		return
	}
	w.completedAt = out.Now()
	if out.Fire(c.machines, lc.Wave, w.id, "", &w.state, lc.Complete, "SLA validated after remediation", "COM") {
		c.releaseNext(o, out)
	}
}

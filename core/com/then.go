package com

import (
	"fmt"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/port"
)

// then is what COM does with the final answer of a call: a continuation
// kept as data (which step, and the ids it concerns), so that COM's state,
// calls in flight included, can be saved in a snapshot (snapshot.go).
type then struct {
	Do step
	// ID is the quote, order or qualification the answer concerns.
	ID string
	// Item is the quote's site, the order's item or the qualification's
	// item.
	Item int
	// After says what a revalidation leads to.
	After step
	// Task is the number of the planning task (TASK-001 is 1); Wave, the
	// handle of the wave being measured again.
	Task, Wave int
}

// step names a continuation.
type step uint8

const (
	// ignore: an answer nothing waits on (billing).
	ignore step = iota
	// quoteQualified: a quote's site is qualified; the last prices the
	// quote.
	quoteQualified
	// reviewed: an approval stage is decided, by the workflow or a person.
	reviewed
	// creditChecked: an order's credit check; revalidation follows.
	creditChecked
	// revalidated: a site is qualified again with its capacity held; what
	// then is After.
	revalidated
	// ordered (after revalidated): the last site of an order revalidated
	// starts it.
	ordered
	// planned (after revalidated, and for a planning task's answer): a
	// site held for capacity is built and revalidated; it resumes in a
	// late wave.
	planned
	// added (after revalidated): a site added to the order goes in its
	// wave, or a late one.
	added
	// measured: a site of a wave held on its SLA check is measured again
	// after remediation.
	measured
	// qualified: an item of a product offering qualification is answered.
	qualified
	// confirmed: network planning's answer to a person's confirmation
	// that the capacity of a held site is built (operator.go).
	confirmed
)

// call sends a request and remembers what to do with its final answer.
func (c *COM) call(out *engine.Out, req port.Request, k then) {
	c.pending[req.Key] = k
	c.answered(k, 1)
	out.Call(req)
}

// isPending reports whether a call with key waits for its answer.
func (c *COM) isPending(key string) bool {
	_, ok := c.pending[key]
	return ok
}

// answer carries out continuation k with the final answer res.
func (c *COM) answer(k then, res *port.Result, out *engine.Out) {
	switch k.Do {
	case ignore:
	case quoteQualified:
		c.quoteQualified(c.quoteBy[k.ID], k.Item, res, out)
	case reviewed:
		q := c.quoteBy[k.ID]
		c.decide(q, res.Approved && res.Err == nil, res.Reason, out)
	case creditChecked:
		c.creditChecked(c.orderBy[k.ID], res, out)
	case revalidated:
		o := c.orderBy[k.ID]
		c.revalidated(o, k.Item, k.After, res, out)
	case planned:
		o, t := c.orderBy[k.ID], c.tasks[k.Task]
		if o == nil || t == nil {
			out.Error(fmt.Errorf("COM: planning's answer %s for task %d of %s, which COM has not", res.Key, k.Task, k.ID))
			return
		}
		c.planned(o, k.Item, t, out)
	case measured:
		c.measured(c.waves[k.Wave], k.Item, res, out)
	case qualified:
		c.qualified(c.qualificationBy[k.ID], k.Item, res, out)
	case confirmed:
		o, t := c.orderBy[k.ID], c.tasks[k.Task]
		if o == nil || t == nil {
			out.Error(fmt.Errorf("COM: planning's answer %s for task %d of %s, which COM has not", res.Key, k.Task, k.ID))
			return
		}
		c.built(o, k.Item, t, res, out)
	default:
		out.Error(fmt.Errorf("COM: answer %s with unknown step %d", res.Key, k.Do))
	}
}

// afterRevalidation carries out what a site's revalidation leads to.
func (c *COM) afterRevalidation(o *order, i int, after step, ok bool, out *engine.Out) {
	switch after {
	case ordered:
		if o.waiting--; o.waiting == 0 {
			c.start(o, out)
		}
	case planned:
		c.resumeBuilt(o, i, ok, out)
	case added:
		c.siteAdded(o, i, ok, out)
	default:
		out.Error(fmt.Errorf("COM: revalidation of %s followed by unknown step %d", o.po.Items[i].ID, after))
	}
}

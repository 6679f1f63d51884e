package com

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// COM's part of the worklist: each site held for capacity with its
// planning task (the item's id is the task's: TASK-001), each gate held on
// its SLA check (the wave's id: PO-2024-01203/Pilot), and each jeopardy
// raised on an entity still waiting (JEO-C001, by the order of COM's
// jeopardies). People confirm the capacity built, or reopen a gate after
// remediation; they assign and note any item.

// Worklist lists what waits on a person in COM, in order: held sites and
// gates order by order, then the jeopardies.
func (c *COM) Worklist() []operator.Item {
	var items []operator.Item
	for o := range c.orders.All() {
		for i, t := range o.tasks {
			if it, ok := c.capacityItem(o, i, t); ok {
				items = append(items, it)
			}
		}
		for _, w := range o.waves {
			if it, ok := c.gateItem(w); ok {
				items = append(items, it)
			}
			if it, ok := c.releaseItem(w); ok {
				items = append(items, it)
			}
			if it, ok := c.blockedItem(w); ok {
				items = append(items, it)
			}
		}
	}
	open := map[string]operator.Item{}
	for _, it := range items {
		open[it.Entity] = it
	}
	var alerts []tmf.Jeopardy
	for o := range c.orders.All() {
		for _, j := range o.jeopardies {
			if it, ok := open[j.Entity]; ok && alertOf(j.Type, it.Kind) {
				alerts = append(alerts, j)
			}
		}
	}
	slices.SortFunc(alerts, func(a, b tmf.Jeopardy) int { return cmp.Compare(a.N, b.N) })
	for _, j := range alerts {
		it := open[j.Entity]
		items = append(items, operator.Item{ID: j.ID(JeopardyPrefix), Kind: operator.Jeopardy, Entity: j.Entity,
			State: j.Type, Reason: j.Message, Since: j.At, Order: it.Order, Site: it.Site, Wave: it.Wave, System: "COM"})
	}
	for i := range items {
		c.ops.Annotate(&items[i])
	}
	return items
}

// alertOf tells whether a jeopardy of type typ is about an open item of
// kind: one raised on the blocked gate or on the SLA check of a wave is
// about that state of it, and no longer shown once the wave left it (a
// gate released that later holds on its SLA); a missed deadline is about
// any wait of its entity.
func alertOf(typ, kind string) bool {
	switch typ {
	case JeopardyGate:
		return kind == operator.GateBlocked
	case JeopardySLA:
		return kind == operator.GateHeld
	}
	return true
}

// capacityItem is the worklist item of item i of o, held for capacity
// while its planning task t is open.
func (c *COM) capacityItem(o *order, i int, t *task) (operator.Item, bool) {
	if t == nil || t.state != lc.Requested || o.po.Items[i].State != lc.Held {
		return operator.Item{}, false
	}
	it := &o.po.Items[i]
	wave := o.quote.req.Sites[o.sites[i]].Wave
	item := operator.Item{ID: t.id, Kind: operator.CapacityHeld, Entity: it.ID, State: it.State, Reason: it.StateReason,
		Since: t.since, Order: o.po.ID, Site: it.Place.ID, Wave: wave, System: "COM",
		Actions: []string{operator.ConfirmCapacity, operator.Compensate}}
	for _, w := range o.quote.req.Waves {
		if due := o.target(w); w.Name == wave && due > 0 {
			item.Deadline, item.HasDeadline = due, true
		}
	}
	return item, true
}

// gateItem is the worklist item of a wave held on its SLA check; while
// its sites are measured again, it takes no reopening.
func (c *COM) gateItem(w *wave) (operator.Item, bool) {
	if w.state != lc.Held || (w.slaBreach == "" && w.measuring == 0) {
		return operator.Item{}, false
	}
	site, _, _ := strings.Cut(w.slaBreach, ": ")
	item := operator.Item{ID: w.id, Kind: operator.GateHeld, Entity: w.id, State: w.state, Reason: "SLA validation failed: " + w.slaBreach,
		Order: w.order.po.ID, Site: site, Wave: w.name, System: "COM"}
	if w.measuring > 0 {
		item.Reason = fmt.Sprintf("measuring again after remediation (%d sites to answer)", w.measuring)
	} else {
		item.Actions = []string{operator.ReopenGate}
	}
	for _, j := range w.order.jeopardies {
		if j.Entity == w.id && j.Type == JeopardySLA {
			item.Since = j.At
		}
	}
	if w.target > 0 {
		item.Deadline, item.HasDeadline = w.target, true
	}
	return item, true
}

// releaseItem is the worklist item of a wave that waits for a person's
// release (WavePlan.Manual) and has none yet.
func (c *COM) releaseItem(w *wave) (operator.Item, bool) {
	o := w.order
	if w.late || w.modify != nil || w.state != lc.Scheduled || w.releasedBy != "" || !o.quote.req.manual(w.name) {
		return operator.Item{}, false
	}
	item := operator.Item{ID: w.id, Kind: operator.ReleaseAwaited, Entity: w.id, State: w.state,
		Reason: "waits for a person's release", Since: w.createdAt, Order: o.po.ID, Wave: w.name, System: "COM", Actions: []string{operator.Release}}
	if w.target > 0 {
		item.Deadline, item.HasDeadline = w.target, true
	}
	return item, true
}

// act takes a person's action on an item of COM's worklist: the action
// taken (operator.Done), or an error wrapping operator.ErrUnknownItem or
// operator.ErrNotAllowed, when it changed nothing.
func (c *COM) act(a operator.Action, out *engine.Out) any {
	if d, ok := c.ops.Replayed(a, out); ok {
		if err := d.Answers(a); err != nil {
			return err
		}
		return d
	}
	var item *operator.Item
	for _, it := range c.Worklist() {
		if it.ID == a.Item {
			item = &it
			break
		}
	}
	if item == nil {
		return operator.Unknown(a)
	}
	if err := operator.Check(a, item); err != nil {
		return err
	}
	result := ""
	switch a.Kind {
	case operator.ConfirmCapacity:
		result = c.confirmCapacity(a, item, out)
	case operator.Compensate:
		result = c.giveUp(a, item, out)
	case operator.ReopenGate:
		c.remediate(Remediate{Order: item.Order, Wave: item.Wave}, out)
		result = fmt.Sprintf("%s reopened: its sites are measured again", item.Entity)
	case operator.Release:
		if item.Kind == operator.GateBlocked {
			c.forceGate(c.waveOf(item), a.By, out)
			result = fmt.Sprintf("%s: gate released by %s", item.Entity, a.By)
			break
		}
		c.releaseWave(ReleaseWave{Order: item.Order, Wave: item.Wave, By: a.By}, out)
		result = fmt.Sprintf("%s released by %s: it goes once its gates are open", item.Entity, a.By)
	case operator.CancelWaves:
		reason := "waves cancelled by " + a.By + " after " + c.waveOf(item).blocked
		if a.Note != "" {
			reason += ": " + a.Note
		}
		c.cancelWaiting(c.waveOf(item), reason, out)
		result = fmt.Sprintf("%s and the waves behind it cancelled by %s", item.Entity, a.By)
	case operator.Assign:
		result = "assigned to " + a.Assignee
	case operator.Note:
		result = "noted"
	}
	return c.ops.Take(a, result, out)
}

// waveOf is the wave a worklist item of a wave is about.
func (c *COM) waveOf(item *operator.Item) *wave {
	return c.orderBy[item.Order].waveNamed(item.Wave)
}

// confirmCapacity takes a person's word that the capacity a planning task
// asked for is built: network planning is told what was built (the
// action's characteristics, or where the site is served), and its answer
// fulfils the task and revalidates the site (planned), which then resumes
// in a late wave.
func (c *COM) confirmCapacity(a operator.Action, item *operator.Item, out *engine.Out) string {
	o := c.orderBy[item.Order]
	i := slices.IndexFunc(o.tasks, func(t *task) bool { return t != nil && t.id == item.ID })
	n := o.tasks[i].n
	it := &o.po.Items[i]
	c.call(out, port.Request{Key: c.strs.Join(item.ID, "/expand/", fmt.Sprint(c.ops.Taken+1)), System: port.Planning, Op: port.Expand,
		Item: item.ID, Customer: o.quote.req.Customer.ID, Site: it.Place.ID, Place: it.Place, Characteristics: a.Characteristics},
		then{Do: confirmed, ID: o.po.ID, Item: i, Task: n})
	return fmt.Sprintf("capacity for %s confirmed by %s: network planning is told what was built; once it answers, %s is fulfilled and the site revalidated", item.Site, a.By, item.ID)
}

// giveUp fails a site held for capacity: its planning task is
// cancelled, nothing of it reached SOM or holds capacity, and the order
// goes on without it (it ends partial).
func (c *COM) giveUp(a operator.Action, item *operator.Item, out *engine.Out) string {
	o := c.orderBy[item.Order]
	i := slices.IndexFunc(o.tasks, func(t *task) bool { return t != nil && t.id == item.ID })
	it, t := &o.po.Items[i], o.tasks[i]
	reason := "site given up by " + a.By
	if a.Note != "" {
		reason += ": " + a.Note
	}
	out.Fire(c.machines, lc.Task, t.id, t.name, &t.state, lc.Cancel, reason, "operator "+a.By)
	it.StateReason = reason
	if out.Fire(c.machines, lc.ProductOrderItem, it.ID, "", &it.State, lc.Fail, reason, "operator "+a.By) {
		c.releaseHold(o, i, out)
		c.itemFinal(o, out)
	}
	c.releaseNext(o, out)
	return fmt.Sprintf("site %s failed, %s cancelled", item.Site, item.ID)
}

// built takes network planning's answer to a person's confirmation: the
// capacity is there (the planning task is fulfilled, the site
// revalidated), or it is not and the task stays open.
func (c *COM) built(o *order, i int, t *task, res *port.Result, out *engine.Out) {
	if o == nil {
		return // it left memory: nothing of it is held
	}
	if res.Err != nil {
		out.Record(store.Record{Kind: "operatorAction", Entity: t.id, System: "Network Planning → COM", To: "refused",
			Event: operator.ConfirmCapacity, Reason: "capacity not built: " + res.Err.Message})
		return
	}
	c.planned(o, i, t, out)
}

// Actions lists the actions taken on COM's worklist, in order.
func (c *COM) Actions() []operator.Done { return c.ops.Done }

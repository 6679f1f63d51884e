package com

import (
	"fmt"
	"slices"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// A gate that can no longer open by itself: the waves it waits for ended
// without meeting it (a pilot whose every site failed and was
// compensated, a share of sites no longer within reach). The order does
// not hang on it: the wave goes on the worklist (kind gateBlocked) with
// a jeopardy, and people decide, by the deadline of the catalog's gate
// policy, to release the gate all the same or to cancel the waves still
// waiting behind it. With no decision by then, COM cancels them: the
// sites in service stay, those never started are cancelled, and the
// order ends partial, or failed when no site is in service.

// JeopardyGate is the jeopardy raised on a wave whose gate can no longer
// open by itself.
const JeopardyGate = "gateBlocked"

// decisionDue is COM's own timer: the end of people's time to decide on
// the blocked gate of the wave with handle Wave, blocked at Since.
type decisionDue struct {
	Wave  int
	Since time.Duration
}

// watchGates finds the scheduled waves of o whose gates can no longer
// open by themselves, puts them before people and sets their decision
// deadline.
func (c *COM) watchGates(o *order, out *engine.Out) {
	for k, w := range o.waves {
		if w.state != lc.Scheduled || w.blocked != "" || w.forcedBy != "" || w.modify != nil {
			continue
		}
		why := c.gateDead(o, k)
		if why == "" {
			continue
		}
		decide := c.cfg.Catalog.GateDecision()
		w.blocked, w.blockedAt = why, out.Now()
		c.jeopardy(o, w.id, JeopardyGate, fmt.Sprintf("%s waits behind a gate that can no longer open (%s): release the gate or cancel the waves still waiting by %s",
			w.soName, why, tmf.FormatOffset(out.Now()+decide)), out)
		out.Send(engine.COM, decide, decisionDue{Wave: w.handle, Since: out.Now()})
	}
}

// gateDead says which gate of wave k of o can no longer open, or "": one
// on a wave that ended without meeting it.
func (c *COM) gateDead(o *order, k int) string {
	_, gates := c.gatesOf(o, k)
	for _, g := range gates {
		p := o.waveNamed(g.Wave)
		if p == nil || !p.ended() {
			continue
		}
		if _, ok := gateMet(g, p); !ok {
			return fmt.Sprintf("%s ended %s with %d of %d sites in service", p.soName, p.state, p.active, len(p.items))
		}
	}
	return ""
}

// ended tells whether the wave is final.
func (w *wave) ended() bool {
	switch w.state {
	case lc.Completed, lc.Partial, lc.Failed, lc.Cancelled:
		return true
	}
	return false
}

// blockedItem is the worklist item of a wave whose gate can no longer
// open by itself, while people may still decide.
func (c *COM) blockedItem(w *wave) (operator.Item, bool) {
	if w.state != lc.Scheduled || w.blocked == "" || w.forcedBy != "" {
		return operator.Item{}, false
	}
	return operator.Item{ID: w.id, Kind: operator.GateBlocked, Entity: w.id, State: w.state,
		Reason: "gate can no longer open: " + w.blocked, Since: w.blockedAt, Order: w.order.po.ID, Wave: w.name, System: "COM",
		Deadline: w.blockedAt + c.cfg.Catalog.GateDecision(), HasDeadline: true,
		Actions: []string{operator.Release, operator.CancelWaves}}, true
}

// forceGate takes a person's release of a blocked gate: the wave goes
// (once its own manual release, if any, is no longer needed: the person
// released it too).
func (c *COM) forceGate(w *wave, by string, out *engine.Out) {
	w.forcedBy = by
	out.Record(store.Record{Kind: "release", Entity: w.id, Name: w.soName, System: "COM", To: ReleaseApproved,
		Event: "release", Reason: "gate released by " + by + " after " + w.blocked})
	c.releaseNext(w.order, out)
}

// decided ends people's time to decide on a blocked gate: with no
// decision, the waves still waiting behind it are cancelled.
func (c *COM) decided(m decisionDue, out *engine.Out) {
	w := c.waves[m.Wave]
	if w == nil || w.state != lc.Scheduled || w.blocked == "" || w.forcedBy != "" || w.blockedAt != m.Since {
		return // decided already, or it left memory
	}
	c.cancelWaiting(w, "no decision on the blocked gate by its deadline: "+w.blocked, out)
}

// cancelWaiting cancels wave w, blocked, and every scheduled wave that
// waits behind it, last first (a cancelled wave would open the gates of
// those behind it): their sites never started, and the order ends with
// the sites it has.
func (c *COM) cancelWaiting(w *wave, reason string, out *engine.Out) {
	o := w.order
	doomed := map[*wave]bool{w: true}
	for k, ow := range o.waves {
		if ow.state != lc.Scheduled || ow.modify != nil || doomed[ow] {
			continue
		}
		_, gates := c.gatesOf(o, k)
		for _, g := range gates {
			if p := o.waveNamed(g.Wave); p != nil && doomed[p] {
				doomed[ow] = true
			}
		}
	}
	// A site held for capacity outside the doomed waves would join a late
	// wave behind them once its capacity came: it never started either.
	for i := range o.po.Items {
		if o.po.Items[i].State == lc.Held && (o.waveOf[i] == nil || o.waveOf[i].state == lc.Scheduled && !doomed[o.waveOf[i]]) {
			c.cancelItem(o, i, reason, out)
		}
	}
	for k := len(o.waves) - 1; k >= 0; k-- {
		if ow := o.waves[k]; doomed[ow] && ow.state == lc.Scheduled {
			for _, i := range slices.Clone(ow.items) {
				c.cancelItem(o, i, reason, out)
			}
		}
	}
}

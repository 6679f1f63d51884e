package com

import (
	"errors"
	"fmt"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/port"
)

// Review is a person's decision on the approval stage a quote waits for,
// when reviews are manual (Config.ManualReview): the stage approved or
// rejected, by whom and why.
type Review struct {
	Quote    string
	Stage    string
	Approved bool
	By       string
	Reason   string
}

// ErrNotAwaited is the error of a review of a stage the quote does not
// wait for.
var ErrNotAwaited = errors.New("not the stage awaiting review")

// review hands a decision to the stage waiting for it.
func (c *COM) review(m Review, _ *engine.Out) error {
	q := c.quoteBy[m.Quote]
	if q == nil {
		return fmt.Errorf("quote %q: no such quote", m.Quote)
	}
	decide, ok := c.pending[reviewKey(q.id, m.Stage)]
	if !ok {
		waiting := "no stage"
		if q.approval != nil && q.stage < len(Stages) && c.pending[reviewKey(q.id, Stages[q.stage])] != nil {
			waiting = "its " + Stages[q.stage] + " review"
		}
		return fmt.Errorf("quote %s (%s) awaits %s, not a %s review: %w", q.id, q.state, waiting, m.Stage, ErrNotAwaited)
	}
	delete(c.pending, reviewKey(q.id, m.Stage))
	for i := range q.approval {
		if q.approval[i].Stage == m.Stage {
			q.approval[i].By = m.By
		}
	}
	reason := m.Reason
	if m.By != "" {
		reason = fmt.Sprintf("%s (%s)", reason, m.By)
		if m.Reason == "" {
			reason = "by " + m.By
		}
	}
	decide(&port.Result{Key: reviewKey(q.id, m.Stage), Final: true, Approved: m.Approved, Reason: reason})
	return nil
}

package com

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ordertwin/ordertwin/core/approval"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/port"
)

// Review is a person's decision on the approval stage a quote waits for,
// when reviews are manual (Config.ManualReview): the stage approved or
// rejected, by whom and why. Signed is the decision as an event signed
// by the approver's key (core/approval): its quote, stage, decision and
// reason must be the review's, its digest the quote's content.
type Review struct {
	Quote    string
	Stage    string
	Approved bool
	By       string
	Reason   string
	Signed   string
}

// ErrNotAwaited is the error of a review of a stage the quote does not
// wait for.
var ErrNotAwaited = errors.New("not the stage awaiting review")

// ErrNotApprover is the error of a decision signed by a key that is not
// one of the stage's approvers (Config.Approvers).
var ErrNotApprover = errors.New("not an approver of the stage")

// ErrStale is the error of a decision signed over other content than the
// quote's: the approver saw another quote.
var ErrStale = errors.New("signed for other content than the quote's")

// review hands a decision to the stage waiting for it.
func (c *COM) review(m Review, out *engine.Out) error {
	q := c.quoteBy[m.Quote]
	if q == nil {
		if v, ok := c.shelvedQuote(m.Quote, out); ok {
			return fmt.Errorf("quote %s (%s) awaits no review: %w", v.ID, v.State, ErrNotAwaited) // it left memory decided
		}
		return fmt.Errorf("quote %q: no such quote", m.Quote)
	}
	decide, ok := c.pending[c.reviewKey(q.id, m.Stage)]
	if !ok {
		waiting := "no stage"
		if q.approval != nil && q.stage < len(Stages) && c.isPending(c.reviewKey(q.id, Stages[q.stage])) {
			waiting = "its " + Stages[q.stage] + " review"
		}
		return fmt.Errorf("quote %s (%s) awaits %s, not a %s review: %w", q.id, q.state, waiting, m.Stage, ErrNotAwaited)
	}
	var signer string
	if !c.cfg.Unsigned {
		var err error
		if signer, err = c.checkSigned(q, m); err != nil {
			return err
		}
	}
	delete(c.pending, c.reviewKey(q.id, m.Stage))
	a := &q.approval[q.stage]
	a.By, a.Signed, a.Approver = m.By, m.Signed, signer
	reason := m.Reason
	if m.By != "" {
		reason = fmt.Sprintf("%s (%s)", reason, m.By)
		if m.Reason == "" {
			reason = "by " + m.By
		}
	}
	c.answer(decide, &port.Result{Key: c.reviewKey(q.id, m.Stage), Final: true, Approved: m.Approved, Reason: reason}, out)
	return nil
}

// checkSigned checks a review's signed decision against the review and
// the quote, and returns the signer's public key.
func (c *COM) checkSigned(q *quote, m Review) (string, error) {
	if m.Signed == "" {
		return "", fmt.Errorf("quote %s: the %s decision is not signed: %w", q.id, m.Stage, approval.ErrSignature)
	}
	d, signer, err := approval.Open(m.Signed)
	if err != nil {
		return "", fmt.Errorf("quote %s, %s decision: %w", q.id, m.Stage, err)
	}
	switch {
	case d.Quote != q.id || d.Stage != m.Stage || d.Approved != m.Approved || d.Reason != m.Reason:
		return "", fmt.Errorf("quote %s: the signed decision (%s %s %s: %q) is not the review's (%s %s %s: %q): %w",
			q.id, d.Quote, d.Stage, d.State(), d.Reason, q.id, m.Stage, approval.Decision{Approved: m.Approved}.State(), m.Reason, approval.ErrSignature)
	case d.Digest != q.digest:
		return "", fmt.Errorf("quote %s: the %s decision is signed over digest %s, the quote's content is %s: %w", q.id, m.Stage, d.Digest, q.digest, ErrStale)
	}
	if keys := c.cfg.Approvers[m.Stage]; len(keys) > 0 && !slices.Contains(keys, signer) {
		return "", fmt.Errorf("quote %s: key %s: %w %s", q.id, signer, ErrNotApprover, m.Stage)
	}
	return signer, nil
}

package com

import (
	"slices"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// QuoteView is a quote as reports show it.
type QuoteView struct {
	ID        string
	State     string
	Reason    string
	Customer  Customer
	Offering  string
	Tier      string
	TCV       float64
	Monthly   float64
	ListPrice float64
	Currency  string
	Approvals []Approval
	// Digest is the hash of the quote's content that approval decisions
	// are signed over (see Digest).
	Digest string
	// KeyDigest is the Digest of the request that placed it with an
	// idempotency key, "" without one.
	KeyDigest string
	// Created is when the quote was submitted.
	Created time.Duration
	// Request is what was asked for: sites, waves, speed, term, rate card.
	Request QuoteRequest
	// Sites[i] is the feasibility of Request.Sites[i]: its qualification,
	// or why it failed (SiteError), once answered.
	Sites     []*port.QualificationResult
	SiteError []string
}

// Quotes lists the quotes in the order they were submitted.
func (c *COM) Quotes() []QuoteView {
	out := make([]QuoteView, 0, c.quotes.Len())
	for q := range c.quotes.All() {
		out = append(out, q.view())
	}
	return out
}

// Quote returns the quote with id, and whether there is one.
func (c *COM) Quote(id string) (QuoteView, bool) {
	q := c.quoteBy[id]
	if q == nil {
		return QuoteView{}, false
	}
	return q.view(), true
}

// view copies what a report or the API shows of a quote.
func (q *quote) view() QuoteView {
	v := QuoteView{ID: q.id, State: q.state, Reason: q.reason, Customer: q.req.Customer, Offering: q.req.Offering,
		Tier: q.req.Tier, TCV: q.tcv, Monthly: q.monthly, Approvals: slices.Clone(q.approval), Digest: q.digest, KeyDigest: q.keyDigest, Request: q.req, Created: q.created}
	v.Request.Sites, v.Request.Waves = slices.Clone(q.req.Sites), slices.Clone(q.req.Waves)
	if q.offering != nil {
		v.Currency, v.ListPrice = q.offering.Currency, q.offering.ListPrice
	}
	for _, ql := range q.quals {
		if ql != nil {
			c := *ql
			c.Tiers = slices.Clone(ql.Tiers)
			ql = &c
		}
		v.Sites = append(v.Sites, ql)
	}
	v.SiteError = slices.Clone(q.qualErr)
	return v
}

// Order returns the product order with id, a rollout or a change order,
// or nil. The order is COM's own: read it on the engine's goroutine.
func (c *COM) Order(id string) *tmf.ProductOrder {
	if o := c.orderBy[id]; o != nil {
		return &o.po
	}
	for _, m := range c.modifies {
		if m.po.ID == id {
			return &m.po
		}
	}
	return nil
}

// Rollouts lists the product orders placed from quotes, in the order they
// were placed: Orders without the change orders.
func (c *COM) Rollouts() []*tmf.ProductOrder {
	out := make([]*tmf.ProductOrder, 0, c.orders.Len())
	for o := range c.orders.All() {
		out = append(out, &o.po)
	}
	return out
}

// IsChangeOrder says whether po is a change COM made to an order placed
// before it (a modify or a disconnect order, PO-…-M1, PO-…-D2), not an
// order of its own.
func IsChangeOrder(po *tmf.ProductOrder) bool {
	return po.Category == modifyCategory || po.Category == disconnectCategory
}

// The categories of the change orders.
const (
	modifyCategory     = "modify"
	disconnectCategory = "disconnect"
)

// Orders lists the product orders in the order they were placed, the
// change orders (modify, disconnect) after the others.
func (c *COM) Orders() []*tmf.ProductOrder {
	out := make([]*tmf.ProductOrder, 0, c.orders.Len()+len(c.modifies))
	for o := range c.orders.All() {
		out = append(out, &o.po)
	}
	for _, m := range c.modifies {
		out = append(out, &m.po)
	}
	return out
}

// WaveView is a rollout wave as reports show it.
type WaveView struct {
	ID             string
	Order          string
	Name           string
	ServiceOrder   string // SO-PILOT
	ServiceOrderID string // SO-001, once SOM took it
	ExternalID     string
	State          string
	Target         time.Duration
	Sites          []string
	SubmittedAt    time.Duration
	CompletedAt    time.Duration
}

// Waves lists every wave of every order in memory.
func (c *COM) Waves() []WaveView {
	var out []WaveView
	for o := range c.orders.All() {
		out = o.appendWaves(out)
	}
	return out
}

// Plan is the rollout plan of the product order with id, as it stands:
// each wave with its service order, state, sites and dates, from the
// order's planning on; nil for an order without waves (a change order, or
// one not yet planned) or not in memory.
func (c *COM) Plan(id string) []tmf.PlannedWave {
	o := c.orderBy[id]
	if o == nil {
		return nil
	}
	return plannedWaves(o.appendWaves(nil))
}

// plannedWaves is the plan the waves make.
func plannedWaves(waves []WaveView) []tmf.PlannedWave {
	if len(waves) == 0 {
		return nil
	}
	plan := make([]tmf.PlannedWave, len(waves))
	for k, w := range waves {
		plan[k] = tmf.PlannedWave{Name: w.Name, ServiceOrder: w.ServiceOrder, ServiceOrderID: w.ServiceOrderID, State: w.State,
			Sites: w.Sites, Target: w.Target, ReleasedAt: w.SubmittedAt, CompletedAt: w.CompletedAt}
	}
	return plan
}

// appendWaves appends the views of the order's waves to out.
// Those that came back from the shelf ended come first.
func (o *order) appendWaves(out []WaveView) []WaveView {
	out = append(out, o.ended...)
	for _, w := range o.waves {
		v := WaveView{ID: w.id, Order: o.po.ID, Name: w.name, ServiceOrder: w.soName, ServiceOrderID: w.soID,
			ExternalID: o.po.ID + "/" + w.soName, State: w.state, Target: w.target,
			SubmittedAt: w.submittedAt, CompletedAt: w.completedAt}
		for _, i := range w.items {
			v.Sites = append(v.Sites, o.po.Items[i].Place.ID)
		}
		out = append(out, v)
	}
	return out
}

package com

import (
	"time"

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
}

// Quotes lists the quotes in the order they were submitted.
func (c *COM) Quotes() []QuoteView {
	out := make([]QuoteView, 0, len(c.quotes))
	for _, q := range c.quotes {
		v := QuoteView{ID: q.id, State: q.state, Reason: q.reason, Customer: q.req.Customer, Offering: q.req.Offering,
			Tier: q.req.Tier, TCV: q.tcv, Monthly: q.monthly, Approvals: q.approval}
		if q.offering != nil {
			v.Currency, v.ListPrice = q.offering.Currency, q.offering.ListPrice
		}
		out = append(out, v)
	}
	return out
}

// Rollouts lists the product orders placed from quotes, in the order they
// were placed: Orders without the change orders.
func (c *COM) Rollouts() []*tmf.ProductOrder {
	out := make([]*tmf.ProductOrder, len(c.orders))
	for i, o := range c.orders {
		out[i] = &o.po
	}
	return out
}

// Orders lists the product orders in the order they were placed, the
// change orders (modify, disconnect) after the others.
func (c *COM) Orders() []*tmf.ProductOrder {
	out := make([]*tmf.ProductOrder, 0, len(c.orders)+len(c.modifies))
	for _, o := range c.orders {
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

// Waves lists every wave of every order.
func (c *COM) Waves() []WaveView {
	var out []WaveView
	for _, o := range c.orders {
		for _, w := range o.waves {
			v := WaveView{ID: w.id, Order: o.po.ID, Name: w.name, ServiceOrder: w.soName, ServiceOrderID: w.soID,
				ExternalID: o.po.ID + "/" + w.soName, State: w.state, Target: w.target,
				SubmittedAt: w.submittedAt, CompletedAt: w.completedAt}
			for _, i := range w.items {
				v.Sites = append(v.Sites, o.po.Items[i].Place.ID)
			}
			out = append(out, v)
		}
	}
	return out
}

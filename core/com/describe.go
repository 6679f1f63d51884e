package com

import (
	"fmt"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store"
)

// Describe changes what a product order says of itself (TMF622 PATCH of
// description): a change of no consequence to its fulfilment, refused once
// the order is final.
type Describe struct {
	Order       string
	Description string
}

// ErrFinal is the error of a change to an order that has ended.
var ErrFinal = fmt.Errorf("the order has ended and no longer changes")

func (c *COM) describe(m Describe, out *engine.Out) error {
	o := c.orderBy[m.Order]
	if o == nil {
		if c.cfg.Retention > 0 {
			if body, ok := out.Unshelve(ShelfKind, m.Order); ok {
				if po, err := Shelved(body); err == nil {
					return fmt.Errorf("product order %s is %s: %w", po.ID, po.State, ErrFinal) // it left memory ended
				}
			}
		}
		return fmt.Errorf("product order %q: no such order", m.Order)
	}
	if lc.IsFinal(lc.ProductOrder, o.po.State) {
		return fmt.Errorf("product order %s is %s: %w", o.po.ID, o.po.State, ErrFinal)
	}
	o.po.Description = m.Description
	out.Record(store.Record{Kind: "amendment", Entity: o.po.ID, System: "COM", To: "described", Event: "describe", Reason: m.Description})
	return nil
}

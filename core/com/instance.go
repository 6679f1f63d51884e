package com

import (
	"fmt"
	"strings"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// A product instance's id names its customer and site (the offering's
// instanceId: PI-EFCG-1102-MELB), and so do the ids of the services and
// resources made for it: a customer's site is in service with one product
// of an offering at a time. A site already in service is changed with a
// modify order, not ordered again: two products of one id would be one in
// the inventory, and the one that left memory first would take the
// other's place on the shelf. So an add, of an order or of a quote, that
// would make a product whose id is taken is refused, naming the product:
// the order is rejected at validation, before its credit check; the quote
// at its technical review. An id is taken by a product not terminated, in
// memory or on the store's shelf (read through the engine's logged shelf
// reads, so a replay refuses as the run did), or by an item of an order in
// memory that is making it. A site whose product was terminated may be
// ordered again: its new product takes the id, in the inventory's place
// of the terminated one.

// claim is the item of an order in memory that makes the product of an id.
type claim struct {
	o *order
	i int
}

// making is the item making the product of id, if one still may: its
// order in memory, the item ended neither with a product (then the
// product, in memory, tells) nor without one. The claims are worked out
// from the orders in memory at first use (after a restore, too), then
// kept as orders pass validation; a stale one is overwritten or ignored.
func (c *COM) making(id string) (claim, bool) {
	k, ok := c.claimed()[id]
	return k, ok && c.orderBy[k.o.po.ID] == k.o && k.live()
}

// claimed are the claims by product id, worked out from the orders in
// memory when there are none yet: from those validated (their sites
// known), so an order being validated works them out before its own
// sites are known (validate).
func (c *COM) claimed() map[string]claim {
	if c.claims != nil {
		return c.claims
	}
	c.claims = map[string]claim{}
	for _, o := range c.orders {
		if o.quote == nil || len(o.sites) != len(o.po.Items) {
			continue // not validated: its own validation checks it
		}
		for i := range o.po.Items {
			if k := (claim{o, i}); k.live() {
				if id, err := c.productID(o, i); err == nil {
					c.claims[id] = k
				}
			}
		}
	}
	return c.claims
}

// live tells whether the claim's item may still make its product.
func (k claim) live() bool {
	it := &k.o.po.Items[k.i]
	return it.ProductInstance == nil && !lc.IsFinal(lc.ProductOrderItem, it.State)
}

// claimProducts marks o's items as making their products.
func (c *COM) claimProducts(o *order) {
	claims := c.claimed()
	for i := range o.po.Items {
		if id, err := c.productID(o, i); err == nil {
			claims[id] = claim{o, i}
		}
	}
}

// unclaim lets the claims of an order leaving memory go.
func (c *COM) unclaim(o *order) {
	for id, k := range c.claims {
		if k.o == o {
			delete(c.claims, id)
		}
	}
}

// productID is the id of the product instance item i of o becomes.
func (c *COM) productID(o *order, i int) (string, error) {
	if i < len(o.instances) && o.instances[i] != "" {
		return o.instances[i], nil
	}
	return catalog.Expand(o.offering(i).InstanceID, c.itemVars(o, i))
}

// taken says who has the product id a new product of site would take
// (self, the order asking, nil for a quote): a product not terminated, or
// an order in memory making it; "" when it is free.
func (c *COM) taken(id, site string, self *order, out *engine.Out) string {
	inService := func(status, by string) string {
		if by != "" {
			by = ", of order " + by
		}
		return fmt.Sprintf("site %s is in service with product %s (%s%s): change it with a modify order (action modify, product.id %s), not a new one",
			site, id, status, by, id)
	}
	if p := c.Products.Get(id); p != nil {
		if p.Status != terminated {
			return inService(p.Status, p.ProductOrder)
		}
	} else if c.cfg.Retention > 0 && c.retired > 0 { // else no product left memory
		if body, ok := out.Unshelve(ProductShelfKind, id); ok {
			p, err := ShelvedProduct(body)
			if err != nil {
				return fmt.Sprintf("site %s: product %s on the store's shelf cannot be read: %v", site, id, err)
			}
			if p.Status != terminated {
				return inService(p.Status, p.ProductOrder)
			}
		}
	}
	if k, ok := c.making(id); ok && k.o != self {
		it := &k.o.po.Items[k.i]
		return fmt.Sprintf("site %s is being ordered already: order %s (item %s, %s) is making product %s; once it is active, change it with a modify order",
			site, k.o.po.ID, it.ID, it.State, id)
	}
	return ""
}

// terminated is the status of a product a disconnect ended.
const terminated = "terminated"

// takenByOrder says, for each item of o, who has the product it would
// make; "" when every item's is free.
func (c *COM) takenByOrder(o *order, out *engine.Out) string {
	var why []string
	for i := range o.po.Items {
		id, err := c.productID(o, i)
		if err != nil {
			continue // decomposition says what the catalog cannot fill in
		}
		if w := c.taken(id, o.po.Items[i].Place.ID, o, out); w != "" {
			why = append(why, w)
		}
	}
	return strings.Join(why, "; ")
}

// takenByQuote says, for the first site of q whose product's id is
// taken, who has it; "" when none is.
func (c *COM) takenByQuote(q *quote, out *engine.Out) string {
	for i, s := range q.req.Sites {
		v := c.siteVarsOf(q, i)
		id, err := catalog.Expand(q.offeringOf(i).InstanceID, &v)
		if err != nil {
			continue
		}
		if w := c.taken(id, s.Code, nil, out); w != "" {
			return w
		}
	}
	return ""
}

// superseded tells whether p, a product of an order taken back from the
// shelf, has had its place taken by a later order's product of its id
// (its site ordered again once p was terminated): the later one is in
// memory, or on the shelf. The order's item keeps naming the id.
func (c *COM) superseded(p *tmf.Product, out *engine.Out) bool {
	if now := c.Products.Get(p.ID); now != nil {
		return now.ProductOrder != p.ProductOrder
	}
	if p.Status != terminated {
		return false // an id taken while not terminated is given to no other
	}
	body, ok := out.Unshelve(ProductShelfKind, p.ID)
	if !ok {
		return false
	}
	now, err := ShelvedProduct(body)
	return err == nil && now.ProductOrder != p.ProductOrder
}

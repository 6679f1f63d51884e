package com

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ordertwin/ordertwin/core/catalog"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/slab"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// A product instance's id names its customer and site (the offering's
// instanceId: PI-EFCG-1102-MELB), and so do the ids of the services and
// resources made for it: a customer's site is in service with one product
// of an offering at a time. A site already in service is changed with a
// modify order, not ordered again: two products of one id would be one in
// the inventory, and the order that left memory first would take the
// other's place on the shelf. So an add, of an order or of a quote, that
// would make a product whose id is taken is refused, naming the product:
// the order is rejected at validation, before its credit check; the quote
// at its technical review; a site added to an order is refused. An id is
// taken by a product not terminated, its order in memory or not, or by an
// item of an order still making it. A site whose product was terminated
// may be ordered again: its new product takes the id, in the inventory's
// place of the terminated one.
//
// COM knows which ids are taken from its own memory, never from the
// store: its index of the sites in service (sites) is kept by its own
// handling of each input, as products come into service and are
// terminated and as items end without being built, so a replay keeps it
// as the run did; it stays when the orders leave memory, and a snapshot
// keeps it.

// sites are the product ids taken.
type sites struct {
	// inService holds the id of each product not terminated, its order
	// in memory or not: what remembers a product once its order has left
	// memory, and all it remembers. A site costs the id's bytes (18 in
	// the population's PI-EFCG-00012-S01), cut from keys, COM's room for
	// them alone, so that an id held for years keeps no buffer of other,
	// short-lived strings alive, nor takes an allocation of its own; its
	// string's header, 16; and the map's room for that, as full as the
	// map happens to be: 53 to 74 bytes a site in all, measured from
	// 100,000 to a million sites.
	inService map[string]struct{}
	keys      slab.Strings
	// making maps the id of each product an item of an order in memory is
	// making (its id in order.instances, from the order's validation) to
	// that item, until the item ends, built or not. It is worked out from
	// the orders in memory on Restore.
	making map[string]claim
	// scratch is room for an id looked up (taken).
	scratch []byte
	// fromShelf marks an index restored from an earlier build's snapshot
	// taken once orders had left memory: the products on the shelf are
	// still to be added (RestoreShelf).
	fromShelf bool
}

// claim is the item of an order in memory that makes the product of an id.
type claim struct {
	o *order
	i int
}

func newSites() *sites {
	return &sites{inService: map[string]struct{}{}, making: map[string]claim{}}
}

// terminated is the status of a product a disconnect ended.
const terminated = "terminated"

// takenBy says who has id, the product a new product of site would be,
// for an order asking (self; nil for a quote): a product not terminated,
// or another order's item making it; "" when it is free.
func (c *COM) takenBy(id, site string, self *order) string {
	if _, ok := c.sites.inService[id]; ok {
		return fmt.Sprintf("site %s is in service with product %s: change it with a modify order (action modify, product.id %s), not a new one",
			site, id, id)
	}
	if k, ok := c.sites.making[id]; ok && k.o != self {
		it := &k.o.po.Items[k.i]
		return fmt.Sprintf("site %s is being ordered already: order %s (item %s, %s) is making product %s; once it is active, change it with a modify order",
			site, k.o.po.ID, it.ID, it.State, id)
	}
	return ""
}

// takenByOrder says, for each item of o, who has the product id it would
// take, joined; "" when every item's is free. ids are the items' product
// ids.
func (c *COM) takenByOrder(o *order, ids []string) string {
	var why []string
	for i, id := range ids {
		if w := c.takenBy(id, o.po.Items[i].Place.ID, o); w != "" {
			why = append(why, w)
		}
	}
	return strings.Join(why, "; ")
}

// takenByQuote says, for the first site of q whose product id is taken,
// who has it; "" when none is. The ids are worked out in room of COM's
// own (its variables too), and looked up without a string of their own.
func (c *COM) takenByQuote(q *quote) string {
	for i, s := range q.req.Sites {
		c.vars = c.siteVarsOf(q, i)
		b, err := catalog.AppendExpand(c.sites.scratch[:0], q.offeringOf(i).InstanceID, &c.vars)
		c.sites.scratch = b
		if err != nil {
			continue // the order's decomposition says what the catalog cannot fill in
		}
		if _, in := c.sites.inService[string(b)]; !in {
			if _, making := c.sites.making[string(b)]; !making {
				continue
			}
		}
		return c.takenBy(string(b), s.Code, nil)
	}
	return ""
}

// productIDs are the product ids the items of o, validated, would take,
// made by strs (strings of their own when nil); an item the catalog
// cannot name has "" (its decomposition says why).
func (c *COM) productIDs(o *order, strs *slab.Strings) []string {
	ids := make([]string, len(o.po.Items))
	for i := range o.po.Items {
		ids[i], _ = catalog.ExpandIn(strs, o.offering(i).InstanceID, c.itemVars(o, i))
	}
	return ids
}

// claim marks item i of o as making the product of id.
func (c *COM) claim(o *order, i int, id string) {
	if id != "" {
		c.sites.making[id] = claim{o, i}
	}
}

// unclaim lets the id item i of o was making go: the item ended, built
// (its product is in service) or not.
func (c *COM) unclaim(o *order, i int) {
	if i >= len(o.instances) {
		return
	}
	if id := o.instances[i]; id != "" && c.sites.making[id] == (claim{o, i}) {
		delete(c.sites.making, id)
	}
}

// reclaim moves the claim of item i of o to id, its product's id as its
// decomposition works it out (the same, unless a change of the item
// changed what the offering's instanceId names).
func (c *COM) reclaim(o *order, i int, id string) {
	if o.instances[i] == id {
		return
	}
	c.unclaim(o, i)
	o.instances[i] = id
	c.claim(o, i, id)
}

// inService marks id, a product's, as in service.
func (c *COM) inService(id string) {
	if _, ok := c.sites.inService[id]; !ok {
		c.sites.inService[c.sites.keys.Join(id)] = struct{}{}
	}
}

// outOfService lets the id of p, terminated, go: its site may be ordered
// again. No other product can have taken the id while p was in service.
func (c *COM) outOfService(p *tmf.Product) { delete(c.sites.inService, p.ID) }

// superseded tells whether p, a product of an order taken back from the
// shelf, has had its place taken by a later order's product of its id
// (its site ordered again once p was terminated): the later one is in
// memory, or in service (p terminated, the id is not p's). The order's
// item keeps naming the id.
func (c *COM) superseded(p *tmf.Product) bool {
	if now := c.Products.Get(p.ID); now != nil {
		return now.ProductOrder != p.ProductOrder
	}
	_, taken := c.sites.inService[p.ID]
	return taken && p.Status == terminated
}

// siteVarsOf are the catalog variables of quote q's site si, as quoted.
func (c *COM) siteVarsOf(q *quote, si int) siteVars {
	v := siteVars{q: q, i: si}
	if s := q.req.Sites[si]; s.Tier != "" || s.Speed != "" {
		v.over, v.speed = c.tierVarsOf(c.cfg.Catalog.Tiers[q.req.SiteTier(si)]), q.req.SiteSpeed(si)
	}
	return v
}

// saveSites is the sites in service as a snapshot keeps them: their
// products' ids, sorted.
func (c *COM) saveSites() []string { return slices.Sorted(maps.Keys(c.sites.inService)) }

// restoreSites sets the sites in service as a snapshot kept them (indexed:
// a snapshot of this build) or, from an earlier build's, which kept no
// index, as the products in memory say, and, when orders had left memory,
// the products on the shelf (RestoreShelf, once COM is restored). Then
// the claims of the items in flight are worked out from the orders in
// memory.
func (c *COM) restoreSites(st *comState) error {
	if st.SitesIndexed {
		for _, id := range st.InService {
			c.inService(id)
		}
	} else {
		for _, p := range c.Products.All() {
			if p.Status != terminated {
				c.inService(p.ID)
			}
		}
		c.sites.fromShelf = c.retired > 0
	}
	for o := range c.orders.All() {
		if o.quote == nil || len(o.sites) != len(o.po.Items) || len(o.po.Items) == 0 {
			continue // not validated: its validation claims its ids
		}
		var ids []string
		for i := range o.po.Items {
			if lc.IsFinal(lc.ProductOrderItem, o.po.Items[i].State) {
				continue
			}
			if len(o.instances) < len(o.po.Items) {
				o.instances = append(o.instances, make([]string, len(o.po.Items)-len(o.instances))...)
			}
			if o.instances[i] == "" && !st.SitesIndexed {
				// An earlier build named an item's product when it
				// decomposed the item: one validated and not yet
				// decomposed is named now.
				if ids == nil {
					ids = c.productIDs(o, nil) // COM is copied when restored: no slab yet
				}
				o.instances[i] = ids[i]
			}
			c.claim(o, i, o.instances[i])
		}
	}
	return nil
}

// shelfPage is how many products RestoreShelf reads at a time.
const shelfPage = 4096

// RestoreShelf implements engine.ShelfRestorer: a COM restored from an
// earlier build's snapshot taken once orders had left memory adds to its
// index the products on the shelf that existed then (their creation
// number at most the snapshot's product count) and are not terminated,
// reading the shelf a page at a time. It runs once, at the first restart
// of a store an earlier build wrote; a snapshot after it keeps the index.
//
// The shelf may have moved on since the snapshot's point: a product
// terminated after it reads terminated, and is left out, as that build,
// which refused no site in service, would have had it while the journal's
// tail is replayed.
func (c *COM) RestoreShelf(shelf store.Shelf) error {
	if err := c.restoreSitesFromShelf(shelf); err != nil {
		return err
	}
	c.refilterKeys(shelf)
	return nil
}

// restoreSitesFromShelf adds to the sites in service, restored from an
// earlier build's snapshot, the products on the shelf (RestoreShelf).
func (c *COM) restoreSitesFromShelf(shelf store.Shelf) error {
	if !c.sites.fromShelf {
		return nil
	}
	if shelf == nil {
		return fmt.Errorf("the snapshot was saved by a build that kept no index of the sites in service, and product orders had left memory (%d), "+
			"but the store keeps no shelf to read their products from; replay the store from T+0, or serve it with the build that saved it", c.retired)
	}
	made := uint64(c.next[productCount])
	for from := 0; ; from += shelfPage {
		page, err := shelf.ShelvedRange(store.ShelfQuery{Kind: ProductShelfKind, From: from, To: from + shelfPage})
		if err != nil {
			return fmt.Errorf("the products on the shelf: %w", err)
		}
		var ids []string
		for _, r := range page.Refs {
			if r.Ord <= made {
				ids = append(ids, r.ID)
			}
		}
		docs, err := shelf.ShelvedDocs(ProductShelfKind, ids)
		if err != nil {
			return fmt.Errorf("the products on the shelf: %w", err)
		}
		for _, d := range docs {
			p, err := ShelvedProduct(d.Whole())
			if err != nil {
				return fmt.Errorf("%s: %w", d.ID, err)
			}
			if p.Status != terminated {
				c.inService(p.ID)
			}
		}
		if len(page.Refs) < shelfPage {
			break
		}
	}
	c.sites.fromShelf = false
	return nil
}

// InService counts the products not terminated, the sites in service
// (their orders in memory or not). Read it on the engine's goroutine.
func (c *COM) InService() int { return len(c.sites.inService) }

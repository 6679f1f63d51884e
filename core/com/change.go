package com

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Change asks COM to change a site's speed or SLA tier mid-rollout (seed:
// "active sites get a modify order, pending sites an amendment"):
//
//   - a site whose wave has not been released (or that is held) is amended
//     in place: its item and its pending service order items change;
//   - a site being provisioned is past the point of no return for an
//     amendment: the change waits until the site is active, then goes as a
//     modify order;
//   - an active site gets a TMF622 modify order, which changes its QoS
//     (a new BNG policy, new SLA thresholds) and its price.
//
// One change is in flight per order at a time; another is refused.
type Change struct {
	Order string // product order id; "" for the only one
	Site  string
	Speed string // new speed, or "" to keep it
	Tier  string // new SLA tier, or "" to keep it
	// Key makes the request idempotent, as OrderRequest.Key.
	Key string
	// ExternalID and Description are what the request calls the modify
	// order it places (TMF622 externalId and description), if anything.
	ExternalID, Description string
}

// itemChange is what a site's item was changed to, and what the request
// that changed it called the modify order (externalID, description: none
// for the quote's own values).
type itemChange struct{ speed, tier, externalID, description string }

// modification is a modify order for an active site.
type modification struct {
	po    tmf.ProductOrder
	base  *order
	item  int
	to    itemChange
	price float64
	// disconnect marks a disconnect order; left counts its service order
	// items not yet final, failed says why one failed.
	disconnect bool
	left       int
	failed     string
	// wave is the order's service order.
	wave *wave
}

// refuser records the refusal of an amendment request (event) about an
// entity.
func (c *COM) refuser(event string, out *engine.Out) func(entity, why string) {
	return func(entity, why string) {
		c.refusal = entity + ": " + why
		out.Record(store.Record{Kind: "amendment", Entity: entity, System: "COM", To: "refused", Event: event, Reason: why})
	}
}

// Changed is COM's reply to a change, or a site added or removed: the
// order that carries it out (New: a modify or disconnect order placed for
// it; else the order changed in place), or why it was refused.
type Changed struct {
	Order   string
	New     bool
	Refused string
	// Replayed marks the answer to a key seen before: the first's.
	Replayed bool
}

// changed runs a change request and says what became of it; a request
// with a key seen before is answered as the first was, and changes
// nothing.
//
// What became of a keyed request is kept with its order (order.keys):
// it leaves memory when the order does, and comes back with it, so that
// COM keeps the keys of the orders in memory only (it kept every key
// ever given: 150,000 in a churn soak of 30,000 orders, 7 MB of its
// snapshot). A keyed request that names no order in memory nor on the
// shelf is answered, not remembered: sent again, it is refused again.
func (c *COM) changed(key, order string, out *engine.Out, act func()) Changed {
	if prev, ok := c.changes[key]; key != "" && ok {
		prev.Replayed = true
		return prev
	}
	if why := c.unshelve(order, out); why != "" {
		return Changed{Refused: order + ": " + why}
	}
	if prev, ok := c.changes[key]; key != "" && ok {
		prev.Replayed = true
		return prev // it came back with its order
	}
	done := c.outcome(order, act)
	if o := c.findOrder(order); key != "" && o != nil {
		c.changes[key] = done
		o.keys = append(o.keys, key)
	}
	return done
}

// KeyedChanges counts the keyed change requests COM remembers in memory:
// those of the orders in memory (what became of the others is on the
// shelf with their orders).
func (c *COM) KeyedChanges() int { return len(c.changes) }

// outcome runs a change request and says what became of it.
func (c *COM) outcome(order string, act func()) Changed {
	before := len(c.modifies)
	c.refusal = ""
	act()
	switch {
	case c.refusal != "":
		return Changed{Refused: c.refusal}
	case len(c.modifies) > before:
		return Changed{Order: c.modifies[len(c.modifies)-1].po.ID, New: true}
	}
	if o := c.findOrder(order); o != nil {
		return Changed{Order: o.po.ID}
	}
	return Changed{}
}

// siteItem finds the item of a site in an order; when there is none, the
// request is refused, saying which is missing.
func (c *COM) siteItem(order, site string, refuse func(entity, why string)) (*order, int) {
	o := c.findOrder(order)
	if o == nil {
		refuse(order, "no such product order")
		return nil, -1
	}
	i := slices.IndexFunc(o.po.Items, func(it tmf.ProductOrderItem) bool { return it.Place.ID == site })
	if i < 0 {
		refuse(o.po.ID, fmt.Sprintf("no site %q in the order", site))
	}
	return o, i
}

// changeable tells whether item i may be changed now, refusing it when not:
// another change of the order is in flight, or the site is disconnected.
func (c *COM) changeable(o *order, i int, refuse func(entity, why string)) bool {
	it := &o.po.Items[i]
	switch {
	case !o.quote.req.ChangesPerSite && len(o.changing) > 0:
		refuse(it.ID, "one change in flight per order: "+o.changing[0]+" is being changed")
		return false
	case o.inFlight(it.Place.ID):
		refuse(it.ID, "one change in flight per site: a change of "+it.Place.ID+" is in flight; send this one when it has ended")
		return false
	case o.removed[i]:
		refuse(it.ID, it.Place.ID+" is disconnected")
		return false
	}
	return true
}

func (c *COM) change(m Change, out *engine.Out) {
	refuse := c.refuser("change", out)
	o, i := c.siteItem(m.Order, m.Site, refuse)
	if i < 0 {
		return
	}
	it := &o.po.Items[i]
	to := c.effective(o, i)
	if m.Speed != "" {
		to.speed = m.Speed
	}
	if m.Tier != "" {
		to.tier = m.Tier
	}
	to.externalID, to.description = m.ExternalID, m.Description
	// What the change asks for is checked first: a speed or tier the
	// offering has not is refused for good, whatever is in flight (it
	// was hidden behind the change in flight, and told only once that
	// ended).
	off := o.offering(i)
	if !slices.Contains(off.Speeds, to.speed) {
		refuse(it.ID, fmt.Sprintf("speed %q is not offered with %s", to.speed, off.ID))
		return
	}
	if _, err := c.cfg.Catalog.Tier(off, to.tier); err != nil {
		refuse(it.ID, err.Error())
		return
	}
	if !c.changeable(o, i, refuse) {
		return
	}
	if now := c.effective(o, i); to.speed == now.speed && to.tier == now.tier {
		// Nothing to change: an amendment would reprice the site from the
		// rate card, and a modify order rebuild what it has.
		refuse(it.ID, fmt.Sprintf("%s already has %s %s: a change must change its speed or its SLA tier", it.Place.ID, to.speed, to.tier))
		return
	}
	what := fmt.Sprintf("%s: %s %s → %s %s", it.Place.ID, c.effective(o, i).speed, c.effective(o, i).tier, to.speed, to.tier)
	w := o.waveOf[i]
	switch {
	case it.State == lc.Completed:
		o.startChange(it.Place.ID)
		c.modify(o, i, to, out)
	case it.State == lc.InProgress && w != nil && w.so == nil:
		// Past the point of no return for an amendment: provisioning runs
		// with the old values; the change follows as a modify order.
		o.startChange(it.Place.ID)
		o.deferred[i] = &to
		out.Record(store.Record{Kind: "amendment", Entity: it.ID, Name: it.Place.ID, System: "COM", To: "deferred",
			Event: "change", Reason: what + "; provisioning has started: a modify order follows once the site is active"})
	case it.State == lc.InProgress || it.State == lc.Held || it.State == lc.Acknowledged:
		c.amend(o, i, to, out)
		out.Record(store.Record{Kind: "amendment", Entity: it.ID, Name: it.Place.ID, System: "COM", To: "amended",
			Event: "change", Reason: what})
	default:
		refuse(it.ID, "the site is "+it.State)
	}
}

// effective is what a site has now: its last change, or the quote's.
func (c *COM) effective(o *order, i int) itemChange {
	if ch := o.changes[i]; ch != nil {
		return *ch
	}
	q := &o.quote.req
	if si := o.siteIndex(i); si >= 0 {
		return itemChange{speed: q.SiteSpeed(si), tier: q.SiteTier(si)}
	}
	return itemChange{speed: q.Speed, tier: q.Tier}
}

// offering is the offering of item i (its site's, or the quote's); card
// its rate card.
func (o *order) offering(i int) *catalog.Offering { return o.quote.offeringOf(o.siteIndex(i)) }
func (o *order) card(i int) *catalog.RateCard     { return o.quote.cardOf(o.siteIndex(i)) }

// siteIndex is the index in the quote of item i's site, or -1 when its
// item names no site of the quote.
func (o *order) siteIndex(i int) int {
	if i < len(o.sites) {
		return o.sites[i]
	}
	if qi := o.po.Items[i].QuoteItem; qi != nil {
		return slices.IndexFunc(o.quote.req.Sites, func(s Site) bool { return s.Code == qi.ID })
	}
	return -1
}

// amend changes a pending site in place: its item, its price and, when its
// wave is still to be released, its service order items.
func (c *COM) amend(o *order, i int, to itemChange, out *engine.Out) {
	it := &o.po.Items[i]
	w := o.waveOf[i]
	redo := w != nil && w.so != nil
	cfs := c.cfg.Catalog.CFSFor(o.offering(i), c.cfg.Catalog.Tiers[to.tier])
	var d decomposition
	if redo {
		// Worked out with the change, before anything changes.
		was := o.changes[i]
		o.changes[i] = &to
		var err error
		d, err = c.decomposition(o, i, cfs)
		o.changes[i] = was
		if err != nil {
			out.Error(err)
			return
		}
	}
	o.changes[i] = &to
	it.Characteristics.Set("speed", to.speed)
	it.Characteristics.Set("slaTier", to.tier)
	it.MonthlyPrice = o.card(i).PriceOf(to.tier, to.speed)
	if redo {
		w.withdraw(o, i, c)
		w.items = append(w.items, i)
		o.soiLeft[i] = 0
		it.ServiceOrderItem = nil
		c.decompose(o, i, w, cfs, d)
	}
}

// itemVars are the catalog variables of item i, with its changes.
// They live in COM's own room, valid until the next call.
func (c *COM) itemVars(o *order, i int) catalog.Vars {
	if ch := o.changes[i]; ch != nil {
		c.vars = siteVars{q: o.quote, i: o.sites[i], over: c.tierVarsOf(c.cfg.Catalog.Tiers[ch.tier]), speed: ch.speed}
	} else {
		c.vars = c.siteVarsOf(o.quote, o.sites[i])
	}
	return &c.vars
}

// modify places a TMF622 modify order for an active site: its QoS changes
// (service order item action modify) and, once done, its price.
func (c *COM) modify(o *order, i int, to itemChange, out *engine.Out) {
	it := &o.po.Items[i]
	tier := c.cfg.Catalog.Tiers[to.tier]
	var qos *catalog.CFS
	for _, s := range c.cfg.Catalog.Specs[o.offering(i).Specification].Services {
		if s.When != "" && tier.Has(s.When) {
			qos = c.cfg.Catalog.CFS[s.CFS]
		}
	}
	var chars tmf.Characteristics
	if qos != nil {
		// Worked out with the change, before anything changes.
		was := o.changes[i]
		o.changes[i] = &to
		var err error
		chars, err = qos.Characteristics.Apply(c.itemVars(o, i))
		o.changes[i] = was
		if err != nil {
			out.Error(fmt.Errorf("COM: modify %s: %w", it.ID, err))
			return
		}
	}
	c.modifications++
	m := &modification{base: o, item: i, to: to, price: o.card(i).PriceOf(to.tier, to.speed)}
	m.po = tmf.ProductOrder{ID: o.po.ID + "-M" + strconv.Itoa(c.modifications), Category: modifyCategory,
		ExternalID: to.externalID, Description: cmp.Or(to.description, "change "+it.Place.ID), State: lc.Initial(lc.ProductOrder), OrderDate: out.Now(),
		RelatedParty: o.po.RelatedParty, BillingAccount: o.po.BillingAccount,
		Items: []tmf.ProductOrderItem{{ID: c.id("POI"), Action: tmf.Modify, State: lc.Initial(lc.ProductOrderItem),
			ProductOffering: it.ProductOffering, Place: it.Place, ProductInstance: it.ProductInstance, ItemTerm: it.ItemTerm,
			Characteristics: tmf.Characteristics{{Name: "speed", Value: to.speed}, {Name: "slaTier", Value: to.tier}},
			MonthlyPrice:    m.price}}}
	c.modifies = append(c.modifies, m)
	mi := &m.po.Items[0]
	out.Created(lc.ProductOrder, m.po.ID, "", m.po.State, "Sales Console → COM")
	if qos == nil {
		reason := fmt.Sprintf("tier %s has no service a modify order can change", to.tier)
		out.Fire(c.machines, lc.ProductOrderItem, mi.ID, "", &mi.State, lc.Reject, reason, "COM")
		out.Fire(c.machines, lc.ProductOrder, m.po.ID, "", &m.po.State, lc.Reject, reason, "COM")
		m.po.CompletionDate = out.Now()
		o.endChange(it.Place.ID)
		return
	}
	out.Fire(c.machines, lc.ProductOrder, m.po.ID, "", &m.po.State, lc.Start, "", "COM → SOM")
	out.Fire(c.machines, lc.ProductOrderItem, mi.ID, "", &mi.State, lc.Start, "", "COM")
	o.changes[i] = &to
	chars.Set("speed", to.speed)
	soName := "SO-MODIFY-" + it.Place.ID
	w := &wave{order: o, id: m.po.ID + "/" + soName, name: "Modify " + it.Place.ID, soName: soName,
		state: lc.Initial(lc.Wave), items: []int{i}, modify: m}
	m.wave = w
	w.so = &tmf.ServiceOrder{ExternalID: m.po.ID + "/" + soName, Description: soName, Category: "modify",
		RelatedParty: o.po.RelatedParty, ExternalRef: []tmf.Ref{{ID: m.po.ID, Type: "ProductOrder"}}}
	soi := tmf.ServiceOrderItem{ID: c.id("SOI"), Action: tmf.Modify, ProductOrderItem: tmf.Ref{ID: mi.ID},
		Service: tmf.Service{Category: "CFS", Specification: tmf.Ref{ID: qos.ID, Name: qos.Name}, Characteristics: chars, Place: it.Place}}
	soi.Handle = c.addSoi(&soiRef{o: o, item: i, wave: w, id: soi.ID, modify: m})
	w.so.Items = append(w.so.Items, soi)
	c.addWave(w)
	out.Created(lc.Wave, w.id, "", w.state, "COM")
	out.Fire(c.machines, lc.Wave, w.id, "", &w.state, lc.Release, "modify order", "COM → SOM")
	out.Send(engine.SOM, 0, w.so)
	w.so = nil
}

// modified ends a modify order with its service order item: the product
// instance takes the new values and price, billing the new amount.
func (c *COM) modified(ref *soiRef, ev *tmf.ItemEvent, out *engine.Out) {
	m := ref.modify
	o := m.base
	mi := &m.po.Items[0]
	o.endChange(o.po.Items[m.item].Place.ID)
	if ev.State != lc.Completed {
		reason := "modify failed: " + ev.StateReason
		out.Fire(c.machines, lc.ProductOrderItem, mi.ID, "", &mi.State, lc.Fail, reason, "COM")
		out.Fire(c.machines, lc.ProductOrder, m.po.ID, "", &m.po.State, lc.Fail, reason, "COM")
		m.po.CompletionDate = out.Now()
		return
	}
	it := &o.po.Items[m.item]
	speed, tier := it.Characteristics.Get("speed"), it.Characteristics.Get("slaTier")
	what := fmt.Sprintf("%s: speed %s → %s, slaTier %s → %s, monthly price %g → %g", m.po.ID,
		speed, m.to.speed, tier, m.to.tier, it.MonthlyPrice, m.price)
	it.Characteristics.Set("speed", m.to.speed)
	it.Characteristics.Set("slaTier", m.to.tier)
	it.MonthlyPrice = m.price
	if it.ProductInstance != nil {
		if p := c.Products.Get(it.ProductInstance.ID); p != nil {
			p.Characteristics = it.Characteristics
			p.MonthlyPrice = m.price
			// The product changed, it was not made again (TMF637
			// ProductAttributeValueChangeEvent).
			out.InventoryModified("product", p.ID, it.Place.ID, p.Status, what)
		}
	}
	out.Fire(c.machines, lc.ProductOrderItem, mi.ID, it.Place.ID, &mi.State, lc.Complete, "", "COM → Billing")
	if out.Fire(c.machines, lc.ProductOrder, m.po.ID, "", &m.po.State, lc.Complete, "", "COM") {
		m.po.CompletionDate = out.Now()
	}
	c.call(out, port.Request{Key: mi.ID + "/billing", System: port.Billing, Op: port.Activate, Item: mi.ID,
		Customer: o.quote.req.Customer.ID, Account: o.quote.req.Customer.Account, Site: it.Place.ID, Place: it.Place,
		Amount: m.price}, then{Do: ignore})
}

// AddSite asks COM to add a site to an order in progress (a TMF622
// amendment adding an item): it is qualified with capacity held, then goes
// in its wave if that wave has not been released, else in a late wave.
type AddSite struct {
	Order string
	Site  Site
}

func (c *COM) addSite(m AddSite, out *engine.Out) {
	o := c.findOrder(m.Order)
	refuse := c.refuser("addSite", out)
	switch {
	case o == nil:
		refuse(m.Order, "no such product order")
		return
	case o.po.State != lc.InProgress:
		refuse(o.po.ID, "the order is "+o.po.State)
		return
	case !o.quote.req.ChangesPerSite && len(o.changing) > 0:
		refuse(o.po.ID, "one change in flight per order: "+o.changing[0]+" is being changed")
		return
	case o.inFlight(m.Site.Code):
		refuse(o.po.ID, "one change in flight per site: a change of "+m.Site.Code+" is in flight")
		return
	case slices.ContainsFunc(o.po.Items, func(it tmf.ProductOrderItem) bool { return it.Place.ID == m.Site.Code }):
		refuse(o.po.ID, fmt.Sprintf("site %s is already in the order", m.Site.Code))
		return
	}
	q := o.quote
	n := len(q.req.Sites)
	q.req.Sites = append(q.req.Sites, m.Site)
	q.quals = append(q.quals, nil)
	q.qualErr = append(q.qualErr, "")
	c.vars = c.siteVarsOf(q, n)
	product, _ := catalog.ExpandIn(&c.strs, q.offeringOf(n).InstanceID, &c.vars) // "": its decomposition says why
	if why := c.takenBy(product, m.Site.Code, o); why != "" {
		q.req.Sites, q.quals, q.qualErr = q.req.Sites[:n], q.quals[:n], q.qualErr[:n]
		refuse(o.po.ID, why) // in service already, or being made (sites.go)
		return
	}
	it := tmf.ProductOrderItem{ID: c.id("POI"), Action: tmf.Add, State: lc.Initial(lc.ProductOrderItem),
		ProductOffering: tmf.Ref{ID: q.offering.ID}, Place: place(m.Site), QuoteItem: &tmf.Ref{ID: m.Site.Code},
		Characteristics: tmf.Characteristics{{Name: "speed", Value: q.req.Speed}, {Name: "slaTier", Value: q.req.Tier}},
		ItemTerm:        q.req.Term, MonthlyPrice: q.req.Monthly}
	o.po.Items = append(o.po.Items, it)
	i := len(o.po.Items) - 1
	o.sites = append(o.sites, len(q.req.Sites)-1)
	o.soiLeft, o.instances, o.attempts = append(o.soiLeft, 0), append(o.instances, product), append(o.attempts, 0)
	o.waveOf, o.tasks = append(o.waveOf, nil), append(o.tasks, nil)
	o.changes, o.deferred, o.removed = append(o.changes, nil), append(o.deferred, nil), append(o.removed, false)
	c.claim(o, i, product)
	out.Created(lc.ProductOrderItem, it.ID, m.Site.Code, it.State, "Sales Console → COM")
	out.Record(store.Record{Kind: "amendment", Entity: it.ID, Name: m.Site.Code, System: "COM", To: "added", Event: "addSite",
		Reason: fmt.Sprintf("site %s added to %s", m.Site.Code, o.po.ID)})
	o.startChange(m.Site.Code)
	c.revalidateItem(o, i, added, out)
}

// siteAdded puts a site added to an order, once revalidated, in its wave if
// that wave's service order is not yet sent, else in a late wave.
func (c *COM) siteAdded(o *order, i int, ok bool, out *engine.Out) {
	q := o.quote
	cfs := c.cfsOf(o, i, c.cfg.Catalog.CFSFor(q.offering, q.tier))
	d, err := c.decomposition(o, i, cfs)
	if err != nil {
		out.Error(err)
		return
	}
	poi := &o.po.Items[i]
	o.endChange(poi.Place.ID)
	if !ok || !out.Fire(c.machines, lc.ProductOrderItem, poi.ID, "", &poi.State, lc.Start, "", "COM") {
		return // held: network planning brings it back
	}
	name := q.req.Sites[o.sites[i]].Wave
	for _, w := range o.waves {
		if w.name == name && w.so != nil {
			w.items = append(w.items, i)
			c.decompose(o, i, w, cfs, d)
			return
		}
	}
	c.addToLateWave(o, i, out)
	c.releaseNext(o, out)
}

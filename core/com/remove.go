package com

import (
	"fmt"
	"strconv"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Remove asks COM to take a site out of the customer's service mid-rollout.
// A site not yet active is taken out of its order (its item is cancelled,
// with everything it holds released: see Cancel). An active site gets a
// TMF622 disconnect order: an item with action delete whose service order
// items delete the site's services, whose resource order gives back every
// resource they use, last step first; billing stops and the product
// instance ends terminated. A disconnect counts as the order's one change
// in flight.
type Remove struct {
	Order  string // product order id; "" for the only one
	Site   string
	Reason string
	// Key makes the request idempotent, as OrderRequest.Key.
	Key string
	// ExternalID is what the request calls the disconnect order it places
	// (TMF622 externalId), if anything.
	ExternalID string
}

func (c *COM) remove(m Remove, out *engine.Out) {
	refuse := c.refuser("removeSite", out)
	o, i := c.siteItem(m.Order, m.Site, refuse)
	if i < 0 {
		return
	}
	reason := "site removed by the customer"
	if m.Reason != "" {
		reason = m.Reason
	}
	it := &o.po.Items[i]
	if it.State != lc.Completed {
		c.cancel(Cancel{Order: o.po.ID, Site: m.Site, Reason: reason}, out)
		return
	}
	if !c.changeable(o, i, refuse) {
		return
	}
	o.startChange(it.Place.ID)
	c.disconnect(o, i, reason, m.ExternalID, out)
}

// disconnect places the disconnect order of an active site, called
// externalID by its request.
func (c *COM) disconnect(o *order, i int, reason, externalID string, out *engine.Out) {
	it := &o.po.Items[i]
	o.removed[i] = true
	cfs := c.cfg.Catalog.CFSFor(o.offering(i), c.cfg.Catalog.Tiers[c.effective(o, i).tier])
	d, err := c.decomposition(o, i, cfs)
	if err != nil {
		out.Error(fmt.Errorf("COM: disconnect: %w", err))
		return
	}
	c.modifications++
	m := &modification{base: o, item: i, disconnect: true}
	m.po = tmf.ProductOrder{ID: o.po.ID + "-D" + strconv.Itoa(c.modifications), Category: disconnectCategory, ExternalID: externalID,
		Description: "disconnect " + it.Place.ID + ": " + reason, State: lc.Initial(lc.ProductOrder), OrderDate: out.Now(),
		RelatedParty: o.po.RelatedParty, BillingAccount: o.po.BillingAccount,
		Items: []tmf.ProductOrderItem{{ID: c.id("POI"), Action: tmf.Delete, State: lc.Initial(lc.ProductOrderItem),
			ProductOffering: it.ProductOffering, Place: it.Place, ProductInstance: it.ProductInstance, ItemTerm: it.ItemTerm}}}
	c.modifies = append(c.modifies, m)
	mi := &m.po.Items[0]
	out.Created(lc.ProductOrder, m.po.ID, "", m.po.State, "Sales Console → COM")
	out.Fire(c.machines, lc.ProductOrder, m.po.ID, "", &m.po.State, lc.Start, "", "COM → SOM")
	out.Fire(c.machines, lc.ProductOrderItem, mi.ID, "", &mi.State, lc.Start, "", "COM")
	soName := "SO-DISCONNECT-" + it.Place.ID
	w := &wave{order: o, id: m.po.ID + "/" + soName, name: "Disconnect " + it.Place.ID, soName: soName,
		state: lc.Initial(lc.Wave), items: []int{i}, modify: m}
	m.wave = w
	w.so = &tmf.ServiceOrder{ExternalID: m.po.ID + "/" + soName, Description: soName, Category: "disconnect",
		RelatedParty: o.po.RelatedParty, ExternalRef: []tmf.Ref{{ID: m.po.ID, Type: "ProductOrder"}}}
	for k, s := range cfs {
		soi := tmf.ServiceOrderItem{ID: c.id("SOI"), Action: tmf.Delete, ProductOrderItem: tmf.Ref{ID: mi.ID},
			Service: tmf.Service{Category: "CFS", Specification: tmf.Ref{ID: s.ID, Name: s.Name}, Characteristics: d.chars[k], Place: it.Place}}
		soi.Handle = c.addSoi(&soiRef{o: o, item: i, wave: w, id: soi.ID, modify: m})
		w.so.Items = append(w.so.Items, soi)
		m.left++
	}
	c.addWave(w)
	out.Created(lc.Wave, w.id, "", w.state, "COM")
	out.Fire(c.machines, lc.Wave, w.id, "", &w.state, lc.Release, "disconnect order", "COM → SOM")
	out.Send(engine.SOM, 0, w.so)
	w.so = nil
}

// disconnected ends a disconnect order once SOM has deleted every service
// of the site: the product instance is terminated and billing stops.
func (c *COM) disconnected(m *modification, out *engine.Out) {
	o := m.base
	mi := &m.po.Items[0]
	o.endChange(o.po.Items[m.item].Place.ID)
	if m.failed != "" {
		reason := "disconnect failed: " + m.failed
		mi.StateReason = reason
		out.Fire(c.machines, lc.ProductOrderItem, mi.ID, "", &mi.State, lc.Fail, reason, "COM")
		out.Fire(c.machines, lc.ProductOrder, m.po.ID, "", &m.po.State, lc.Fail, reason, "COM")
		m.po.CompletionDate = out.Now()
		return
	}
	it := &o.po.Items[m.item]
	if it.ProductInstance != nil {
		if p := c.Products.Get(it.ProductInstance.ID); p != nil {
			out.Inventory("product", p.ID, it.Place.ID, p.Status, "terminated")
			p.Status, p.TerminationDate = terminated, out.Now()
			c.outOfService(p) // its site may be ordered again
		}
	}
	out.Fire(c.machines, lc.ProductOrderItem, mi.ID, it.Place.ID, &mi.State, lc.Complete, "", "COM → Billing")
	if out.Fire(c.machines, lc.ProductOrder, m.po.ID, "", &m.po.State, lc.Complete, "", "COM") {
		m.po.CompletionDate = out.Now()
	}
	c.call(out, port.Request{Key: mi.ID + "/billing", System: port.Billing, Op: port.Deactivate, Item: mi.ID,
		Customer: o.quote.req.Customer.ID, Account: o.quote.req.Customer.Account, Site: it.Place.ID, Place: it.Place,
		Amount: it.MonthlyPrice}, then{Do: ignore})
}

package com

import (
	"fmt"
	"slices"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
)

// Qualify asks whether product offerings can be delivered at sites: a
// TMF679 product offering qualification, the worked example's per-site
// feasibility check (Step 1) asked on its own, before any quote. COM asks
// address qualification about each item's site, as it does for a quote's
// sites, and keeps the answers with their expiry. It replies Placed with
// the qualification's id (POQ-001).
type Qualify struct {
	// Key makes the request idempotent, as OrderRequest.Key.
	Key         string
	Description string
	Customer    Customer
	Items       []QualifyItem
}

// QualifyItem asks about one offering at one site.
type QualifyItem struct {
	// ID is the requester's id of the item, unique in the request.
	ID       string
	Offering string
	Site     Site
}

// QualifiedItem is the answer about one item of a qualification.
type QualifiedItem struct {
	// State is the item's TMF679 task state: inProgress while address
	// qualification is asked, done once it answered, terminatedWithError
	// when it could not answer.
	State string
	// Qualified says whether the offering can be delivered at the site.
	// When it cannot, or the item terminated with an error, Code and
	// Reason say why (capacityExhausted: "no GPON capacity at SOUTH-03").
	Qualified bool
	Code      string
	Reason    string
	// Result is address qualification's answer: technology, exchange,
	// free capacity, the feasibility token and its expiry; nil without one.
	Result *port.QualificationResult
	// Tiers are the SLA tiers of the offering that the site's access can
	// carry.
	Tiers []string
}

// QualificationView is a product offering qualification as the API shows
// it.
type QualificationView struct {
	ID    string
	State string
	// Request is what was asked; Items[i] answers Request.Items[i].
	Request Qualify
	Items   []QualifiedItem
	// Submitted is when it was asked, Completed when its last item was
	// answered (0 before).
	Submitted, Completed time.Duration
}

type qualification struct {
	id      string
	req     Qualify
	state   string
	items   []QualifiedItem
	waiting int
	at      time.Duration
	done    time.Duration
}

// The answers' codes for what is not qualified.
const (
	codeUnknownOffering   = "unknownOffering"
	codeCapacityExhausted = "capacityExhausted"
	codeNoTier            = "noSLATier"
)

// qualify starts a product offering qualification: every item with a
// known offering goes to address qualification.
func (c *COM) qualify(m Qualify, out *engine.Out) {
	key := "qualification " + m.Key // apart from the quotes' and orders' keys
	if m.Key != "" {
		if prev := c.placed(QualificationShelfKind, key, out); prev != "" {
			out.Reply(Placed{ID: prev, Duplicate: true})
			return
		}
	}
	q := &qualification{id: c.ownID("POQ"), req: m, state: lc.Initial(lc.Qualification), at: out.Now(),
		items: make([]QualifiedItem, len(m.Items))}
	q.req.Items = slices.Clone(m.Items)
	c.qualifications = append(c.qualifications, q)
	c.qualificationBy[q.id] = q
	if m.Key != "" {
		c.byKey[key] = q.id
	}
	out.Reply(Placed{ID: q.id})
	out.Created(lc.Qualification, q.id, "", q.state, "CPQ → Address Qualification")
	if len(m.Items) == 0 {
		c.qualificationOver(q, out)
		return
	}
	if !out.Fire(c.machines, lc.Qualification, q.id, "", &q.state, lc.Start, "", "Address Qualification") {
		return
	}
	for i, it := range m.Items {
		item := &q.items[i]
		item.State = lc.Initial(lc.Qualification)
		entity := q.id + "/" + it.ID
		_, err := c.cfg.Catalog.Offering(it.Offering)
		if err != nil {
			item.Code, item.Reason = codeUnknownOffering, err.Error()
			out.Fire(c.machines, lc.Qualification, entity, "", &item.State, lc.Fail, item.Reason, "COM")
			continue
		}
		if !out.Fire(c.machines, lc.Qualification, entity, "", &item.State, lc.Start, "", "Address Qualification") {
			return
		}
		q.waiting++
		c.call(out, port.Request{Key: entity + "/qualify", System: port.Qualification, Op: port.Qualify,
			Item: entity, Customer: m.Customer.ID, Site: it.Site.Code, Place: place(it.Site)}, then{Do: qualified, ID: q.id, Item: i})
	}
	if q.waiting == 0 {
		c.qualificationOver(q, out)
	}
}

// qualified takes the answer for item i of a qualification; the last
// ends it.
func (c *COM) qualified(q *qualification, i int, res *port.Result, out *engine.Out) {
	item, entity := &q.items[i], q.id+"/"+q.req.Items[i].ID
	o, _ := c.cfg.Catalog.Offering(q.req.Items[i].Offering) // known: only known offerings are asked
	event := lc.Complete
	switch {
	case res.Err != nil && res.Err.Class == port.Transient:
		event, item.Code, item.Reason = lc.Fail, res.Err.Code, res.Err.Message
	case res.Err != nil:
		item.Code, item.Reason = res.Err.Code, res.Err.Message
	default:
		item.Result = res.Qualification
		item.Tiers = carried(o.Tiers, res.Qualification.Tiers)
		switch {
		case res.Qualification.FreeCapacity <= 0:
			item.Code, item.Reason = codeCapacityExhausted,
				fmt.Sprintf("no %s capacity at %s", res.Qualification.Technology, res.Qualification.Area)
		case len(item.Tiers) == 0:
			item.Code, item.Reason = codeNoTier,
				fmt.Sprintf("the %s access carries no SLA tier of %s", res.Qualification.Technology, o.ID)
		default:
			item.Qualified = true
		}
	}
	if !out.Fire(c.machines, lc.Qualification, entity, "", &item.State, event, item.Reason, "Address Qualification → COM") {
		return
	}
	if q.waiting--; q.waiting == 0 {
		c.qualificationOver(q, out)
	}
}

// carried are the tiers of offered that an access carrying access can
// carry; an access that names none carries every one.
func carried(offered, access []string) []string {
	if len(access) == 0 {
		return slices.Clone(offered)
	}
	var out []string
	for _, t := range offered {
		if slices.Contains(access, t) {
			out = append(out, t)
		}
	}
	return out
}

// qualificationOver ends a qualification whose items are all answered:
// done, or terminated with an error when not one item could be asked.
func (c *COM) qualificationOver(q *qualification, out *engine.Out) {
	q.done = out.Now()
	event, reason := lc.Fail, "no item could be qualified"
	for _, it := range q.items {
		if it.State == lc.Done {
			event, reason = lc.Complete, ""
			break
		}
	}
	out.Fire(c.machines, lc.Qualification, q.id, "", &q.state, event, reason, "Address Qualification → COM")
	if c.cfg.Retention > 0 {
		out.Send(engine.COM, engine.RetireAfter(out.Now(), c.cfg.Retention), retireQualification{q.id})
	}
}

// QualificationShelfKind is the kind of a product offering qualification
// on the store's shelf.
const QualificationShelfKind = "productOfferingQualification"

// A qualification leaves COM's memory a retention after it ended, as a
// finished order does: shelved as the API shows it (QualificationView),
// its idempotency key kept (it names it on the shelf). Nothing
// refers to it once it ended: a quote carries the feasibility tokens it
// gave, not the qualification.

// retireQualification is COM's own timer: a qualification that ended
// leaves memory.
type retireQualification struct{ ID string }

// retireQualification shelves the qualification m names and lets it go.
func (c *COM) retireQualification(m retireQualification, out *engine.Out) {
	q := c.qualificationBy[m.ID]
	if q == nil || !lc.IsFinal(lc.Qualification, q.state) {
		return
	}
	var keys []string
	if q.req.Key != "" {
		keys = []string{"qualification " + q.req.Key}
	}
	if !c.shelveAlone(&c.shelvers.qualifications, QualificationShelfKind, q.id, q.req.Customer.ID, q.view(), out, keys...) {
		return
	}
	c.keysLeave(keys...)
	delete(c.qualificationBy, q.id)
	c.qualifications = slices.DeleteFunc(c.qualifications, func(x *qualification) bool { return x == q })
}

// ShelvedQualification decodes a qualification COM shelved.
func ShelvedQualification(body []byte) (QualificationView, error) {
	var v QualificationView
	if err := engine.DecodeDoc(body, &v); err != nil {
		return v, fmt.Errorf("qualification on the shelf: %w", err)
	}
	return v, nil
}

// Qualifications lists the product offering qualifications in the order
// they were asked.
func (c *COM) Qualifications() []QualificationView {
	out := make([]QualificationView, 0, len(c.qualifications))
	for _, q := range c.qualifications {
		out = append(out, q.view())
	}
	return out
}

// Qualification returns the qualification with id, and whether there is
// one.
func (c *COM) Qualification(id string) (QualificationView, bool) {
	q := c.qualificationBy[id]
	if q == nil {
		return QualificationView{}, false
	}
	return q.view(), true
}

// view copies what the API shows of a qualification.
func (q *qualification) view() QualificationView {
	v := QualificationView{ID: q.id, State: q.state, Request: q.req, Items: slices.Clone(q.items),
		Submitted: q.at, Completed: q.done}
	v.Request.Items = slices.Clone(q.req.Items)
	for i, it := range v.Items {
		if it.Result != nil {
			r := *it.Result
			r.Tiers = slices.Clone(r.Tiers)
			v.Items[i].Result = &r
		}
		v.Items[i].Tiers = slices.Clone(it.Tiers)
	}
	return v
}

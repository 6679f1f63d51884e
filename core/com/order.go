package com

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/roster"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// OrderRequest is a TMF622 product order placed against an accepted (or
// still approving) quote. Order.Quote must name the quote; each item names
// its quote item by site code (QuoteItem.ID).
type OrderRequest struct {
	Order *tmf.ProductOrder
	// Key makes the submission idempotent: a second request with the same
	// key (an Idempotency-Key, an externalId) is answered with the order
	// the first placed, and changes nothing.
	Key string
}

// Placed is COM's reply to a quote or order request: the id of what it
// placed, and whether an earlier request with the same key had placed it.
type Placed struct {
	ID        string
	Duplicate bool
}

type order struct {
	roster.Slot
	po    tmf.ProductOrder
	quote *quote
	// sites[i] is the quote site index of po.Items[i]; instances[i] the
	// id of the product instance it becomes, set at validation (at
	// decomposition by an earlier build): the id it claims (sites.go).
	sites     []int
	instances []string
	soiLeft   []int // per item: service order items not yet completed
	waves     []*wave
	waiting   int
	final     int
	// attempts[i] counts the revalidations of item i.
	attempts []int
	// waveOf[i] is item i's wave; tasks[i] its network-planning task.
	waveOf []*wave
	tasks  []*task
	// changes[i] is what item i was changed to; deferred[i] a change
	// waiting for the site to be active; changing names the sites whose
	// change is in flight, one change a site (changes of other sites may
	// be in flight at once).
	changes  []*itemChange
	deferred []*itemChange
	changing []string
	// removed[i] marks an active site whose disconnect order was placed.
	removed []bool
	// room is where the items' lists of references are cut from (refs);
	// products holds the product each item first becomes (product).
	room     []tmf.Ref
	products []tmf.Product
	// chars and lists are where the items' CFS characteristics are cut
	// from (characteristics, charLists).
	chars tmf.Characteristics
	lists []tmf.Characteristics
	// calls counts the order's calls waiting for their answer; retiring
	// marks an order whose retire timer is set; version counts the times
	// it left memory (retire.go).
	calls    int
	retiring bool
	version  int
	// ended are the views of the waves that had ended when the order
	// last left memory: they came back from the shelf with it, and go
	// with it again (retire.go).
	ended []WaveView
	// keys are the keys of its keyed change requests (COM.changed);
	// placedBy the idempotency keys it was placed by (COM.byKey's), which
	// leave memory with it (retire.go).
	keys     []string
	placedBy []string
	// keyDigest is the digest of the request (orderDigest), when an
	// idempotency key placed it: the key again must come with the same
	// content.
	keyDigest string
	// jeopardies are the alerts raised on it, numbered across COM.
	jeopardies []tmf.Jeopardy
}

// characteristics returns room for n characteristics of an item, cut from
// one array with the order's other items'.
func (o *order) characteristics(n int) tmf.Characteristics {
	if len(o.chars) < n {
		o.chars = make(tmf.Characteristics, n*len(o.po.Items))
	}
	c := o.chars[:n:n]
	o.chars = o.chars[n:]
	return c
}

// charLists returns n lists of characteristics for an item, as
// characteristics does.
func (o *order) charLists(n int) []tmf.Characteristics {
	if len(o.lists) < n {
		o.lists = make([]tmf.Characteristics, n*len(o.po.Items))
	}
	l := o.lists[:n:n]
	o.lists = o.lists[n:]
	return l
}

// product returns new storage for the product instance item i becomes:
// the items' first products share one array.
func (o *order) product(i int) *tmf.Product {
	if o.products == nil {
		o.products = make([]tmf.Product, len(o.po.Items))
	}
	if i < len(o.products) && o.products[i].ID == "" {
		return &o.products[i]
	}
	return new(tmf.Product)
}

// refs returns room for n references of an item (its service order
// items, its services, its product instance, its feasibility token): one
// array serves many items. Appending more than n copies.
func (o *order) refs(n int) []tmf.Ref {
	if len(o.room) < n {
		// Room for eight references an item: a token, a product instance
		// and three CFS with their services.
		o.room = make([]tmf.Ref, max(8*len(o.po.Items), n))
	}
	r := o.room[:0:n]
	o.room = o.room[n:]
	return r
}

// task is a network-planning task raised for a held site.
type task struct {
	// n numbers the tasks in the order raised (the continuations and
	// timers about a task name it by n).
	n               int
	id, name, state string
	since           time.Duration // when it was raised
}

type soiRef struct {
	o     *order
	item  int
	wave  *wave
	id    string
	final bool // the item's end was counted
	// modify is the modify order the item belongs to, if any.
	modify *modification
}

// target is when wave w of the order's plan is due: its target, from
// the order's placement when the quote says so (TargetsFromOrder); 0 for
// none.
func (o *order) target(w WavePlan) time.Duration {
	if w.Target > 0 && o.quote.req.TargetsFromOrder {
		return o.po.OrderDate + w.Target
	}
	return w.Target
}

// place is the TMF place of a quote site.
func place(s Site) tmf.Place {
	return tmf.Place{ID: s.Code, Name: s.Name, Role: "installationAddress", Address: s.Address}
}

// NewOrder builds the TMF622 order a CPQ places for an accepted quote: one
// item per site, each with its address, SLA and price.
func NewOrder(id string, q QuoteRequest, quoteID string) *tmf.ProductOrder {
	po := &tmf.ProductOrder{ID: id, Category: "enterprise", Description: q.Offering + " rollout",
		Quote:          []tmf.Ref{{ID: quoteID}},
		RelatedParty:   []tmf.Ref{{ID: q.Customer.ID, Name: q.Customer.Name, Role: "customer", Type: "Organization"}},
		BillingAccount: &tmf.Ref{ID: q.Customer.Account}}
	// The items, their quote items and their characteristics are cut from
	// one array each.
	po.Items = make([]tmf.ProductOrderItem, len(q.Sites))
	quoteItems := make([]tmf.Ref, len(q.Sites))
	chars := make(tmf.Characteristics, 2*len(q.Sites))
	for k, s := range q.Sites {
		quoteItems[k] = tmf.Ref{ID: s.Code}
		ch := chars[2*k : 2*k+2 : 2*k+2]
		ch[0], ch[1] = tmf.Characteristic{Name: "speed", Value: q.SiteSpeed(k)}, tmf.Characteristic{Name: "slaTier", Value: q.SiteTier(k)}
		po.Items[k] = tmf.ProductOrderItem{Action: tmf.Add,
			ProductOffering: tmf.Ref{ID: q.SiteOffering(k)}, Place: place(s), QuoteItem: &quoteItems[k],
			Characteristics: ch, ItemTerm: q.Term, MonthlyPrice: q.SiteMonthly(k)}
	}
	return po
}

// fillFrom completes, from quote q, the items that name their quote item
// and leave the rest out (an order placed over the API need only name the quote's
// sites): the site's place, speed and SLA tier, the term and the price
// come from the quote, the contract the order carries out. What an item
// gives is kept, and the contract check compares it with the quote.
func (o *order) fillFrom(q *quote) {
	for i := range o.po.Items {
		it := &o.po.Items[i]
		if it.QuoteItem == nil {
			continue
		}
		si := slices.IndexFunc(q.req.Sites, func(s Site) bool { return s.Code == it.QuoteItem.ID })
		if si < 0 {
			continue
		}
		if it.Place.ID == "" {
			it.Place = place(q.req.Sites[si])
		}
		if it.ProductOffering.ID == "" {
			it.ProductOffering = tmf.Ref{ID: q.req.SiteOffering(si)}
		}
		for _, ch := range [...]tmf.Characteristic{{Name: "speed", Value: q.req.SiteSpeed(si)}, {Name: "slaTier", Value: q.req.SiteTier(si)}} {
			if it.Characteristics.Get(ch.Name) == "" {
				it.Characteristics.Set(ch.Name, ch.Value)
			}
		}
		if it.ItemTerm == 0 {
			it.ItemTerm = q.req.Term
		}
		if it.MonthlyPrice == 0 {
			it.MonthlyPrice = q.req.SiteMonthly(si)
		}
	}
}

// externalKey is the idempotency key an order's externalId gives, "" for
// none: in the space of the order's customer (its quote's, in memory or,
// once it left with its order, on the shelf), whose own reference an
// externalId is.
func (c *COM) externalKey(po *tmf.ProductOrder, out *engine.Out) string {
	if po.ExternalID == "" {
		return ""
	}
	party := ""
	if len(po.Quote) > 0 {
		if q := c.quoteBy[po.Quote[0].ID]; q != nil {
			party = q.req.Customer.ID
		} else if v, ok := c.shelvedQuote(po.Quote[0].ID, out); ok {
			party = v.Request.Customer.ID
		}
	}
	return externalIDKey(party, po.ExternalID)
}

// externalIDKey is the idempotency key of party's externalId.
func externalIDKey(party, externalID string) string { return "externalId " + party + " " + externalID }

// OrderByExternalID returns the id of the product order party placed with
// externalID while it is in memory; ok is false when there is none (it
// may have left memory: its doc on the shelf lists ExternalIDItem). Read
// it on the engine's goroutine.
func (c *COM) OrderByExternalID(party, externalID string) (id string, ok bool) {
	id = c.byKey[ExternalIDItem(party, externalID)]
	return id, id != ""
}

// ExternalIDItem is the item that the doc of party's product order with
// externalID lists on the shelf (kind ShelfKind) once it left memory.
func ExternalIDItem(party, externalID string) string {
	return "order " + externalIDKey(party, externalID)
}

// orderKeyDigest is the digest of the request that placed order id with a
// key (order.keyDigest), in memory or on the shelf; "" when not known
// (placed by a build that kept none, or shelved as its view alone).
func (c *COM) orderKeyDigest(id string, out *engine.Out) string {
	if o := c.orderBy[id]; o != nil {
		return o.keyDigest
	}
	body, ok := out.Unshelve(ShelfKind, id)
	if !ok {
		return ""
	}
	var s shelved
	if err := engine.DecodeDoc(body, &s); err != nil || s.Order == nil {
		return ""
	}
	return s.Order.KeyDigest
}

// submitOrder acknowledges the order; validation starts once its quote is
// accepted.
func (c *COM) submitOrder(now time.Duration, req OrderRequest, out *engine.Out) {
	// An order is known by its key and by its externalId: a second order
	// of a customer with an externalId already used is the first, whatever
	// its key.
	var keys []string
	for _, k := range []string{req.Key, c.externalKey(req.Order, out)} {
		if k != "" {
			keys = append(keys, "order "+k) // apart from the quotes' keys
		}
	}
	for k, key := range keys {
		if prev := c.placed(ShelfKind, key, out); prev != "" {
			// The externalId names the order whatever comes with it; the
			// key, one request.
			if k == 0 && req.Key != "" {
				if placed := c.orderKeyDigest(prev, out); placed != "" && placed != orderDigest(req.Order) {
					out.Error(fmt.Errorf("COM: the request's key (%s) placed order %s, whose content is not this request's: %w", req.Key, prev, ErrKeyReused))
					return
				}
			}
			out.Reply(Placed{ID: prev, Duplicate: true})
			return
		}
	}
	o := &order{po: *req.Order, placedBy: keys}
	if req.Key != "" {
		o.keyDigest = orderDigest(req.Order)
	}
	if o.po.ID == "" {
		o.po.ID = c.ownID("PO")
	}
	o.po.State = lc.Initial(lc.ProductOrder)
	o.po.OrderDate = now
	o.po.Items = append([]tmf.ProductOrderItem(nil), req.Order.Items...)
	o.attempts = make([]int, len(o.po.Items))
	o.waveOf = make([]*wave, len(o.po.Items))
	o.tasks = make([]*task, len(o.po.Items))
	o.changes = make([]*itemChange, len(o.po.Items))
	o.deferred = make([]*itemChange, len(o.po.Items))
	o.removed = make([]bool, len(o.po.Items))
	c.orders.Add(0, o)
	c.orderBy[o.po.ID] = o
	for _, key := range keys {
		c.byKey[key] = o.po.ID
	}
	out.Reply(Placed{ID: o.po.ID})
	out.Created(lc.ProductOrder, o.po.ID, "", o.po.State, "Sales Console → COM")
	for i := range o.po.Items {
		it := &o.po.Items[i]
		it.ID = c.id("POI")
		it.State = lc.Initial(lc.ProductOrderItem)
	}
	if len(o.po.Quote) == 0 {
		c.rejectOrder(o, "the order names no quote", out)
		return
	}
	q := c.quoteBy[o.po.Quote[0].ID]
	orderedBy := ""
	if q == nil {
		q, orderedBy = c.takeBackQuote(o.po.Quote[0].ID, out) // it left memory accepted, waiting for this order
	} else if q.order != nil {
		orderedBy = q.order.po.ID
	}
	if orderedBy != "" {
		// One order carries a quote out: a second would provision its
		// sites again. It is rejected as it came, filled from the quote,
		// which stays its first order's.
		if q == nil {
			if v, ok := c.shelvedQuote(o.po.Quote[0].ID, out); ok {
				q = &quote{req: v.Request}
			}
		}
		if q != nil {
			o.fillFrom(q)
		}
		c.rejectOrder(o, fmt.Sprintf("quote %s is ordered already, by %s: a new order needs a new quote", o.po.Quote[0].ID, orderedBy), out)
		return
	}
	if q == nil {
		reason := fmt.Sprintf("quote %q is not known", o.po.Quote[0].ID)
		if v, ok := c.shelvedQuote(o.po.Quote[0].ID, out); ok && v.State == lc.Rejected {
			// It left memory rejected: the order is rejected as if it had
			// stayed, filled from it.
			o.fillFrom(&quote{req: v.Request})
			reason = fmt.Sprintf("quote %s is %s", v.ID, v.State)
		}
		c.rejectOrder(o, reason, out)
		return
	}
	o.quote = q
	o.fillFrom(q)
	switch q.state {
	case lc.Accepted:
		q.order = o // it waits no more (retireQuote)
		c.validate(o, out)
	case lc.Rejected, lc.Cancelled:
		c.rejectOrder(o, fmt.Sprintf("quote %s is %s", q.id, q.state), out)
	default:
		q.order = o
	}
}

func (c *COM) rejectOrder(o *order, reason string, out *engine.Out) {
	if lc.IsFinal(lc.ProductOrder, o.po.State) {
		return // cancelled before it could be rejected
	}
	for i := range o.po.Items {
		it := &o.po.Items[i]
		if lc.IsFinal(lc.ProductOrderItem, it.State) {
			continue
		}
		it.StateReason = reason
		out.Fire(c.machines, lc.ProductOrderItem, it.ID, "", &it.State, lc.Reject, reason, "COM")
		c.releaseHold(o, i, out)
	}
	out.Fire(c.machines, lc.ProductOrder, o.po.ID, "", &o.po.State, lc.Reject, reason, "COM")
	o.po.CompletionDate = out.Now()
	c.settle(o, out) // rejected as it came, it concerns no later input
}

// OrderApprovalKind is the kind of the record that a product order was
// approved with its quote (not a TMF622 state: a fact of the order).
const OrderApprovalKind = "orderApproval"

// validate checks the contract, then the customer's credit.
func (c *COM) validate(o *order, out *engine.Out) {
	if o.po.Approval == nil {
		// The order is approved with its quote (seed, timeline: "T+1 hr,
		// Enterprise approval completes, PO: approved").
		o.po.Approval = &tmf.OrderApproval{Quote: o.quote.id, At: out.Now()}
		out.Record(store.Record{Kind: OrderApprovalKind, Entity: o.po.ID, System: "Approval Workflow", To: lc.Approved,
			Event: "approve", Reason: "quote " + o.quote.id + " accepted"})
	}
	value, why := c.contractCheck(o)
	if why != "" {
		c.rejectOrder(o, "contract validation: "+why, out)
		return
	}
	ids := c.productIDs(o, &c.strs)
	if why := c.takenByOrder(o, ids); why != "" {
		c.rejectOrder(o, why, out) // a site in service already, or being made (sites.go)
		return
	}
	o.instances = ids
	for i, id := range ids {
		c.claim(o, i, id)
	}
	q := o.quote
	var quals []tmf.Ref // the items' tokens, in one array
	for i := range o.po.Items {
		it := &o.po.Items[i]
		if ql := q.quals[o.sites[i]]; len(it.Qualification) == 0 && ql != nil {
			// The item carries the feasibility token of its quote site;
			// revalidation replaces it with a fresh one.
			if quals == nil {
				quals = make([]tmf.Ref, len(o.po.Items))
			}
			quals[i] = tmf.Ref{ID: ql.Token, Name: "feasibility"}
			it.Qualification = quals[i : i+1 : i+1]
			if ql.Expires <= out.Now() {
				out.Record(store.Record{Kind: "feasibility", Entity: it.ID, Name: it.Place.ID, System: "COM",
					From: ql.Token, To: "expired", Event: "check", Reason: fmt.Sprintf(
						"feasibility token %s expired at %s: revalidation must confirm the site", ql.Token, tmf.FormatOffset(ql.Expires))})
			}
		}
	}
	c.call(out, port.Request{Key: o.po.ID + "/credit", System: port.Credit, Op: port.Check, Item: o.po.ID,
		Customer: q.req.Customer.ID, Account: q.req.Customer.Account, Amount: value}, then{Do: creditChecked, ID: o.po.ID})
}

// creditChecked takes the answer of an order's credit check.
func (c *COM) creditChecked(o *order, res *port.Result, out *engine.Out) {
	switch {
	case res.Err != nil:
		c.rejectOrder(o, "credit check: "+res.Err.Message, out)
	case !res.Approved:
		c.rejectOrder(o, "credit check: "+res.Reason, out)
	default:
		c.revalidate(o, out)
	}
}

// contractCheck validates the order against the quote and the catalog:
// rate card approved and current, term, SLA at every site, TCV. A site
// changed before validation (amended in place) is checked against its
// change: its tier, and the rate card's price for its speed, in the
// contract value. It returns the order's contract value, or what is wrong.
func (c *COM) contractCheck(o *order) (float64, string) {
	q := o.quote
	today := c.cfg.Epoch.Add(o.po.OrderDate).Format(time.DateOnly)
	if !q.card.Approved || !q.card.Current(today) {
		return 0, fmt.Sprintf("rate card %s is not approved and current on %s", q.card.ID, today)
	}
	bySite := map[string]int{}
	for i, s := range q.req.Sites {
		bySite[s.Code] = i
	}
	tcv, want := 0.0, q.tcv
	o.sites = make([]int, len(o.po.Items))
	for i, it := range o.po.Items {
		if it.QuoteItem == nil {
			return 0, fmt.Sprintf("item %s names no quote item", it.ID)
		}
		si, ok := bySite[it.QuoteItem.ID]
		if !ok {
			return 0, fmt.Sprintf("item %s: quote item %q is not a site of quote %s", it.ID, it.QuoteItem.ID, q.id)
		}
		o.sites[i] = si
		if rc := q.cardOf(si); rc != q.card && (!rc.Approved || !rc.Current(today)) {
			return 0, fmt.Sprintf("item %s: rate card %s is not approved and current on %s", it.ID, rc.ID, today)
		}
		if want := q.req.SiteOffering(si); it.ProductOffering.ID != want {
			return 0, fmt.Sprintf("item %s: product offering %q is not the quote's for site %s (%s)", it.ID, it.ProductOffering.ID, it.Place.ID, want)
		}
		if it.ItemTerm != q.req.Term {
			return 0, fmt.Sprintf("item %s: term %d months does not match the quote's %d", it.ID, it.ItemTerm, q.req.Term)
		}
		tier := q.req.SiteTier(si)
		if ch := o.changes[i]; ch != nil {
			tier = ch.tier
			want += (q.cardOf(si).PriceOf(ch.tier, ch.speed) - q.req.SiteMonthly(si)) * float64(q.req.Term)
		}
		if got := it.Characteristics.Get("slaTier"); got != tier || q.quals[si] == nil {
			return 0, fmt.Sprintf("item %s: SLA tier %q is not available at site %s", it.ID, got, it.Place.ID)
		}
		tcv += it.MonthlyPrice * float64(it.ItemTerm)
	}
	if len(o.po.Items) != len(q.req.Sites) {
		return 0, fmt.Sprintf("the order has %d items, the quote %d sites", len(o.po.Items), len(q.req.Sites))
	}
	if math.Abs(tcv-want) > 0.005 {
		amended := ""
		if want != q.tcv {
			amended = " as amended"
		}
		return 0, fmt.Sprintf("total contract value %.2f does not match the quote's %.2f%s", tcv, want, amended)
	}
	return want, ""
}

// revalidate re-qualifies every site (tokens may have expired) and holds
// its access capacity; the last to answer starts the order.
func (c *COM) revalidate(o *order, out *engine.Out) {
	o.waiting = len(o.po.Items)
	for i := range o.po.Items {
		c.revalidateItem(o, i, ordered, out)
	}
}

// revalidateItem re-qualifies one site and holds its capacity; what the
// answer leads to is after (afterRevalidation).
func (c *COM) revalidateItem(o *order, i int, after step, out *engine.Out) {
	q := o.quote
	it := &o.po.Items[i]
	o.attempts[i]++
	c.call(out, port.Request{Key: c.revalidation(o, i), System: port.Qualification,
		Op: port.Revalidate, Item: it.ID, Customer: q.req.Customer.ID, Site: it.Place.ID, Place: it.Place},
		then{Do: revalidated, ID: o.po.ID, Item: i, After: after})
}

// revalidation is the key of a site's latest revalidation.
func (c *COM) revalidation(o *order, i int) string {
	return c.strs.Join(o.po.Items[i].ID, "/revalidate/", strconv.Itoa(o.attempts[i]))
}

// releaseHold gives back what a site that ends without being built
// (cancelled, failed, rejected) held: the product id it claimed, which
// another order may take (sites.go), and the capacity its revalidation
// held: the hold is no longer used up by its bearer's reserve, and
// another site may take the capacity. A site never revalidated holds no
// capacity; one whose revalidation is still out gives it back when the
// answer comes (revalidated), as the hold may not be taken before then.
func (c *COM) releaseHold(o *order, i int, out *engine.Out) {
	c.unclaim(o, i)
	if o.attempts == nil || o.attempts[i] == 0 || c.isPending(c.revalidation(o, i)) {
		return
	}
	it := &o.po.Items[i]
	c.call(out, port.Request{Key: c.strs.Join(it.ID, "/release"), System: port.Qualification, Op: port.Release,
		Item: it.ID, Customer: o.quote.req.Customer.ID, Site: it.Place.ID, Place: it.Place}, then{Do: ignore})
}

// revalidated takes a site's revalidation. A site without capacity is
// held, and network planning is asked for it (seed, what-if: "network
// planning is engaged for OLT capacity expansion").
func (c *COM) revalidated(o *order, i int, after step, res *port.Result, out *engine.Out) {
	it := &o.po.Items[i]
	if lc.IsFinal(lc.ProductOrderItem, it.State) {
		// The site ended while its revalidation was out: what that held
		// is given back, and the site goes no further (nor does an order
		// that ended with it).
		c.releaseHold(o, i, out)
		if after != ordered || o.po.State == lc.Acknowledged {
			c.afterRevalidation(o, i, after, false, out)
		}
		return
	}
	if res.Err != nil {
		it.StateReason = res.Err.Message
		if it.State != lc.Held {
			out.Fire(c.machines, lc.ProductOrderItem, it.ID, "", &it.State, lc.Hold, it.StateReason, "COM")
		}
		if res.Err.Class == port.Exhausted {
			c.askPlanning(o, i, out)
		}
		c.afterRevalidation(o, i, after, false, out)
		return
	}
	it.Qualification = o.refs(1)[:1]
	it.Qualification[0] = tmf.Ref{ID: res.Qualification.Token, Name: "feasibility"}
	o.quote.quals[o.sites[i]] = res.Qualification
	c.afterRevalidation(o, i, after, true, out)
}

// askPlanning raises a network-planning task for a held site; when the
// capacity is built the site is revalidated and, with its capacity held,
// rolled out in a wave of its own after the others.
func (c *COM) askPlanning(o *order, i int, out *engine.Out) {
	it := &o.po.Items[i]
	c.tasksRaised++
	t := &task{n: c.tasksRaised, id: c.id("TASK"), name: "network planning for " + it.ID + " (" + it.Place.ID + ")", state: lc.Initial(lc.Task), since: out.Now()}
	c.tasks[t.n] = t
	o.tasks[i] = t
	out.Created(lc.Task, t.id, t.name, t.state, "COM → Network Planning")
	c.watchHeld(o, i, t, out)
	c.call(out, port.Request{Key: t.id, System: port.Planning, Op: port.Plan, Item: t.id,
		Customer: o.quote.req.Customer.ID, Site: it.Place.ID, Place: it.Place},
		then{Do: planned, ID: o.po.ID, Item: i, Task: t.n})
}

// planned takes network planning's answer: the capacity of a held site is
// built, and the site is revalidated.
func (c *COM) planned(o *order, i int, t *task, out *engine.Out) {
	if t.state != lc.Requested {
		return // cancelled meanwhile
	}
	out.Fire(c.machines, lc.Task, t.id, t.name, &t.state, lc.Fulfil, "capacity built", "Network Planning → COM")
	c.revalidateItem(o, i, planned, out)
}

// resumeBuilt resumes a held site whose capacity was built and is now
// held for it, in a late wave.
func (c *COM) resumeBuilt(o *order, i int, ok bool, out *engine.Out) {
	it := &o.po.Items[i]
	if !ok || it.State != lc.Held || o.po.State != lc.InProgress {
		return
	}
	it.StateReason = ""
	if out.Fire(c.machines, lc.ProductOrderItem, it.ID, "", &it.State, lc.Resume, "capacity available", "COM") {
		c.addToLateWave(o, i, out)
		c.releaseNext(o, out)
	}
}

// start puts the order in progress and decomposes it into waves.
func (c *COM) start(o *order, out *engine.Out) {
	if !out.Fire(c.machines, lc.ProductOrder, o.po.ID, "", &o.po.State, lc.Start, "", "COM → SOM") {
		return
	}
	for i := range o.po.Items {
		it := &o.po.Items[i]
		if it.State == lc.Acknowledged {
			out.Fire(c.machines, lc.ProductOrderItem, it.ID, "", &it.State, lc.Start, "", "COM")
		}
	}
	c.plan(o, out)
	c.releaseNext(o, out)
}

// inFlight tells whether a change of site is in flight.
func (o *order) inFlight(site string) bool { return slices.Contains(o.changing, site) }

// startChange marks a change of site in flight.
func (o *order) startChange(site string) {
	if !o.inFlight(site) {
		o.changing = append(o.changing, site)
	}
}

// endChange marks the change of site done.
func (o *order) endChange(site string) {
	o.changing = slices.DeleteFunc(o.changing, func(s string) bool { return s == site })
	if len(o.changing) == 0 {
		o.changing = nil
	}
}

package com

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// A finished product order leaves COM's memory after Config.Retention,
// once nothing about it can still arrive: the order is final, every wave
// of it and every change order of it has ended, no call of it waits for an
// answer, no planning task of it is open. COM then sets a retire timer;
// when it fires, COM shelves the order (store.Shelf, committed with the
// step) and lets it go, with its quote, its waves, its service order
// items, its change orders and the product instances its items became
// (each shelved as a product too, for the inventory API); they come back
// with it.
//
// A request about an order that left memory (a change or disconnect of an
// active site, a site added, a cancellation) takes it back from the shelf
// first (Out.Unshelve, which the input log keeps, so a replay takes it
// back as it ran) and is then carried out as if it had stayed: refused as
// it would be, or changing it; the order leaves again once it is quiet.
// COM remembers nothing of each order that left memory: a request naming
// an order not in memory looks for it on the shelf (Out.Unshelve), which
// keeps the order as it left, with how many times it left (its version).
// What COM keeps does not grow with the orders it ever finished.

// retire is COM's own timer: a finished order leaves memory.
type retire struct{ Order string }

// ShelfKind is the kind of a product order on the store's shelf (rollout
// and change orders alike); QuoteShelfKind that of a quote.
const (
	ShelfKind      = "productOrder"
	QuoteShelfKind = "quote"
	// AwaitingShelfKind is that of what COM keeps to take back a quote
	// that left memory accepted, waiting for its order (awaiting).
	AwaitingShelfKind = "quoteAwaitingOrder"
	ProductShelfKind  = "product"
	// JeopardyShelfKind is that of a jeopardy raised on a product order
	// (JeopardyPrefix and its number: JEO-C007, as on the worklist).
	JeopardyShelfKind = "productOrderJeopardy"
	JeopardyPrefix    = "JEO-C"
)

// shelvers encode what COM shelves, one per type.
type shelvers struct{ orders, quotes, awaiting, products, qualifications engine.Shelver }

// retiredOrder is what COM remembered of each order that left memory, in
// the snapshots of an earlier build (comState.Retired).
type retiredOrder struct {
	ID      string
	Version int
	State   string
}

// shelved is a product order's body on the shelf: the order as the API
// shows it and, for a rollout, what COM needs to take it back.
type shelved struct {
	PO      tmf.ProductOrder
	Version int
	Order   *orderState
	Quote   *quoteState
	// Waves are the rollout's waves as they ended; Products the product
	// instances its items became.
	Waves    []WaveView
	Products []tmf.Product
	// Changes are what became of the order's keyed change requests;
	// Tasks the network-planning tasks raised for its sites.
	Changes []change
	Tasks   []taskState
}

// Shelved decodes a product order COM shelved (a store.Doc's body).
func Shelved(body []byte) (*tmf.ProductOrder, error) {
	po, _, err := ShelvedRollout(body)
	return po, err
}

// ShelvedOrder is a product order read from the shelf with its rollout
// plan as it ended (see Plan).
type ShelvedOrder struct {
	PO   *tmf.ProductOrder
	Plan []tmf.PlannedWave
}

// ShelvedWithPlan decodes a product order COM shelved, with its plan.
func ShelvedWithPlan(body []byte) (ShelvedOrder, error) {
	po, waves, err := ShelvedRollout(body)
	if err != nil {
		return ShelvedOrder{}, err
	}
	return ShelvedOrder{PO: po, Plan: plannedWaves(waves)}, nil
}

// ShelvedRollout decodes a product order COM shelved (a store.Doc's body)
// with the views of its waves, none for a change order.
func ShelvedRollout(body []byte) (*tmf.ProductOrder, []WaveView, error) {
	var s shelved
	if err := engine.DecodeDoc(body, &s); err != nil {
		return nil, nil, fmt.Errorf("product order on the shelf: %w", err)
	}
	return &s.PO, s.Waves, nil
}

// ShelvedProduct decodes a product instance COM shelved.
func ShelvedProduct(body []byte) (*tmf.Product, error) {
	var p tmf.Product
	if err := engine.DecodeDoc(body, &p); err != nil {
		return nil, fmt.Errorf("product on the shelf: %w", err)
	}
	return &p, nil
}

// ShelvedQuote decodes a quote COM shelved.
func ShelvedQuote(body []byte) (QuoteView, error) {
	var v QuoteView
	if err := engine.DecodeDoc(body, &v); err != nil {
		return v, fmt.Errorf("quote on the shelf: %w", err)
	}
	return v, nil
}

// ShelfOrd is the place of a product order in the order they are listed
// (Orders): rollouts by their number, change orders after them by theirs.
func ShelfOrd(po *tmf.ProductOrder) uint64 {
	if n := strings.LastIndexAny(po.ID, "MD"); n > 0 && n+1 < len(po.ID) && po.ID[n-1] == '-' &&
		(po.Category == "modify" || po.Category == "disconnect") {
		k, _ := strconv.ParseUint(po.ID[n+1:], 10, 40)
		return 1<<48 + k
	}
	return tmf.SeqOf(po.ID)
}

// itemIDs are the ids of a product order's items.
func itemIDs(po *tmf.ProductOrder) []string {
	return tmf.IDsOf(po.Items, func(it *tmf.ProductOrderItem) string { return it.ID })
}

// caller is the order a continuation concerns, counted while its call
// waits (order.calls), or nil.
func (c *COM) caller(k then) *order {
	switch k.Do {
	case creditChecked, revalidated, planned:
		return c.orderBy[k.ID]
	case measured:
		if w := c.waves[k.Wave]; w != nil {
			return w.order
		}
	}
	return nil
}

// concerns is the order a message to COM is about, when one is.
func (c *COM) concerns(msg any) *order {
	switch m := msg.(type) {
	case *tmf.OrderEvent:
		if w := c.waves[m.Handle]; w != nil {
			return w.order
		}
	case Cancel:
		return c.findOrder(m.Order)
	case Change:
		return c.findOrder(m.Order)
	case Remove:
		return c.findOrder(m.Order)
	case Remediate:
		return c.findOrder(m.Order)
	case AddSite:
		return c.findOrder(m.Order)
	case heldDue:
		return c.orderBy[m.Order]
	}
	return nil
}

// settle sets the retire timer of an order that has become quiet.
func (c *COM) settle(o *order, out *engine.Out) {
	if o == nil || c.cfg.Retention <= 0 || o.retiring || !c.quiet(o) {
		return
	}
	o.retiring = true
	out.Send(engine.COM, engine.RetireAfter(out.Now(), c.cfg.Retention), retire{o.po.ID})
}

// quiet tells whether nothing about an order can still arrive.
func (c *COM) quiet(o *order) bool {
	if !lc.IsFinal(lc.ProductOrder, o.po.State) || o.calls > 0 || len(o.changing) > 0 || (o.quote != nil && o.quote.calls > 0) {
		return false
	}
	for _, w := range o.waves {
		if !lc.IsFinal(lc.Wave, w.state) {
			return false
		}
	}
	for _, t := range o.tasks {
		if t != nil && t.state == lc.Requested {
			return false
		}
	}
	for _, d := range o.deferred {
		if d != nil {
			return false
		}
	}
	for _, m := range c.modifies {
		if m.base == o && (!lc.IsFinal(lc.ProductOrder, m.po.State) || (m.wave != nil && !lc.IsFinal(lc.Wave, m.wave.state))) {
			return false
		}
	}
	return true
}

// retire lets a finished order leave memory.
func (c *COM) retire(m retire, out *engine.Out) {
	o := c.orderBy[m.Order]
	if o == nil {
		return
	}
	o.retiring = false
	if !c.quiet(o) {
		return // it moved again: what ends it next sets the timer again
	}
	q := o.quote
	if q == nil {
		c.retireUnquoted(o, out)
		return
	}
	o.version++
	party := q.req.Customer.ID
	state, quoteState := saveOrder(o, -1), c.saveQuote(q, -1)
	var products []tmf.Product
	for i := range o.po.Items {
		if it := &o.po.Items[i]; it.ProductInstance != nil {
			if p := c.Products.Get(it.ProductInstance.ID); p != nil && (p.ProductOrder == "" || p.ProductOrder == o.po.ID) {
				products = append(products, *p) // not a later order's, of its site ordered again (sites.go)
			}
		}
	}
	changes := make([]change, 0, len(o.keys))
	for _, k := range o.keys {
		changes = append(changes, change{Key: k, Changed: c.changes[k]})
	}
	var tasks []taskState
	for _, t := range o.tasks {
		if t != nil {
			tasks = append(tasks, saveTask(t))
		}
	}
	body, err := c.shelvers.orders.Encode(&shelved{PO: o.po, Version: o.version, Order: &state, Quote: &quoteState,
		Waves: o.appendWaves(nil), Products: products, Changes: changes, Tasks: tasks})
	if err != nil {
		out.Error(fmt.Errorf("COM: shelve %s: %w", o.po.ID, err))
		return
	}
	for k := range products {
		p := &products[k]
		head, b, err := c.shelvers.products.Doc(p)
		if err != nil {
			out.Error(fmt.Errorf("COM: shelve %s: %w", p.ID, err))
			return
		}
		out.Shelve(store.Doc{Kind: ProductShelfKind, ID: p.ID, Ord: p.Ord, Party: party, Head: head, Body: b})
	}
	if err := out.ShelveJeopardies(JeopardyShelfKind, JeopardyPrefix, party, o.jeopardies); err != nil {
		out.Error(fmt.Errorf("COM: shelve %s: %w", o.po.ID, err))
		return
	}
	out.Shelve(store.Doc{Kind: ShelfKind, ID: o.po.ID, Ord: ShelfOrd(&o.po), Party: party, Body: body,
		Items: append(itemIDs(&o.po), o.placedBy...)})
	if !c.shelveAlone(&c.shelvers.quotes, QuoteShelfKind, q.id, party, q.view(), out, q.placedBy()...) {
		return
	}
	if q.state == lc.Accepted && !c.shelveAlone(&c.shelvers.awaiting, AwaitingShelfKind, q.id, party, &awaiting{Quote: &quoteState, OrderedBy: o.po.ID}, out) {
		return // a later order finds it ordered (takeBackQuote)
	}
	c.modifies = slices.DeleteFunc(c.modifies, func(m *modification) bool {
		if m.base != o {
			return false
		}
		c.shelveOrderAlone(&m.po, party, out)
		if m.wave != nil {
			c.dropWave(m.wave)
		}
		return true
	})
	for _, w := range o.waves {
		c.dropWave(w)
	}
	for k := range products {
		c.Products.Remove(products[k].ID)
	}
	for _, k := range o.keys {
		delete(c.changes, k)
	}
	for _, t := range tasks {
		delete(c.tasks, t.N)
	}
	c.ops.Forget(o.itemIDs)
	c.keysLeave(o.placedBy...)
	c.keysLeave(q.placedBy()...)
	c.retired++
	c.lastRetired = o.po.ID
	c.shelvedStates[o.po.State]++
	delete(c.orderBy, o.po.ID)
	c.orders.Remove(o)
	delete(c.quoteBy, q.id)
	c.quotes.Remove(q)
}

// A quote rejected before any order was placed for it leaves memory a
// retention later on its own (one with an order leaves with the order),
// shelved as the API shows it; an order placed for it later finds it on
// the shelf and is rejected as it would have been (submitOrder). A quote
// accepted and waiting for its order leaves the same way, and with it
// what COM needs to take it back (awaiting, of AwaitingShelfKind): the
// order placed for it later takes it back from the shelf and goes on as
// if it had stayed (takeBackQuote). So quotes that are never
// ordered, most of them in a live service, do not stay in memory.

// retireQuote is COM's own timer: a quote rejected without an order, or
// accepted and waiting for one, leaves memory.
type retireQuote struct{ ID string }

// awaiting is a doc of AwaitingShelfKind: the state of a quote that left
// memory accepted, waiting for its order, or, once OrderedBy is set, with
// the order that carried it out (a later one is rejected).
type awaiting struct {
	Quote     *quoteState
	OrderedBy string `json:",omitempty"`
}

// retireQuote shelves the quote m names and lets it go, unless an order
// came for it meanwhile; it waits another retention for a call of the
// quote still in flight.
func (c *COM) retireQuote(m retireQuote, out *engine.Out) {
	q := c.quoteBy[m.ID]
	if q == nil || q.order != nil || q.state != lc.Rejected && q.state != lc.Accepted {
		return
	}
	if q.calls > 0 {
		out.Send(engine.COM, engine.RetireAfter(out.Now(), c.cfg.Retention), m)
		return
	}
	if q.state == lc.Accepted {
		st := c.saveQuote(q, -1)
		if !c.shelveAlone(&c.shelvers.awaiting, AwaitingShelfKind, q.id, q.req.Customer.ID, &awaiting{Quote: &st}, out) {
			return
		}
	}
	if !c.shelveAlone(&c.shelvers.quotes, QuoteShelfKind, q.id, q.req.Customer.ID, q.view(), out, q.placedBy()...) {
		return
	}
	c.keysLeave(q.placedBy()...)
	delete(c.quoteBy, q.id)
	c.quotes.Remove(q)
}

// takeBackQuote takes back from the shelf the accepted quote id that left
// memory waiting for its order, for an order now placed for it: nil when
// the shelf has none (no such quote, or one that did not leave so). A
// quote gone again with the order that carried it out comes back for no
// other: orderedBy names that order (and q is nil), as an accepted quote
// in memory takes one order. Nothing marks it taken on the shelf as it is
// taken back: the shelf is written before the journal commits, and a
// crash between the two would leave the mark without the order, whose
// retry would then find no quote; its order marks it as they leave
// memory together.
func (c *COM) takeBackQuote(id string, out *engine.Out) (q *quote, orderedBy string) {
	if c.cfg.Retention <= 0 {
		return nil, ""
	}
	body, ok := out.Unshelve(AwaitingShelfKind, id)
	if !ok {
		return nil, ""
	}
	var a awaiting
	if err := engine.DecodeDoc(body, &a); err != nil || a.Quote == nil || a.Quote.ID != id {
		return nil, ""
	}
	if a.OrderedBy != "" {
		return nil, a.OrderedBy
	}
	q, err := c.loadQuote(a.Quote)
	if err != nil {
		out.Error(fmt.Errorf("COM: take back quote %s: %w", id, err))
		return nil, ""
	}
	c.quotes.Add(0, q)
	c.quoteBy[q.id] = q
	return q, ""
}

// shelveAlone shelves view, what the API shows of entity id of kind that
// leaves memory on its own, encoded by s, listing the idempotency keys it
// was placed by; false when view cannot be encoded (the step's error).
func (c *COM) shelveAlone(s *engine.Shelver, kind, id, party string, view any, out *engine.Out, keys ...string) bool {
	body, err := s.Encode(view)
	if err != nil {
		out.Error(fmt.Errorf("COM: shelve %s: %w", id, err))
		return false
	}
	out.Shelve(store.Doc{Kind: kind, ID: id, Ord: tmf.SeqOf(id), Party: party, Body: body, Items: keys})
	return true
}

// shelveOrderAlone shelves po, of party, as the API shows it and nothing
// to take it back by (a change order, or an order that never had a
// quote), and counts it among the product orders on the shelf; false
// when it cannot be encoded (the step's error).
func (c *COM) shelveOrderAlone(po *tmf.ProductOrder, party string, out *engine.Out, keys ...string) bool {
	body, err := c.shelvers.orders.Encode(&shelved{PO: *po})
	if err != nil {
		out.Error(fmt.Errorf("COM: shelve %s: %w", po.ID, err))
		return false
	}
	out.Shelve(store.Doc{Kind: ShelfKind, ID: po.ID, Ord: ShelfOrd(po), Party: party, Body: body, Items: append(itemIDs(po), keys...)})
	c.shelvedStates[po.State]++
	return true
}

// shelvedQuote is the quote with id on the shelf, for an order that names
// a quote not in memory; ok is false when the shelf has none (or no quote
// can have left memory).
func (c *COM) shelvedQuote(id string, out *engine.Out) (v QuoteView, ok bool) {
	if c.cfg.Retention <= 0 {
		return v, false
	}
	body, ok := out.Unshelve(QuoteShelfKind, id)
	if !ok {
		return v, false
	}
	v, err := ShelvedQuote(body)
	return v, err == nil
}

// retireUnquoted lets an order that never had a quote leave memory (it
// was rejected as it came: it named none, or one COM does not know).
// Shelved as the API shows it, like a change order, it never comes back:
// nothing can be done to it.
func (c *COM) retireUnquoted(o *order, out *engine.Out) {
	party := ""
	if i := slices.IndexFunc(o.po.RelatedParty, func(r tmf.Ref) bool { return r.Role == "customer" }); i >= 0 {
		party = o.po.RelatedParty[i].ID
	}
	if !c.shelveOrderAlone(&o.po, party, out, o.placedBy...) {
		return
	}
	c.keysLeave(o.placedBy...)
	delete(c.orderBy, o.po.ID)
	c.orders.Remove(o)
}

// Retired counts the product orders that left memory by state, change
// orders included.
func (c *COM) Retired() map[string]int { return maps.Clone(c.shelvedStates) }

// itemIDs yields the ids of the worklist items o may have had: its
// planning tasks, its waves, its jeopardies.
func (o *order) itemIDs(yield func(string) bool) {
	for _, t := range o.tasks {
		if t != nil && !yield(t.id) {
			return
		}
	}
	for _, w := range o.waves {
		if !yield(w.id) {
			return
		}
	}
	for _, j := range o.jeopardies {
		if !yield(j.ID(JeopardyPrefix)) {
			return
		}
	}
}

// The idempotency keys of what leaves memory (an order's Idempotency-Key
// and externalId, its quote's, a qualification's) leave with it: its doc
// on the shelf lists them among its items (the key as COM.byKey has it,
// "order K", "quote K", "qualification K"), and a request whose key is not
// in memory looks for the doc that lists it (Out.ShelvedOwner, a read the
// input log keeps, so a replay answers as the run did). A request sent
// again with its key, however late, is answered with what the first placed
// (docs/api.md, "Idempotency"), and COM's memory does not grow with the
// keyed requests it ever took.

// placed is the id of what key placed (of kind, on the shelf), "" for
// none: in memory, else, once a key has left memory, on the shelf, unless
// the keys that left say it is not among them.
func (c *COM) placed(kind, key string, out *engine.Out) string {
	if id := c.byKey[key]; id != "" || c.keysShelved == 0 {
		return id
	}
	if c.keysFiltered && !c.shelvedKeys.mayHold(key) {
		return ""
	}
	id, _ := out.ShelvedOwner(kind, key)
	return id
}

// keysLeave lets keys go from memory: the doc shelved in this step of what
// they placed lists them.
func (c *COM) keysLeave(keys ...string) {
	for _, k := range keys {
		if _, ok := c.byKey[k]; ok {
			delete(c.byKey, k)
			c.keysShelved++
			if c.keysFiltered {
				c.shelvedKeys.add(k)
			}
		}
	}
}

// placedBy is the idempotency key the quote was placed by, as COM.byKey
// has it: none or one.
func (q *quote) placedBy() []string {
	if q.req.Key == "" {
		return nil
	}
	return []string{"quote " + q.req.Key}
}

// dropWave lets a wave of an order leaving memory go, with its service
// order items.
func (c *COM) dropWave(w *wave) {
	for _, h := range w.sois {
		delete(c.sois, h)
	}
	delete(c.waves, w.handle)
}

// unshelve takes an order that left memory back from the store's shelf,
// for a request about it; it says why not when it cannot.
func (c *COM) unshelve(id string, out *engine.Out) (why string) {
	if id == "" && c.orders.Len() == 0 && c.retired == 1 {
		id = c.lastRetired
	}
	if id == "" || c.retired == 0 || c.findOrder(id) != nil {
		return "" // in memory, or no such order: the request says which
	}
	body, ok := out.Unshelve(ShelfKind, id)
	if !ok {
		return ""
	}
	var s shelved
	switch err := engine.DecodeDoc(body, &s); {
	case err != nil:
		return "the order on the store's shelf cannot be read: " + err.Error()
	case s.Order == nil || s.Quote == nil:
		return "" // a change order: it never comes back
	case s.PO.ID != id:
		return fmt.Sprintf("the store's shelf has %s for %s", s.PO.ID, id)
	}
	if _, err := c.takeBack(&s); err != nil {
		return "the order cannot be taken back from the store's shelf: " + err.Error()
	}
	c.retired--
	if c.shelvedStates[s.PO.State]--; c.shelvedStates[s.PO.State] == 0 {
		delete(c.shelvedStates, s.PO.State)
	}
	return ""
}

// takeBack puts an order and its quote back in memory from the shelf:
// its waves and service order items, all ended, stay out (their views
// come back, order.ended), and so does a product of it whose place a
// later order's took (superseded).
func (c *COM) takeBack(s *shelved) (*order, error) {
	q, err := c.loadQuote(s.Quote)
	if err != nil {
		return nil, err
	}
	st := s.Order
	o := c.loadOrder(st, q)
	o.ended = s.Waves
	o.waveOf = make([]*wave, len(st.WaveOf))
	for _, t := range s.Tasks {
		c.tasks[t.N] = loadTask(t)
	}
	o.tasks = make([]*task, len(st.Tasks))
	for k, n := range st.Tasks {
		o.tasks[k] = c.tasks[n] // an order shelved by an earlier build: its tasks stayed in memory
	}
	for k := range s.Products {
		if p := &s.Products[k]; !c.superseded(p) {
			c.Products.Put(p.ID, p)
		}
	}
	for _, ch := range s.Changes {
		c.changes[ch.Key] = ch.Changed
	}
	q.order = o
	c.quotes.Add(0, q)
	c.quoteBy[q.id] = q
	c.orders.Add(0, o)
	c.orderBy[o.po.ID] = o
	return o, nil
}

// answered counts the final answer of a call, refused or not.
func (c *COM) answered(k then, delta int) {
	if o := c.caller(k); o != nil {
		o.calls += delta
	}
	if q := c.quoteOf(k); q != nil {
		q.calls += delta
	}
}

// quoteOf is the quote a continuation concerns, or nil.
func (c *COM) quoteOf(k then) *quote {
	switch k.Do {
	case quoteQualified, reviewed:
		return c.quoteBy[k.ID]
	}
	return nil
}

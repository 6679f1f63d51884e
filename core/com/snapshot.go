package com

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// A snapshot of COM (engine.Snapshotter) keeps every quote, order, wave,
// service order item, modification, qualification and planning task, the
// continuations of the calls in flight, the product inventory, the
// jeopardies, the idempotency keys and the sites in service. Pointers
// between them are saved as indexes (an order's quote, a wave's order, a
// handle's wave), maps as slices sorted by key, so that the encoding is
// deterministic; the catalog's entries are saved by id and looked up
// again. What is rebuilt on Restore: the maps by id, the product ids the
// items in flight are making, and everything Config gives.

// comState is COM's state with indexes for pointers.
type comState struct {
	Quotes         []quoteState
	Orders         []orderState
	Waves          []waveState
	Sois           []soiState
	Modifies       []modificationState
	Tasks          []taskState
	TasksRaised    int
	Qualifications []qualificationState
	Pending        []pendingCall
	Products       []tmf.Product
	// Jeopardies are every alert raised, in a snapshot of an earlier
	// build; now each order keeps its own (orderState.Jeopardies) and
	// Raised counts them.
	Jeopardies    []tmf.Jeopardy
	Raised        int
	Modifications int
	Next          []counter
	ByKey         []keyed
	// KeysShelved counts the keys that left memory with what they placed;
	// ShelvedKeys holds them (keyfilter.go) when KeysFiltered. A snapshot
	// of an earlier build has no filter: a key not in memory is then
	// looked up on the shelf, as that build did.
	KeysShelved  int
	ShelvedKeys  keyFilterState
	KeysFiltered bool
	Changes      []change
	// WaveHandles and SoiHandles count the handles given; RetiredN
	// counts the rollout orders that left memory, LastRetired names the
	// latest; Retired listed each, in a snapshot of an earlier build.
	WaveHandles, SoiHandles int
	RetiredN                int
	LastRetired             string
	Retired                 []retiredOrder
	ShelvedStates           []counter
	// Operator is what people did on COM's worklist.
	Operator operator.Saved
	// InService are the ids of the products not terminated (sites.go);
	// SitesIndexed marks a snapshot that keeps them (an earlier build's
	// kept no index).
	InService    []string
	SitesIndexed bool
}

type quoteState struct {
	Req      QuoteRequest
	ID       string
	State    string
	Offering string
	Tier     string
	Card     string
	Quals    []*port.QualificationResult
	QualErr  []string
	Waiting  int
	Stage    int
	Approval []Approval
	TCV      float64
	Monthly  float64
	Reason   string
	Order    int // index in Orders, -1 for none
	// Common are the variables every site of the quote shares, as the
	// quote works them out (quote.Var): a load works them out again.
	Common    []keyed
	Digest    string
	KeyDigest string
	Calls     int
	Created   time.Duration
}

type orderState struct {
	PO        tmf.ProductOrder
	Quote     int
	Sites     []int
	Instances []string
	SoiLeft   []int
	Waves     []int // handles
	Waiting   int
	Final     int
	Attempts  []int
	WaveOf    []int // handles, -1 for none
	Tasks     []int // task numbers, 0 for none
	Changes   []optionalChange
	Deferred  []optionalChange
	Changing  string // before several changes in flight: the one site
	// ChangingSites are the sites whose change is in flight.
	ChangingSites []string
	Removed       []bool
	Calls         int
	Retiring      bool
	Version       int
	Ended         []WaveView
	// Keys are the keys of the order's keyed change requests, in the
	// order taken: what became of each leaves memory with the order.
	// PlacedBy are the idempotency keys it was placed by.
	Keys     []string
	PlacedBy []string
	// KeyDigest is the digest of the request a key placed it by.
	KeyDigest string
	// Jeopardies are the alerts raised on the order.
	Jeopardies []tmf.Jeopardy
}

// pendingState is a pendingItem: its CFS by id.
type pendingState struct {
	Handle int
	CFS    string
	Chars  tmf.Characteristics
}

type optionalChange struct {
	Set                     bool
	Speed, Tier             string
	ExternalID, Description string
}

type waveState struct {
	Handle     int
	Order      int
	ID         string
	Name       string
	SOName     string
	ExternalID string
	State      string
	Target     time.Duration
	Items      []int
	SO         *tmf.ServiceOrder
	// Pending are the items of SO, not released yet (wave.pending); a
	// snapshot of an earlier build has them in SO.
	Pending     []pendingState
	SOID        string
	SOState     string
	SLABreach   string
	Measuring   int
	ReleasedBy  string
	Late        bool
	Modify      int // index in Modifies, -1 for none
	Active      int
	CreatedAt   time.Duration
	SubmittedAt time.Duration
	CompletedAt time.Duration
	Blocked     string
	BlockedAt   time.Duration
	ForcedBy    string
}

type soiState struct {
	Handle int
	Order  int
	Item   int
	Wave   int
	ID     string
	Final  bool
	Modify int
}

type modificationState struct {
	PO         tmf.ProductOrder
	Base       int
	Item       int
	Speed      string
	Tier       string
	Price      float64
	Disconnect bool
	Left       int
	Failed     string
}

type qualificationState struct {
	ID      string
	Req     Qualify
	State   string
	Items   []QualifiedItem
	Waiting int
	At      time.Duration
	Done    time.Duration
}

type taskState struct {
	ID, Name, State string
	Since           time.Duration
	// N is the task's number (task.n); 0 in a snapshot of an earlier
	// build, which kept every task and named it by its place, from 1.
	N int
}

// saveTask is t's state.
func saveTask(t *task) taskState { return taskState{t.id, t.name, t.state, t.since, t.n} }

// loadTask is the task of state s.
func loadTask(s taskState) *task { return &task{s.N, s.ID, s.Name, s.State, s.Since} }

type pendingCall struct {
	Key  string
	Then then
}

type counter struct {
	Prefix string
	N      int
}

type keyed struct{ Key, Value string }

type change struct {
	Key     string
	Changed Changed
}

// sorted returns m's entries sorted by key, made by entry.
func sorted[V, E any](m map[string]V, entry func(string, V) E) []E {
	out := make([]E, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, entry(k, m[k]))
	}
	return out
}

// indexes maps each element of s to its index: a snapshot saves pointers
// as indexes, looked up in it (a search of s for each would make a
// snapshot's time grow with the square of the orders in flight).
type indexes[T any] map[*T]int

func indexesOf[T any](s []*T) indexes[T] {
	m := make(indexes[T], len(s))
	for i, p := range s {
		m[p] = i
	}
	return m
}

// of returns the index of p, -1 for nil (or for one not in the slice).
func (m indexes[T]) of(p *T) int {
	if i, ok := m[p]; ok && p != nil {
		return i
	}
	return -1
}

// Snapshot implements engine.Snapshotter.
func (c *COM) Snapshot() ([]byte, error) { return c.AppendState(nil) }

// AppendState implements engine.StateAppender: Snapshot's state, appended
// to buf.
func (c *COM) AppendState(buf []byte) ([]byte, error) {
	st := comState{Modifications: c.modifications, Raised: c.raised,
		Next:     sorted(c.next, func(k string, v int) counter { return counter{k, v} }),
		ByKey:    sorted(c.byKey, func(k, v string) keyed { return keyed{k, v} }),
		Changes:  sorted(c.changes, func(k string, v Changed) change { return change{k, v} }),
		Pending:  sorted(c.pending, func(k string, v then) pendingCall { return pendingCall{k, v} }),
		RetiredN: c.retired, LastRetired: c.lastRetired, KeysShelved: c.keysShelved,
		ShelvedKeys: c.shelvedKeys.save(), KeysFiltered: c.keysFiltered,
		WaveHandles: c.waveHandles, SoiHandles: c.soiHandles,
		ShelvedStates: sorted(c.shelvedStates, func(k string, v int) counter { return counter{k, v} }),
		Operator:      c.ops.Save(), InService: c.saveSites(), SitesIndexed: true}
	inOrders, inQuotes := c.orders.Slice(), c.quotes.Slice()
	orders, quotes, modifies := indexesOf(inOrders), indexesOf(inQuotes), indexesOf(c.modifies)
	st.Tasks = make([]taskState, 0, len(c.tasks))
	for _, n := range slices.Sorted(maps.Keys(c.tasks)) {
		st.Tasks = append(st.Tasks, saveTask(c.tasks[n]))
	}
	st.TasksRaised = c.tasksRaised
	st.Quotes = make([]quoteState, 0, len(inQuotes))
	for _, q := range inQuotes {
		st.Quotes = append(st.Quotes, c.saveQuote(q, orders.of(q.order)))
	}
	st.Orders = make([]orderState, 0, len(inOrders))
	for _, o := range inOrders {
		st.Orders = append(st.Orders, saveOrder(o, quotes.of(o.quote)))
	}
	st.Waves = make([]waveState, 0, len(c.waves))
	for _, h := range slices.Sorted(maps.Keys(c.waves)) {
		w := c.waves[h]
		st.Waves = append(st.Waves, waveState{Handle: h, Order: orders.of(w.order), ID: w.id, Name: w.name, SOName: w.soName,
			ExternalID: w.externalID, State: w.state, Target: w.target, Items: w.items, SO: w.so, Pending: savePending(w.pending), SOID: w.soID,
			SOState: w.soState, SLABreach: w.slaBreach, Measuring: w.measuring, ReleasedBy: w.releasedBy, Late: w.late,
			Modify: modifies.of(w.modify), Active: w.active, CreatedAt: w.createdAt, SubmittedAt: w.submittedAt, CompletedAt: w.completedAt,
			Blocked: w.blocked, BlockedAt: w.blockedAt, ForcedBy: w.forcedBy})
	}
	st.Sois = make([]soiState, 0, len(c.sois))
	for _, h := range slices.Sorted(maps.Keys(c.sois)) {
		r := c.sois[h]
		st.Sois = append(st.Sois, soiState{Handle: h, Order: orders.of(r.o), Item: r.item, Wave: handleOf(r.wave), ID: r.id,
			Final: r.final, Modify: modifies.of(r.modify)})
	}
	st.Modifies = make([]modificationState, 0, len(c.modifies))
	for _, m := range c.modifies {
		st.Modifies = append(st.Modifies, modificationState{PO: m.po, Base: orders.of(m.base), Item: m.item,
			Speed: m.to.speed, Tier: m.to.tier, Price: m.price, Disconnect: m.disconnect, Left: m.left, Failed: m.failed})
	}
	st.Qualifications = make([]qualificationState, 0, len(c.qualifications))
	for _, q := range c.qualifications {
		st.Qualifications = append(st.Qualifications, qualificationState{ID: q.id, Req: q.req, State: q.state,
			Items: q.items, Waiting: q.waiting, At: q.at, Done: q.done})
	}
	products := c.Products.All()
	st.Products = make([]tmf.Product, len(products))
	for i, p := range products {
		st.Products[i] = *p
	}
	b, err := engine.AppendState(buf, &st)
	if err != nil {
		return nil, fmt.Errorf("COM: %w", err)
	}
	return b, nil
}

// handleOf is a wave's handle, -1 for none.
func handleOf(w *wave) int {
	if w == nil {
		return -1
	}
	return w.handle
}

// saveQuote is a quote's state, order the index of its order.
func (c *COM) saveQuote(q *quote, order int) quoteState {
	return quoteState{Req: q.req, ID: q.id, State: q.state, Offering: q.offering.ID,
		Tier: q.tier.Name, Card: q.card.ID, Quals: q.quals, QualErr: q.qualErr, Waiting: q.waiting, Stage: q.stage,
		Approval: q.approval, TCV: q.tcv, Monthly: q.monthly, Reason: q.reason, Order: order,
		Common: q.common(), Digest: q.digest, KeyDigest: q.keyDigest, Calls: q.calls, Created: q.created}
}

// saveOrder is an order's state, quote the index of its quote.
func saveOrder(o *order, quote int) orderState {
	s := orderState{PO: o.po, Quote: quote, Sites: o.sites, Instances: o.instances,
		SoiLeft: o.soiLeft, Waiting: o.waiting, Final: o.final, Attempts: o.attempts, ChangingSites: o.changing, Removed: o.removed,
		Calls: o.calls, Retiring: o.retiring, Version: o.version, Ended: o.ended, Keys: o.keys, PlacedBy: o.placedBy, KeyDigest: o.keyDigest, Jeopardies: o.jeopardies}
	for _, w := range o.waves {
		s.Waves = append(s.Waves, w.handle)
	}
	for _, w := range o.waveOf {
		s.WaveOf = append(s.WaveOf, handleOf(w))
	}
	for _, t := range o.tasks {
		n := 0
		if t != nil {
			n = t.n
		}
		s.Tasks = append(s.Tasks, n)
	}
	s.Changes, s.Deferred = saveChanges(o.changes), saveChanges(o.deferred)
	return s
}

// common are q's common variables, sorted by name.
func (q *quote) common() []keyed {
	out := make([]keyed, len(commonNames))
	for i, name := range commonNames {
		v, _ := q.Var(name)
		out[i] = keyed{name, v}
	}
	return out
}

// loadQuote makes a quote of its state, without its order.
func (c *COM) loadQuote(s *quoteState) (*quote, error) {
	q := &quote{req: s.Req, id: s.ID, state: s.State, quals: s.Quals, qualErr: s.QualErr, waiting: s.Waiting,
		stage: s.Stage, approval: s.Approval, tcv: s.TCV, monthly: s.Monthly, reason: s.Reason, digest: s.Digest, keyDigest: s.KeyDigest, calls: s.Calls, created: s.Created}
	var err error
	if q.offering, err = c.cfg.Catalog.Offering(s.Offering); err != nil {
		return nil, fmt.Errorf("quote %s: %w", s.ID, err)
	}
	if q.tier = c.cfg.Catalog.Tiers[s.Tier]; q.tier == nil {
		return nil, fmt.Errorf("quote %s: tier %q is not in the catalog", s.ID, s.Tier)
	}
	if q.card = card(q.offering, s.Card); q.card == nil || q.card.ID != s.Card {
		return nil, fmt.Errorf("quote %s: rate card %q is not in the catalog", s.ID, s.Card)
	}
	q.tierVars = c.tierVarsOf(q.tier)
	q.siteOfferings(c.cfg.Catalog)
	return q, nil
}

// loadOrder makes an order of its state and its quote, without its
// waves and tasks.
func (c *COM) loadOrder(s *orderState, q *quote) *order {
	o := &order{po: s.PO, quote: q, sites: s.Sites, instances: s.Instances, soiLeft: s.SoiLeft,
		waiting: s.Waiting, final: s.Final, attempts: s.Attempts, changing: s.ChangingSites, removed: s.Removed,
		changes: restoreChanges(s.Changes), deferred: restoreChanges(s.Deferred),
		calls: s.Calls, retiring: s.Retiring, version: s.Version, ended: s.Ended, keys: s.Keys, placedBy: s.PlacedBy, keyDigest: s.KeyDigest, jeopardies: s.Jeopardies}
	if s.Changing != "" && o.changing == nil {
		o.changing = []string{s.Changing} // a snapshot of one change in flight
	}
	return o
}

func saveChanges(cs []*itemChange) []optionalChange {
	out := make([]optionalChange, len(cs))
	for i, c := range cs {
		if c != nil {
			out[i] = optionalChange{Set: true, Speed: c.speed, Tier: c.tier, ExternalID: c.externalID, Description: c.description}
		}
	}
	return out
}

func restoreChanges(cs []optionalChange) []*itemChange {
	out := make([]*itemChange, len(cs))
	for i, c := range cs {
		if c.Set {
			out[i] = &itemChange{speed: c.Speed, tier: c.Tier, externalID: c.ExternalID, description: c.Description}
		}
	}
	return out
}

// Restore implements engine.Snapshotter: it sets a COM just made by New,
// with the configuration of the one saved, to the saved state.
func (c *COM) Restore(b []byte) error {
	var st comState
	if err := engine.DecodeState(b, &st); err != nil {
		return fmt.Errorf("COM: %w", err)
	}
	fresh := New(c.cfg)
	fresh.machines = c.machines
	if err := fresh.restore(&st); err != nil {
		return fmt.Errorf("COM: %w", err)
	}
	*c = *fresh
	return nil
}

func (c *COM) restore(st *comState) error {
	at := func(what string, i, n int) error {
		if i < -1 || i >= n {
			return fmt.Errorf("snapshot names %s %d of %d", what, i, n)
		}
		return nil
	}
	for i, t := range st.Tasks {
		if t.N == 0 {
			t.N = i + 1 // an earlier build's: its place
		}
		c.tasks[t.N] = loadTask(t)
	}
	c.tasksRaised = max(st.TasksRaised, len(st.Tasks))
	orders := make([]*order, len(st.Orders))
	for i := range orders {
		orders[i] = &order{}
	}
	quotes := make([]*quote, 0, len(st.Quotes))
	c.modifies = make([]*modification, len(st.Modifies))
	for i, m := range st.Modifies {
		if err := at("order", m.Base, len(orders)); err != nil {
			return err
		}
		c.modifies[i] = &modification{po: m.PO, base: orders[m.Base], item: m.Item, to: itemChange{speed: m.Speed, tier: m.Tier},
			price: m.Price, disconnect: m.Disconnect, left: m.Left, failed: m.Failed}
	}
	for _, s := range st.Waves {
		if err := at("order", s.Order, len(orders)); err != nil {
			return err
		}
		if err := at("modification", s.Modify, len(c.modifies)); err != nil {
			return err
		}
		w := &wave{order: orders[s.Order], id: s.ID, name: s.Name, soName: s.SOName, externalID: s.ExternalID,
			state: s.State, target: s.Target, items: s.Items, so: s.SO, soID: s.SOID, soState: s.SOState,
			slaBreach: s.SLABreach, measuring: s.Measuring, releasedBy: s.ReleasedBy, handle: s.Handle, late: s.Late, active: s.Active,
			createdAt: s.CreatedAt, submittedAt: s.SubmittedAt, completedAt: s.CompletedAt, blocked: s.Blocked, blockedAt: s.BlockedAt, forcedBy: s.ForcedBy}
		if s.Modify >= 0 {
			w.modify = c.modifies[s.Modify]
			w.modify.wave = w
		}
		var err error
		if w.pending, err = c.loadPending(&s); err != nil {
			return err
		}
		c.waves[s.Handle] = w
	}
	waveAt := func(h int) (*wave, error) {
		if h < 0 {
			return nil, nil
		}
		if w := c.waves[h]; w != nil {
			return w, nil
		}
		return nil, fmt.Errorf("snapshot names wave %d, which it does not hold", h)
	}
	for i := range st.Quotes {
		s := &st.Quotes[i]
		q, err := c.loadQuote(s)
		if err != nil {
			return err
		}
		if err := at("order", s.Order, len(orders)); err != nil {
			return err
		}
		if s.Order >= 0 {
			q.order = orders[s.Order]
		}
		quotes = append(quotes, q)
		c.quoteBy[q.id] = q
	}
	for i := range st.Orders {
		s := &st.Orders[i]
		if err := at("quote", s.Quote, len(quotes)); err != nil {
			return fmt.Errorf("order %s: its quote: %v", s.PO.ID, err)
		}
		var q *quote // none: an order rejected before it took one (its quote ordered already)
		if s.Quote >= 0 {
			q = quotes[s.Quote]
		}
		o := orders[i]
		*o = *c.loadOrder(s, q)
		for _, h := range s.Waves {
			w, err := waveAt(h)
			if err != nil || w == nil {
				return fmt.Errorf("order %s: wave %d: %v", s.PO.ID, h, err)
			}
			o.waves = append(o.waves, w)
		}
		o.waveOf = make([]*wave, len(s.WaveOf))
		for k, h := range s.WaveOf {
			var err error
			if o.waveOf[k], err = waveAt(h); err != nil {
				return fmt.Errorf("order %s: %w", s.PO.ID, err)
			}
		}
		o.tasks = make([]*task, len(s.Tasks))
		for k, n := range s.Tasks {
			if n > 0 && c.tasks[n] == nil {
				return fmt.Errorf("order %s: snapshot names task %d, which it has not", s.PO.ID, n)
			}
			o.tasks[k] = c.tasks[n]
		}
		c.orderBy[o.po.ID] = o
	}
	for _, q := range quotes {
		c.quotes.Add(0, q)
	}
	for _, o := range orders {
		c.orders.Add(0, o)
	}
	for _, s := range st.Sois {
		w, err := waveAt(s.Wave)
		if err != nil {
			return err
		}
		if err := at("order", s.Order, len(orders)); err != nil {
			return err
		}
		if err := at("modification", s.Modify, len(c.modifies)); err != nil {
			return err
		}
		r := &soiRef{item: s.Item, wave: w, id: s.ID, final: s.Final}
		if s.Order >= 0 {
			r.o = orders[s.Order]
		}
		if s.Modify >= 0 {
			r.modify = c.modifies[s.Modify]
		}
		c.sois[s.Handle] = r
		if w != nil {
			w.sois = append(w.sois, s.Handle)
		}
	}
	c.waveHandles, c.soiHandles = st.WaveHandles, st.SoiHandles
	c.retired, c.lastRetired, c.keysShelved = st.RetiredN, st.LastRetired, st.KeysShelved
	c.shelvedKeys = keyFilter{}
	switch {
	case st.KeysShelved == 0:
		c.keysFiltered = true
	case st.KeysFiltered:
		if !c.shelvedKeys.restore(st.ShelvedKeys) {
			return errors.New("the filter of the keys that left memory is malformed")
		}
		c.keysFiltered = true
	default:
		c.keysFiltered = false
	}
	if len(st.Retired) > 0 { // an earlier build's: every order that left
		c.retired = len(st.Retired)
		c.lastRetired = st.Retired[len(st.Retired)-1].ID
	}
	for _, n := range st.ShelvedStates {
		c.shelvedStates[n.Prefix] = n.N
	}
	for _, s := range st.Qualifications {
		q := &qualification{id: s.ID, req: s.Req, state: s.State, items: s.Items, waiting: s.Waiting, at: s.At, done: s.Done}
		c.qualifications = append(c.qualifications, q)
		c.qualificationBy[q.id] = q
	}
	for i := range st.Products {
		p := st.Products[i]
		c.Products.Put(p.ID, &p)
	}
	c.raised, c.modifications = st.Raised, st.Modifications
	c.earlierJeopardies(st.Jeopardies)
	c.ops.Load(st.Operator)
	for _, p := range st.Pending {
		c.pending[p.Key] = p.Then
	}
	for _, n := range st.Next {
		c.next[n.Prefix] = n.N
	}
	for _, k := range st.ByKey {
		c.byKey[k.Key] = k.Value
	}
	for _, ch := range st.Changes {
		c.changes[ch.Key] = ch.Changed
	}
	return c.restoreSites(st)
}

// earlierJeopardies gives each alert of an earlier build's snapshot (one
// list of every alert COM raised) to the order it is about, numbered by
// its place in the list; those of orders no longer in memory stay in the
// journal only.
func (c *COM) earlierJeopardies(all []tmf.Jeopardy) {
	if len(all) == 0 {
		return
	}
	orderOf := map[string]*order{}
	for o := range c.orders.All() {
		for i := range o.po.Items {
			orderOf[o.po.Items[i].ID] = o
		}
	}
	for _, w := range c.waves {
		orderOf[w.id] = w.order
	}
	for k, j := range all {
		j.N = k + 1
		if o := orderOf[j.Entity]; o != nil {
			o.jeopardies = append(o.jeopardies, j)
		}
	}
	c.raised = len(all)
}

// Messages implements engine.Messages: every message COM takes, its own
// timers included, so that a snapshot can keep those waiting.
func (c *COM) Messages() []any {
	return []any{QuoteRequest{}, OrderRequest{}, &port.Result{}, &tmf.OrderEvent{}, deadline{}, heldDue{}, decisionDue{}, Remediate{},
		Cancel{}, Change{}, AddSite{}, Remove{}, Describe{}, Review{}, Qualify{}, retire{}, retireQualification{}, retireQuote{}, operator.Action{}, operator.Retire{}}
}

// savePending is a wave's pending items as a snapshot keeps them.
func savePending(ps []pendingItem) []pendingState {
	if len(ps) == 0 {
		return nil
	}
	st := make([]pendingState, len(ps))
	for k, p := range ps {
		st[k] = pendingState{Handle: p.handle, CFS: p.cfs.ID, Chars: p.chars}
	}
	return st
}

// loadPending is the pending items of a wave's state: its Pending, or the
// items of its service order as an earlier build kept them (taken out of
// it: the service order gets its items at release).
func (c *COM) loadPending(s *waveState) ([]pendingItem, error) {
	if s.SO != nil {
		for _, it := range s.SO.Items {
			s.Pending = append(s.Pending, pendingState{Handle: it.Handle, CFS: it.Service.Specification.ID, Chars: it.Service.Characteristics})
		}
		s.SO.Items = nil
	}
	if len(s.Pending) == 0 {
		return nil, nil
	}
	ps := make([]pendingItem, len(s.Pending))
	for k, p := range s.Pending {
		cfs := c.cfg.Catalog.CFS[p.CFS]
		if cfs == nil {
			return nil, fmt.Errorf("snapshot: wave %s waits with an item of CFS %q, which the catalog does not have", s.ID, p.CFS)
		}
		ps[k] = pendingItem{handle: p.Handle, cfs: cfs, chars: p.Chars}
	}
	return ps, nil
}

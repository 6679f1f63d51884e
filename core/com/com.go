// Package com is commercial order management: quotes with per-site
// feasibility, SLA and pricing, the three-stage approval, TMF622 product
// orders with contract validation, credit check and feasibility
// revalidation with capacity reservation, product → CFS decomposition into
// one TMF641 service order per rollout wave, the gates between waves, the
// TMF637 product inventory and billing per site.
package com

import (
	"fmt"
	"time"

	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/inventory"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/roster"
	"github.com/ordertwin/ordertwin/core/slab"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Config sets up COM.
type Config struct {
	Catalog *catalog.Catalog
	// Epoch is the calendar time of T+0: rate cards are checked against it.
	Epoch time.Time
	// ManualReview: each approval stage waits for people's decision
	// (Review, over the quote API) instead of asking the workflow system.
	ManualReview bool
	// StageKeys, when set, hold a secret key per approval stage (hex,
	// core/approval): the workflow system's decisions are signed with
	// them. Decisions taken by people (ManualReview) must come signed by
	// the approver's own key.
	StageKeys map[string]string
	// Approvers, when a stage has any, are the public keys whose signed
	// decisions that stage takes; others are refused (ErrNotApprover).
	Approvers map[string][]string
	// Unsigned: people's decisions are taken unsigned and nothing is
	// signed, as before decisions were: a store first served so replays
	// as it ran.
	Unsigned bool
	// Retention is how long a finished product order stays in memory
	// before it leaves for the store's shelf (retire.go); 0 keeps every
	// order.
	Retention time.Duration
	// IDs numbers the ids it gives, a shard's apart from its deployment's
	// other shards' (the zero value: 1, 2, 3, …).
	IDs tmf.IDSpace
}

// signs reports whether approval decisions are signed: the quote's
// digest and each decision's event are journalled.
func (c Config) signs() bool { return !c.Unsigned && (c.ManualReview || len(c.StageKeys) > 0) }

// COM is the commercial order manager.
type COM struct {
	cfg      Config
	machines *lc.Set
	quotes   roster.Roster[*quote]
	quoteBy  map[string]*quote
	// tierVars are the catalog variables of each tier quoted.
	tierVars map[*catalog.SLATier]*tierVars
	orders   roster.Roster[*order]
	orderBy  map[string]*order
	// waves[h] is the wave whose service order has handle h, sois[h] the
	// service order item a handle h stands for, while their order is in
	// memory; waveHandles and soiHandles count the handles given.
	waves                   map[int]*wave
	sois                    map[int]*soiRef
	waveHandles, soiHandles int
	// pending holds what to do with the answer of each outstanding call.
	pending map[string]then
	// tasks are the network-planning tasks of the orders in memory, by
	// their number (task.n); raised counts those ever raised.
	tasks       map[int]*task
	tasksRaised int
	Products    *inventory.Inventory[tmf.Product]
	// sites are the product ids taken: the sites in service and those
	// being made (sites.go).
	sites *sites
	// raised counts the jeopardies raised (each kept with its order).
	raised int
	// modifies are the modify orders, in order.
	modifies      []*modification
	modifications int
	next          map[string]int
	// vars is room for the catalog variables of one item or quote site
	// (itemVars, takenByQuote); strs makes COM's ids and the keys of its
	// calls.
	vars siteVars
	strs slab.Strings
	// byKey maps idempotency keys to what their first request placed, in
	// memory; keysShelved counts those that left it (retire.go), and
	// shelvedKeys holds them, when keysFiltered (keyfilter.go).
	byKey        map[string]string
	keysShelved  int
	shelvedKeys  keyFilter
	keysFiltered bool
	// qualifications are the product offering qualifications, in order.
	qualifications  []*qualification
	qualificationBy map[string]*qualification
	// refusal is why the change request being handled was refused;
	// changes keeps what became of each keyed change request.
	refusal string
	changes map[string]Changed
	// retired counts the rollout orders that left memory (retire.go) and
	// lastRetired names the latest of them: the only order COM has when
	// none is in memory and one left (findOrder). shelvedStates counts
	// the product orders on the shelf by state, change orders included.
	retired       int
	lastRetired   string
	shelvedStates map[string]int
	shelvers      *shelvers
	// ops are the actions people took on COM's worklist (operator.go).
	ops *operator.Log
	// keys are the stages' secret keys, parsed (stageKey).
	keys map[string]*approval.Key
	// ahead signs the approval decisions the workflow's answers will make
	// ahead of them (Anticipate), beside the engine's loop.
	ahead *approval.Ahead
}

// New returns an empty COM.
func New(cfg Config) *COM {
	return &COM{cfg: cfg, machines: lc.Shared(), quoteBy: map[string]*quote{}, orderBy: map[string]*order{}, tierVars: map[*catalog.SLATier]*tierVars{},
		pending: map[string]then{}, waves: map[int]*wave{}, sois: map[int]*soiRef{}, shelvedStates: map[string]int{}, shelvers: &shelvers{}, tasks: map[int]*task{},
		Products: inventory.New[tmf.Product](), sites: newSites(), next: map[string]int{}, byKey: map[string]string{}, keysFiltered: true, changes: map[string]Changed{},
		qualificationBy: map[string]*qualification{}, ops: operator.NewLog(operator.COMPrefix, engine.COM, cfg.Retention), ahead: new(approval.Ahead)}
}

// id returns the next id with prefix: QT-001, POI-001, SOI-001.
func (c *COM) id(prefix string) string {
	c.next[prefix]++
	return tmf.SeqIDIn(&c.strs, prefix, c.cfg.IDs.Nth(c.next[prefix]))
}

// ownID is id for an entity whose id may outlive it in memory (a product
// order's, COM's latest retired; one named by an idempotency key from an
// earlier build): a string of its own, which keeps no slab buffer of
// other, dead ids alive.
func (c *COM) ownID(prefix string) string {
	c.next[prefix]++
	return tmf.SeqID(prefix, c.cfg.IDs.Nth(c.next[prefix]))
}

// Handle implements engine.Handler.
func (c *COM) Handle(now time.Duration, msg any, out *engine.Out) {
	if c.cfg.Retention > 0 {
		defer func() { c.settle(c.concerns(msg), out) }()
	}
	switch m := msg.(type) {
	case QuoteRequest:
		c.submitQuote(now, m, out)
	case OrderRequest:
		c.submitOrder(now, m, out)
	case *port.Result:
		k, ok := c.pending[m.Key]
		if !ok {
			return // an answer already taken: re-delivery is a no-op
		}
		o := c.caller(k)
		if m.Final {
			delete(c.pending, m.Key)
			c.answered(k, -1)
		}
		c.answer(k, m, out)
		if m.Final && out.Refused() {
			c.pending[m.Key] = k // the answer was refused: the call still waits for one
			c.answered(k, 1)
		}
		c.settle(o, out)
	case *tmf.OrderEvent:
		c.serviceOrderEvent(now, m, out)
	case deadline:
		if w := c.waves[m.Wave]; w != nil {
			c.missed(w, out)
		}
	case heldDue:
		c.heldMissed(m, out)
	case decisionDue:
		c.decided(m, out)
	case Remediate:
		c.remediate(m, out)
	case ReleaseWave:
		c.releaseWave(m, out)
	case Cancel:
		c.cancel(m, out)
	case Change:
		out.Reply(c.changed(m.Key, m.Order, out, func() { c.change(m, out) }))
	case AddSite:
		out.Reply(c.changed("", m.Order, out, func() { c.addSite(m, out) }))
	case Remove:
		out.Reply(c.changed(m.Key, m.Order, out, func() { c.remove(m, out) }))
	case retire:
		c.retire(m, out)
	case retireQualification:
		c.retireQualification(m, out)
	case retireQuote:
		c.retireQuote(m, out)
	case Describe:
		out.Reply(c.describe(m, out))
	case Review:
		out.Reply(c.review(m, out))
	case Qualify:
		c.qualify(m, out)
	case operator.Action:
		out.Reply(c.act(m, out))
	case operator.Retire:
		c.ops.Retire(m, out)
	default:
		out.Error(fmt.Errorf("COM: unexpected input %T", msg))
	}
}

// Admit tells whether COM can take msg, a message from a peer SOM: nil, or
// why not (an event for a service order COM has not placed wraps
// tmf.ErrUnknownOrder). The API asks before it logs the message; COM
// refuses what fails it all the same. Call it on the engine's goroutine.
func (c *COM) Admit(msg any) error {
	switch m := msg.(type) {
	case *tmf.OrderEvent:
		_, err := c.followed(m)
		return err
	}
	return fmt.Errorf("COM: takes no %T from a peer", msg)
}

// Package rom is resource order management: it takes TMF652 resource
// orders (one per site), runs their items in dependency order through the
// network's ports — reserve, then commit; release to compensate — keeps the
// TMF639 resource inventory, and tells the orderer about every item and
// order state change.
package rom

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/inventory"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/roster"
	"github.com/ordertwin/ordertwin/core/slab"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// ResourceSpec says which systems reserve and commit a resource type.
type ResourceSpec struct {
	Type     string
	Category string
	Reserve  port.System
	Commit   port.System
	label    string // "ROM → <commit system>", for the journal
}

// Config sets up ROM.
type Config struct {
	// Specs maps a resource type (resourceSpecification id) to its systems.
	Specs map[string]*ResourceSpec
	// StartDelay is the time between accepting an order and starting it.
	StartDelay time.Duration
	// Policy is the failure policy of a step (its RFS id and resource
	// type) for an error class; nil fails every failed step.
	Policy func(rfs, resourceType, class string) catalog.Policy
	// Deadline is how long a step (its RFS id) may be in progress before
	// ROM raises a jeopardy alert; nil, or 0 for a step, sets none.
	Deadline func(rfs string) time.Duration
	// Retention, when positive, is how long a finished order stays in
	// memory: then it leaves it (retire.go), and the APIs read it from
	// the store's shelf, where it was put when it ended.
	Retention time.Duration
	// IDs numbers the ids it gives, a shard's apart from its deployment's
	// other shards' (the zero value: 1, 2, 3, …).
	IDs tmf.IDSpace
}

// ROM is the resource order manager.
type ROM struct {
	// shelver and resources encode the orders and the resources that
	// leave memory (retire.go).
	shelver, resources *engine.Shelver
	cfg                Config
	machines           *lc.Set
	orders             roster.Roster[*order] // by request handle
	byID               map[string]*order
	// byExternal finds an order by its external id, byItem by the id of
	// one of its items.
	byExternal map[string]*order
	byItem     itemIndex
	// nextHandle is the request handle of the next order's first item:
	// an order's items have handles handle … handle+len-1, and orders
	// are in the order of their handles.
	nextHandle int
	Resources  *inventory.Inventory[tmf.Resource]
	nextOrder  int
	// nextResource numbers the resources allocated (tmf.Resource.Ord).
	nextResource int
	// raised counts the jeopardies raised (each kept with its order).
	raised int
	// retries counts the calls retried per system, completed the items
	// completed (the metrics).
	retries   map[port.System]int
	completed int
	// events, starts and dues allocate the events ROM sends its orderer
	// and its timers.
	events tmf.OrderEvents
	starts slab.Of[start]
	dues   slab.Of[stepDue]
	// strs makes ROM's ids and the keys of its calls.
	strs slab.Strings
	// retired counts the items of the orders that left memory, by state
	// (the metrics).
	retired map[string]int
	// ops are the actions people took on ROM's worklist, holds when and
	// by whom each held item was held (operator.go).
	ops   *operator.Log
	holds map[string]heldItem
}

// OrderRequest is a resource order placed over TMF652 by an orderer
// outside the process: another SOM, or ours deployed apart. ROM answers
// with Placed, or with an error wrapping ErrItemTaken. No component of the
// process placed it, so ROM sends its events to none: the orderer follows
// the order over the API (GET, hub). An order whose external id ROM
// already has is that order again: ROM answers with it and changes
// nothing.
type OrderRequest struct{ Order tmf.ResourceOrder }

// Placed is ROM's answer to an OrderRequest: the order's id, and whether
// it was placed before.
type Placed struct {
	ID        string
	Duplicate bool
}

// ErrItemTaken refuses an order one of whose item ids is an item of
// another order: item ids key the calls to the network (the idempotency
// key is item, operation and attempt), so they must be unique across
// orders.
var ErrItemTaken = errors.New("item id already taken")

type order struct {
	roster.Slot
	ro tmf.ResourceOrder
	// handle is the request handle of the first item; steps[i] is ROM's
	// working state for item i, with its call in flight.
	handle int
	steps  []step
	// settled is set once the order is final: no call is in flight any
	// more, and an answer for an item in progress is for no call.
	settled bool
	// unrun is set when the item index keeps some of its item ids one by
	// one (itemIndex).
	unrun bool
	// compensating is set when the site is given up (reason says why).
	compensating bool
	cancelled    bool
	finished     bool
	reason       string
	from         engine.Address
	customer     string
	done         int
	// calls counts the calls in flight, whose final answer is to come:
	// an order leaves memory only when there is none.
	calls int
	// held are the ids of the resources the order holds in the inventory
	// (inventory.Hold): those it allocated, and those it gives back or
	// replaces.
	held []string
	// jeopardies are the alerts raised on its items, numbered across ROM.
	jeopardies []tmf.Jeopardy
}

// step is ROM's working state for one item of an order, beside the TMF
// item itself: what the item runs on, how far its calls got, and the
// storage of the first resource it owns.
type step struct {
	spec *ResourceSpec // nil when unknown
	// deps are the indexes of the items this one depends on, a window of
	// one array shared by the whole order.
	deps []int
	// key and op name the item's call in flight (an item has one at a
	// time): an answer for another call is refused.
	key string
	op  port.Op
	// attempts counts the calls of the item's current operation, replaced
	// its written-off resources.
	attempts int
	replaced int
	// released is set when the item's resource has been given back.
	released bool
	// owned is set once resource holds the item's first resource, which
	// the inventory shares; a later one (a replacement) is allocated alone.
	owned    bool
	resource tmf.Resource
	// shipment is a CPE item's shipment, nil until there is one: most
	// items ship nothing, and the pointer keeps their step small.
	shipment *shipment
}

// shipmentID is the id of the item's shipment, "" when it has none.
func (st *step) shipmentID() string {
	if st.shipment == nil {
		return ""
	}
	return st.shipment.id
}

// index is the position of the item with id, or -1.
func (o *order) index(id string) int {
	for i := range o.ro.Items {
		if o.ro.Items[i].ID == id {
			return i
		}
	}
	return -1
}

// shipment is a CPE item's delivery: its id, display name and state.
type shipment struct {
	id, name, state string
}

type itemRef struct {
	o *order
	i int
}

func (r itemRef) item() *tmf.ResourceOrderItem { return &r.o.ro.Items[r.i] }

// start is ROM's own timer: begin work on accepted order Order (its id).
// ROM sends it as a pointer from a slab.
type start struct{ Order string }

// New returns an empty ROM.
func New(cfg Config) *ROM {
	specs := make(map[string]*ResourceSpec, len(cfg.Specs))
	for k, s := range cfg.Specs {
		own := *s
		own.label = "ROM → " + string(s.Commit)
		specs[k] = &own
	}
	cfg.Specs = specs
	return &ROM{cfg: cfg, machines: lc.Shared(), byID: map[string]*order{},
		byExternal: map[string]*order{},
		Resources:  inventory.New[tmf.Resource](), retries: map[port.System]int{}, retired: map[string]int{},
		shelver: &engine.Shelver{}, resources: &engine.Shelver{}, ops: operator.NewLog(operator.ROMPrefix, engine.ROM, cfg.Retention), holds: map[string]heldItem{}}
}

// Recycle implements engine.Recycler: an event ROM sent, once its orderer
// in this process (SOM, which copies what it keeps) has handled it, and
// ROM's own timers once fired, are filled again for later ones.
func (r *ROM) Recycle(msg any) {
	switch m := msg.(type) {
	case *tmf.OrderEvent:
		r.events.Recycle(m)
	case *start:
		r.starts.Put(m)
	case *stepDue:
		r.dues.Put(m)
	}
}

// Handle implements engine.Handler.
func (r *ROM) Handle(now time.Duration, msg any, out *engine.Out) {
	switch m := msg.(type) {
	case *tmf.ResourceOrder:
		if err := r.admitOrder(m); err != nil {
			out.Error(err)
			return
		}
		r.accept(now, m, engine.SOM, out)
	case OrderRequest:
		out.Reply(r.request(now, &m.Order, out))
	case *start:
		if o := r.byID[m.Order]; o != nil {
			r.begin(now, o, out)
		}
	case *port.Result:
		r.result(now, m, out)
	case *tmf.CancelRequest:
		r.cancel(m, out)
	case retry:
		r.retried(m, out)
	case holdExpired:
		r.expired(m, out)
	case *stepDue:
		r.due(m, out)
	case retire:
		r.retire(m, out)
	case operator.Action:
		out.Reply(r.act(m, out))
	case operator.Retire:
		r.ops.Retire(m, out)
	default:
		out.Error(fmt.Errorf("ROM: unexpected input %T", msg))
	}
}

// Orders lists resource orders in the order they arrived.
func (r *ROM) Orders() []*tmf.ResourceOrder {
	out := make([]*tmf.ResourceOrder, 0, r.orders.Len())
	for o := range r.orders.All() {
		out = append(out, &o.ro)
	}
	return out
}

// Completed counts the resource order items completed so far.
func (r *ROM) Completed() int { return r.completed }

// Order returns the resource order with id, or nil.
func (r *ROM) Order(id string) *tmf.ResourceOrder {
	if o := r.byID[id]; o != nil {
		return &o.ro
	}
	return nil
}

// PlacedBy returns the component that placed the order with id: SOM, or
// 0 when it came in an OrderRequest (or there is no such order).
func (r *ROM) PlacedBy(id string) engine.Address {
	if o := r.byID[id]; o != nil {
		return o.from
	}
	return 0
}

// request answers an OrderRequest: Placed, or an error.
func (r *ROM) request(now time.Duration, ro *tmf.ResourceOrder, out *engine.Out) any {
	if id := r.placedFor(ro.ExternalID, out); id != "" {
		return Placed{ID: id, Duplicate: true}
	}
	if err := r.checkItems(ro); err != nil {
		return err
	}
	return Placed{ID: r.accept(now, ro, 0, out).ro.ID}
}

// checkItems checks the items of a new order: each id is new to ROM and
// to the order, and each item depends only on items of the order.
func (r *ROM) checkItems(ro *tmf.ResourceOrder) error {
	for i := range ro.Items {
		it := &ro.Items[i]
		if o := r.byItem.find(it.ID); o != nil {
			return fmt.Errorf("item %q: %w by resource order %s", it.ID, ErrItemTaken, o.ro.ID)
		}
		if slices.ContainsFunc(ro.Items[:i], func(x tmf.ResourceOrderItem) bool { return x.ID == it.ID }) {
			return fmt.Errorf("item %q: %w by another item of the order", it.ID, ErrItemTaken)
		}
		for _, d := range it.DependsOn {
			if !slices.ContainsFunc(ro.Items, func(x tmf.ResourceOrderItem) bool { return x.ID == d }) {
				return fmt.Errorf("item %q depends on %q, which is not an item of the order", it.ID, d)
			}
		}
	}
	return nil
}

// Admit tells whether ROM can take msg, a message from a peer SOM (a
// resource order, a cancellation): nil, or why not (a cancellation of an
// order ROM does not have wraps tmf.ErrUnknownOrder). The API asks before
// it logs the message; ROM refuses what fails it all the same. Call it on
// the engine's goroutine.
func (r *ROM) Admit(msg any) error {
	switch m := msg.(type) {
	case *tmf.ResourceOrder:
		return r.admitOrder(m)
	case *tmf.CancelRequest:
		_, err := r.cancelled(m)
		return err
	}
	return fmt.Errorf("ROM: takes no %T from a peer", msg)
}

// admitOrder checks a resource order from SOM: its external id names it,
// once, and its items are sound (checkItems).
func (r *ROM) admitOrder(ro *tmf.ResourceOrder) error {
	switch {
	case ro.ExternalID == "":
		return fmt.Errorf("ROM: a resource order from SOM needs its externalId")
	case r.byExternal[ro.ExternalID] != nil:
		return fmt.Errorf("ROM: resource order %s is %s already", ro.ExternalID, r.byExternal[ro.ExternalID].ro.ID)
	}
	if err := r.checkItems(ro); err != nil {
		return fmt.Errorf("ROM: resource order %s: %w", ro.ExternalID, err)
	}
	return nil
}

// accept takes a new resource order from a component (0: an orderer
// outside the process).
func (r *ROM) accept(now time.Duration, ro *tmf.ResourceOrder, from engine.Address, out *engine.Out) *order {
	r.nextOrder++
	o := &order{ro: *ro, from: from}
	o.ro.ID = tmf.SeqIDIn(&r.strs, "RO", r.cfg.IDs.Nth(r.nextOrder))
	o.ro.State = lc.Initial(lc.ResourceOrder)
	o.ro.OrderDate = now
	for _, p := range ro.RelatedParty {
		if p.Role == "customer" {
			o.customer = p.ID
		}
	}
	out.Created(lc.ResourceOrder, o.ro.ID, o.ro.Name, o.ro.State, "")
	o.steps = make([]step, len(o.ro.Items))
	for i := range o.ro.Items {
		o.ro.Items[i].State = lc.Initial(lc.ResourceOrderItem)
	}
	r.track(o)
	r.orders.Add(o.handle, o)
	r.notify(out, o, tmf.ResourceOrderCreate, nil)
	st := r.starts.New()
	st.Order = o.ro.ID
	out.Send(engine.ROM, r.cfg.StartDelay, st)
	return o
}

// track indexes an order ROM has taken (by id, external id, items and
// request handles) and sets what each of its steps runs on and waits for.
func (r *ROM) track(o *order) {
	r.byID[o.ro.ID] = o
	if o.ro.ExternalID != "" {
		r.byExternal[o.ro.ExternalID] = o
	}
	o.handle = r.nextHandle
	r.nextHandle += len(o.ro.Items)
	ndeps := 0
	for i := range o.ro.Items {
		ndeps += len(o.ro.Items[i].DependsOn)
	}
	deps := make([]int, 0, ndeps)
	r.byItem.add(o)
	for i := range o.ro.Items {
		it := &o.ro.Items[i]
		st := &o.steps[i]
		st.spec = r.cfg.Specs[it.Specification.ID]
		first := len(deps)
		for _, d := range it.DependsOn {
			deps = append(deps, o.index(d)) // checked: an item of the order
		}
		st.deps = deps[first:len(deps):len(deps)]
	}
}

// key is the idempotency key of attempt of operation op of item i of o.
func (r *ROM) key(o *order, i int, op port.Op, attempt int) string {
	return r.strs.Join(o.ro.Items[i].ID, "/", string(op), "/", strconv.Itoa(attempt))
}

func (r *ROM) begin(now time.Duration, o *order, out *engine.Out) {
	if o.ro.State != lc.Acknowledged {
		return // cancelled before it started
	}
	if !out.Fire(r.machines, lc.ResourceOrder, o.ro.ID, o.ro.Name, &o.ro.State, lc.Start, "", "ROM") {
		return
	}
	o.ro.StartDate = now
	r.notify(out, o, tmf.ResourceOrderStateChange, nil)
	r.startReady(o, out)
}

// startReady starts every item whose dependencies are all completed.
func (r *ROM) startReady(o *order, out *engine.Out) {
	for i := range o.ro.Items {
		it := &o.ro.Items[i]
		if it.State == lc.Held && r.holds[it.ID].Released && o.depsDone(i) {
			r.startHeld(o, i, "released by "+r.holds[it.ID].By+": the items it depends on are completed", out)
			continue
		}
		if it.State != lc.Acknowledged || !o.depsDone(i) {
			continue
		}
		if !out.Fire(r.machines, lc.ResourceOrderItem, it.ID, "", &it.State, lc.Start, "", "ROM") {
			return
		}
		spec := o.steps[i].spec
		if spec == nil {
			r.failItem(o, i, fmt.Sprintf("unknown resource specification %q", it.Specification.ID), out)
			continue
		}
		r.watch(o, i, out)
		if it.Action == tmf.Delete {
			r.decommission(o, i, out)
			continue
		}
		r.call(o, i, spec.Reserve, port.Reserve, 1, out)
	}
}

func (o *order) depsDone(i int) bool {
	for _, j := range o.steps[i].deps {
		if o.ro.Items[j].State != lc.Completed {
			return false
		}
	}
	return true
}

func (r *ROM) call(o *order, i int, sys port.System, op port.Op, attempt int, out *engine.Out) {
	st := &o.steps[i]
	st.attempts, st.key, st.op = attempt, r.key(o, i, op, attempt), op
	o.calls++
	out.Call(o.request(i, sys))
}

// request is the request of item i's call in flight, to sys.
func (o *order) request(i int, sys port.System) port.Request {
	it := &o.ro.Items[i]
	st := &o.steps[i]
	return port.Request{
		Key:    st.key,
		System: sys, Op: st.op, Item: it.ID, Handle: o.handle + i,
		Customer: o.customer, Site: o.ro.Place.ID, Place: o.ro.Place,
		ResourceType: it.Specification.ID, Resource: it.Resource, Characteristics: it.Characteristics,
		Config: o.config(i, st.op),
	}
}

// updateCommits sends again, as an update (engine.Out.Update), every
// commit of o in flight, once item i has completed with what a commit's
// port.Config carries (a VLAN, a subnet, a QoS policy): each went out
// before, so without it. A CE router's commit goes out when the router is
// reserved, hours before the site's VLAN, subnet and QoS policy are done,
// and its Day-1 configuration, handed over when the router calls home
// days later, needs them. An adapter outside the process takes the update
// into the call it has; the in-process twin, which took the call whole,
// is not told, so a run's report is the same.
func (o *order) updateCommits(i int, out *engine.Out) {
	if r := o.ro.Items[i].Resource; r == nil || r.ResourceType != "VLAN" && r.ResourceType != "IPv4Subnet" && r.ResourceType != "QoSPolicy" {
		return
	}
	for j := range o.ro.Items {
		st := &o.steps[j]
		if o.ro.Items[j].State == lc.InProgress && st.op == port.Commit && st.spec != nil {
			out.Update(o.request(j, st.spec.Commit))
		}
	}
}

// config is what a commit of item i configures beyond its resource
// (port.Config): the item's speed, ONT serial and tier, and the VLAN,
// subnet and QoS policy (and its tier) of the items of its order
// completed so far.
func (o *order) config(i int, op port.Op) port.Config {
	if op != port.Commit {
		return port.Config{}
	}
	cs := o.ro.Items[i].Characteristics
	c := port.Config{ONTSerial: cs.Get("ontSerial"), Tier: cs.Get("slaTier")}
	if s := cs.Get("speed"); s != "" {
		c.SpeedMbps = tmf.SpeedMbps(s)
	} else if s := cs.Get("bearerSpeed"); s != "" {
		c.SpeedMbps = tmf.SpeedMbps(s)
	}
	for j := range o.ro.Items {
		it := &o.ro.Items[j]
		if it.State != lc.Completed || it.Resource == nil {
			continue
		}
		switch it.Resource.ResourceType {
		case "VLAN":
			c.VLAN, _ = strconv.Atoi(it.Resource.Characteristics.Get("vlanId"))
		case "IPv4Subnet":
			c.Subnet = it.Resource.Value
		case "QoSPolicy":
			c.Profile = it.Resource.Value
			if c.Tier == "" {
				c.Tier = it.Characteristics.Get("slaTier")
			}
		}
	}
	return c
}

// configured records on item i's CE router, installed, what it was
// configured with: the customer and order item it serves, the site's
// VLAN, /29, QoS policy and SLA tier (docs/api.md, "The CE router's Day-1
// configuration"). The resource inventory renders the router's Day-1
// configuration from them when it is read; rendering it here, for every
// router of a national rollout, would cost more than all of it is read.
func (o *order) configured(i int) {
	res := o.ro.Items[i].Resource
	c := o.config(i, port.Commit)
	chars := make(tmf.Characteristics, len(res.Characteristics), len(res.Characteristics)+6)
	copy(chars, res.Characteristics) // a fresh list: the adapter's may be shared
	add := func(name, value string) {
		if value != "" && chars.Get(name) == "" {
			chars = append(chars, tmf.Characteristic{Name: name, Value: value})
		}
	}
	add(CharCustomer, o.customer)
	add(CharOrderItem, o.ro.Items[i].ID)
	if c.VLAN != 0 {
		add(CharVLAN, strconv.Itoa(c.VLAN))
	}
	add(CharSubnet, c.Subnet)
	add(CharProfile, c.Profile)
	add(CharTier, c.Tier)
	res.Characteristics = chars
}

// The characteristics ROM records on an installed CE router (configured).
const (
	CharCustomer  = "customer"
	CharOrderItem = "resourceOrderItem"
	CharVLAN      = "vlanId"
	CharSubnet    = "ipv4Subnet"
	CharProfile   = "bandwidthProfile"
	CharTier      = "slaTier"
)

// result handles an adapter's answer to one of ROM's calls. ROM keeps
// nothing of res past this call but copies (own copies the
// resource): the twin fills a handled answer again (engine.Recycler).
func (r *ROM) result(now time.Duration, res *port.Result, out *engine.Out) {
	ref, err := r.answered(res)
	if err != nil {
		out.Error(err)
		return
	}
	o, i := ref.o, ref.i
	if res.Final && o.calls > 0 {
		o.calls--
	}
	it := &o.ro.Items[i]
	if res.Op == port.Release {
		if it.Action == tmf.Delete && it.State == lc.InProgress {
			r.decommissioned(now, o, i, res, out)
			return
		}
		r.releasedAnswer(o, i, res, out)
		return
	}
	if it.State != lc.InProgress {
		r.late(o, i, res, out) // a repeated answer, or one for a compensated site
		return
	}
	if res.Op == port.Commit && res.Milestone != "" {
		r.milestone(o, i, res.Milestone, out)
	}
	if res.Err != nil {
		if res.Final {
			r.failed(o, i, res, out)
		}
		return
	}
	st := &o.steps[i]
	spec := st.spec
	switch res.Op {
	case port.Reserve:
		it.Resource = r.own(o, st, it.Resource, res.Resource, "", out)
		r.call(o, i, spec.Commit, port.Commit, 1, out)
		if spec.Type == "CPE" {
			id := r.strs.Join("SHP-", strings.TrimPrefix(it.ID, "ROI-"))
			if n := st.replaced; n > 0 {
				id = r.strs.Join(id, "-", strconv.Itoa(n+1)) // the replacement's own shipment
			}
			st.shipment = &shipment{id: id, name: r.strs.Join(it.ID, " shipment"), state: lc.Initial(lc.Shipment)}
			out.Created(lc.Shipment, id, st.shipment.name, st.shipment.state, "ROM → logistics")
		}
	case port.Commit:
		if !res.Final {
			return
		}
		it.Resource = r.own(o, st, it.Resource, res.Resource, "active", out)
		if spec.Type == "CPE" {
			o.configured(i)
		}
		if rep := it.Characteristics.Get("replaces"); rep != "" && rep != it.Resource.ID {
			if old := r.resource(o, rep, out); old != nil {
				setState(old, "replaced", out) // holds no capacity: nothing to give back
			}
		}
		r.completeItem(now, o, i, spec.label, out)
	}
}

// answered finds the item an adapter's answer is for, and checks that ROM
// asked for it: an answer for no item of ROM's, for an item in progress
// but not for its call in flight, releasing an item that holds nothing, or
// a success that carries no resource is an error, and changes nothing.
func (r *ROM) answered(res *port.Result) (itemRef, error) {
	ref, ok := r.byHandle(res.Handle)
	if !ok || ref.item().ID != res.Item {
		return itemRef{}, fmt.Errorf("ROM: answer for unknown item %q", res.Item)
	}
	o, i := ref.o, ref.i
	it := ref.item()
	switch {
	case res.Op == port.Release:
		if it.Resource == nil {
			return itemRef{}, fmt.Errorf("ROM: answer %s releases for %s, which holds no resource", res.Key, it.ID)
		}
	case it.State == lc.InProgress && (o.settled || o.steps[i].key != res.Key || o.steps[i].op != res.Op):
		return itemRef{}, fmt.Errorf("ROM: answer %s (%s) for %s, which is waiting for another call", res.Key, res.Op, it.ID)
	case res.Err == nil && (res.Op == port.Reserve || res.Op == port.Commit && res.Final) && res.Resource == nil:
		return itemRef{}, fmt.Errorf("ROM: answer %s for %s carries no resource", res.Key, it.ID)
	}
	return ref, nil
}

// completeItem completes item i and starts what waited for it.
func (r *ROM) completeItem(now time.Duration, o *order, i int, system string, out *engine.Out) {
	it := &o.ro.Items[i]
	if !out.Fire(r.machines, lc.ResourceOrderItem, it.ID, "", &it.State, lc.Complete, "", system) {
		return
	}
	it.CompletionDate = now
	o.done++
	r.completed++
	r.notify(out, o, tmf.ResourceOrderItemStateChange, it)
	o.updateCommits(i, out)
	r.startReady(o, out)
	r.finishIfDone(o, out)
}

// setState changes a resource's state in the inventory, journalled; it is
// no longer in use.
func setState(res *tmf.Resource, state string, out *engine.Out) {
	out.Inventory("resource", res.ID, res.Value, res.State, state)
	res.State, res.UsageState = state, ""
}

// own copies an adapter's resource into the item's own resource, which the
// inventory shares: the adapter's result stays untouched, and the item's
// resource is one object from reservation to activation. The item's first
// resource lives in its step. A resource new to the item takes the next
// number (tmf.Resource.Ord), and the order holds it.
func (r *ROM) own(o *order, st *step, mine, res *tmf.Resource, usage string, out *engine.Out) *tmf.Resource {
	was := ""
	if mine != nil && mine.ID == res.ID {
		was = mine.State
	}
	defer func() {
		if mine.State != was {
			out.Inventory("resource", mine.ID, mine.Value, was, mine.State)
		}
	}()
	ord := uint64(0)
	if mine == nil || mine.ID != res.ID {
		if st.owned {
			mine = new(tmf.Resource)
		} else {
			st.owned, mine = true, &st.resource
		}
		r.Resources.Put(res.ID, mine)
		r.hold(o, res.ID)
		r.nextResource++
		ord = uint64(r.nextResource)
	} else {
		ord = mine.Ord
	}
	started := mine.StartDate
	if was == "" {
		started = out.Now()
	}
	*mine = *res
	mine.Category, mine.UsageState, mine.StartDate, mine.Ord = st.spec.Category, usage, started, ord
	return mine
}

// shipmentPath is the way of a CPE shipment: each milestone and the event
// that reaches it from the one before.
var shipmentPath = []struct{ state, event string }{
	{lc.Pending, ""}, {lc.Staged, lc.Stage}, {lc.InTransit, lc.Ship}, {lc.Delivered, lc.Deliver}, {lc.Installed, lc.Install},
}

func pathIndex(state string) int {
	for i, p := range shipmentPath {
		if p.state == state {
			return i
		}
	}
	return -1
}

// milestone moves the item's CPE shipment up to milestone m, through any
// milestone the adapter did not report. A milestone already passed (a
// re-delivered report) changes nothing.
func (r *ROM) milestone(o *order, i int, m string, out *engine.Out) {
	it := &o.ro.Items[i]
	if it.Milestone != m {
		out.Record(store.Record{Kind: "milestone", Entity: it.ID, Name: o.steps[i].shipmentID(), To: m, Event: "milestone"})
	}
	it.Milestone = m
	s := o.steps[i].shipment
	if s == nil || s.id == "" {
		return
	}
	switch m {
	case lc.Lost:
		out.Fire(r.machines, lc.Shipment, s.id, s.name, &s.state, lc.Lose, "lost in transit", "ROM → logistics")
		return
	case lc.Damaged:
		out.Fire(r.machines, lc.Shipment, s.id, s.name, &s.state, lc.Damage, "arrived damaged", "ROM → logistics")
		return
	}
	for k := pathIndex(s.state) + 1; k > 0 && k <= pathIndex(m); k++ {
		if !out.Fire(r.machines, lc.Shipment, s.id, s.name, &s.state, shipmentPath[k].event, "", "ROM → logistics") {
			return
		}
	}
}

func (r *ROM) failItem(o *order, i int, reason string, out *engine.Out) {
	it := &o.ro.Items[i]
	it.StateReason = reason
	if !out.Fire(r.machines, lc.ResourceOrderItem, it.ID, "", &it.State, lc.Fail, reason, "ROM") {
		return
	}
	it.CompletionDate = out.Now()
	o.done++
	r.notify(out, o, tmf.ResourceOrderItemStateChange, it)
	// Items waiting on a failed one can never start: they fail too.
	for j := range o.ro.Items {
		d := &o.ro.Items[j]
		if d.State == lc.Acknowledged && slices.Contains(o.steps[j].deps, i) {
			r.failItem(o, j, "depends on failed item "+it.ID, out)
		}
	}
	r.finishIfDone(o, out)
}

func (r *ROM) finishIfDone(o *order, out *engine.Out) {
	if o.done < len(o.ro.Items) || o.finished {
		return
	}
	o.finished = true
	event := lc.Finish(o.ro.Items, func(it *tmf.ResourceOrderItem) string { return it.State })
	if o.cancelled {
		event = lc.Cancel // rolled back whole, completed items included
	}
	ok := false
	if event == lc.Cancel {
		ok = out.Cancel(r.machines, lc.ResourceOrder, o.ro.ID, o.ro.Name, &o.ro.State, o.reason, "ROM")
	} else {
		ok = out.Fire(r.machines, lc.ResourceOrder, o.ro.ID, o.ro.Name, &o.ro.State, event, "", "ROM")
	}
	if ok {
		o.ro.CompletionDate = out.Now()
		o.settled = true // no call is in flight any more
		r.notify(out, o, tmf.ResourceOrderStateChange, nil)
		r.ended(o, out)
	}
}

// notify sends the orderer an event about the order or one of its items.
func (r *ROM) notify(out *engine.Out, o *order, t tmf.EventType, it *tmf.ResourceOrderItem) {
	if o.from == 0 {
		return // placed from outside: the orderer reads the order over TMF652
	}
	ev := r.events.New(t, o.ro.ID, o.ro.ExternalID, o.ro.State, it != nil)
	ev.At = out.Now()
	if it != nil {
		*ev.Item = tmf.ItemEvent{ID: it.ID, Handle: it.Handle, State: it.State, StateReason: it.StateReason, Milestone: it.Milestone}
		if it.Resource != nil {
			ev.Item.Instance = tmf.Ref{ID: it.Resource.ID, Name: it.Resource.Value, Type: it.Resource.ResourceType}
			ev.Item.Value = it.Resource.Value
			ev.Item.Characteristics = it.Resource.Characteristics
		}
	}
	out.Send(o.from, 0, ev)
}

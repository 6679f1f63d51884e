// Package som is service order management: it takes TMF641 service orders,
// decomposes each site's CFS items into RFS items with the catalog's plan
// template, places one TMF652 resource order per site with the plan's
// dependencies, completes each CFS item when the RFS items of its
// completion mapping are done, keeps the TMF638 service inventory and tells
// the orderer about every item and order state change.
package som

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/inventory"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/roster"
	"github.com/ordertwin/ordertwin/core/slab"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Config sets up SOM.
type Config struct {
	Catalog *catalog.Catalog
	// PlanDelay is the time SOM takes to build a service order's plan.
	PlanDelay time.Duration
	// Retention, when positive, is how long a finished order stays in
	// memory: then it leaves it (retire.go), and the APIs read it from
	// the store's shelf, where it was put when it left.
	Retention time.Duration
	// IDs numbers the ids it gives, a shard's apart from its deployment's
	// other shards' (the zero value: 1, 2, 3, …).
	IDs tmf.IDSpace
}

// SOM is the service order manager.
type SOM struct {
	// shelver and services encode the orders and the services that leave
	// memory (retire.go).
	shelver, services *engine.Shelver
	cfg               Config
	machines          *lc.Set
	orders            roster.Roster[*order]
	// handled are the sites whose steps have resource order item handles,
	// by handle: a site's steps have handles handle … handle+len-1.
	// nextHandle is the handle of the next site's first step.
	handled    roster.Roster[*site]
	nextHandle int
	// roSites finds a site by its resource order's external id.
	roSites map[string]*site
	// byID and byExternal find an order by its id and its external id.
	byID       map[string]*order
	byExternal map[string]*order
	Services   *inventory.Inventory[tmf.Service]
	nextSO     int
	nextROI    int
	// nextService numbers the services installed (tmf.Service.Ord).
	nextService int
	// events allocates the events SOM sends its orderer; ids is room for
	// the ids of one site's CFS.
	events tmf.OrderEvents
	ids    []string
	// plans and ros allocate SOM's plan timers and the resource orders it
	// places.
	plans slab.Of[plan]
	ros   slab.Of[tmf.ResourceOrder]
	// strs makes SOM's ids and the names of the resource orders it places.
	strs slab.Strings
}

// OrderRequest is a service order placed over TMF641 by an orderer outside
// the process: another COM, or ours deployed apart. SOM answers with
// Placed. No component of the process placed it, so SOM sends its events
// to none: the orderer follows the order over the API (GET, hub). An order
// whose external id SOM already has is that order again: SOM answers with
// it and changes nothing.
type OrderRequest struct{ Order tmf.ServiceOrder }

// Placed is SOM's answer to an OrderRequest: the order's id, and whether
// it was placed before.
type Placed struct {
	ID        string
	Duplicate bool
}

type order struct {
	roster.Slot
	so tmf.ServiceOrder
	// from is the component that placed the order, 0 for an OrderRequest.
	from     engine.Address
	customer string
	sites    []site
	final    int
	// services[i] is the service instance item i produced, once completed.
	services []*tmf.Service
	// held are the ids of the services the order holds in the inventory
	// (inventory.Hold): those it installed, and those it changes or
	// disconnects.
	held []string
}

// site is the orchestration of one site of a service order.
type site struct {
	roster.Slot
	order *order
	place tmf.Place
	plan  *catalog.Plan
	// ids[k] is the id of the service instance of plan.CFS[k].
	ids []string
	// items[k] is the item for plan.CFS[k]; the items of all the order's
	// sites share one array.
	items []siteItem
	steps []step
	// services holds the service instances of the site's items, allocated
	// at the first completion. refs[j] is the resource of steps[j], once
	// it completed: a plan's steps go CFS by CFS, so the supporting
	// resources of the service of plan.CFS[k] are a window of refs, shared
	// with the service.
	services []tmf.Service
	refs     []tmf.Ref
	// roID is the id ROM gave the site's resource order; cancelled is set
	// once it was asked to cancel it.
	roID      string
	cancelled bool
	// handle is the resource order item handle of steps[0].
	handle int
	// owed counts the final state events of the site's resource order
	// still to come from ROM (one once it is placed, one more for a
	// cancellation of an order that had ended); race is set while a
	// cancellation is on its way to an order that may have ended
	// meanwhile (then ROM tells its end twice). An order leaves memory
	// only when none of its sites is owed anything (retire.go).
	owed int
	race bool
}

// siteItem is a service order item of a site: its index in so.Items, and
// how many steps of its plan are not yet completed.
type siteItem struct {
	i    int
	left int
}

// Var implements catalog.Vars: the catalog variables of a site are its
// code, the customer's code and number, and the characteristics of its
// service order items (a later item's value wins). A *site is its own Vars,
// so that passing it to the catalog allocates nothing.
func (st *site) Var(name string) (string, bool) {
	o := st.order
	if name == "site" {
		return st.place.ID, true
	}
	if v, ok := catalog.CustomerVar(o.customer, name); ok {
		return v, true
	}
	for k := len(st.items) - 1; k >= 0; k-- {
		for _, c := range o.so.Items[st.items[k].i].Service.Characteristics {
			if c.Name == name {
				return c.Value, true
			}
		}
	}
	return "", false
}

type step struct {
	roi   string
	chars tmf.Characteristics
}

type stepRef struct {
	o    *order
	site *site
	step int
}

func (r stepRef) roi() string { return r.site.steps[r.step].roi }

// plan is SOM's own timer: the plan of accepted order Order (its id) is
// ready. SOM sends it as a pointer from a slab.
type plan struct{ Order string }

// New returns an empty SOM.
func New(cfg Config) *SOM {
	return &SOM{cfg: cfg, machines: lc.Shared(), Services: inventory.New[tmf.Service](), roSites: map[string]*site{},
		byID: map[string]*order{}, byExternal: map[string]*order{}, shelver: &engine.Shelver{}, services: &engine.Shelver{}}
}

// Orders lists the service orders in the order they arrived.
func (s *SOM) Orders() []*tmf.ServiceOrder {
	out := make([]*tmf.ServiceOrder, 0, s.orders.Len())
	for o := range s.orders.All() {
		out = append(out, &o.so)
	}
	return out
}

// Order returns the service order with id, or nil.
func (s *SOM) Order(id string) *tmf.ServiceOrder {
	if o := s.byID[id]; o != nil {
		return &o.so
	}
	return nil
}

// PlacedBy returns the component that placed the order with id: COM, or
// 0 when it came in an OrderRequest (or there is no such order).
func (s *SOM) PlacedBy(id string) engine.Address {
	if o := s.byID[id]; o != nil {
		return o.from
	}
	return 0
}

// Recycle implements engine.Recycler: a resource order SOM placed, once
// ROM in this process has taken it (ROM keeps a copy, sharing its items),
// an event SOM sent, once its orderer in this process (COM, which copies
// what it keeps) has handled it, and SOM's own plan timers once fired, are
// filled again for later ones.
func (s *SOM) Recycle(msg any) {
	switch m := msg.(type) {
	case *tmf.ResourceOrder:
		s.ros.Put(m)
	case *tmf.OrderEvent:
		s.events.Recycle(m)
	case *plan:
		s.plans.Put(m)
	}
}

// Handle implements engine.Handler.
func (s *SOM) Handle(now time.Duration, msg any, out *engine.Out) {
	switch m := msg.(type) {
	case *tmf.ServiceOrder:
		if err := s.admitOrder(m); err != nil {
			out.Error(err)
			return
		}
		s.accept(now, m, engine.COM, out)
	case OrderRequest:
		if id := s.placedFor(m.Order.ExternalID, out); id != "" {
			out.Reply(Placed{ID: id, Duplicate: true})
			return
		}
		out.Reply(Placed{ID: s.accept(now, &m.Order, 0, out).so.ID})
	case *plan:
		if o := s.byID[m.Order]; o != nil {
			s.orchestrate(o, out)
		}
	case *tmf.OrderEvent:
		s.resourceEvent(now, m, out)
	case *tmf.CancelRequest:
		s.cancel(m, out)
	case retire:
		s.retire(m, out)
	default:
		out.Error(fmt.Errorf("SOM: unexpected input %T", msg))
	}
}

// Admit tells whether SOM can take msg, a message from a peer (COM's
// service order or cancellation, ROM's event): nil, or why not (a message
// about an order SOM does not have wraps tmf.ErrUnknownOrder). The API
// asks before it logs the message; SOM refuses what fails it all the
// same. Call it on the engine's goroutine.
func (s *SOM) Admit(msg any) error {
	switch m := msg.(type) {
	case *tmf.ServiceOrder:
		return s.admitOrder(m)
	case *tmf.CancelRequest:
		_, err := s.cancelled(m)
		return err
	case *tmf.OrderEvent:
		_, err := s.followed(m)
		return err
	}
	return fmt.Errorf("SOM: takes no %T from a peer", msg)
}

// admitOrder checks a service order from COM: its external id names it,
// once.
func (s *SOM) admitOrder(so *tmf.ServiceOrder) error {
	switch {
	case so.ExternalID == "":
		return fmt.Errorf("SOM: a service order from COM needs its externalId")
	case s.byExternal[so.ExternalID] != nil:
		return fmt.Errorf("SOM: service order %s is %s already", so.ExternalID, s.byExternal[so.ExternalID].so.ID)
	}
	return nil
}

// accept takes a new service order from a component (0: an orderer
// outside the process).
func (s *SOM) accept(now time.Duration, so *tmf.ServiceOrder, from engine.Address, out *engine.Out) *order {
	s.nextSO++
	o := &order{so: *so, from: from}
	o.so.ID = tmf.SeqIDIn(&s.strs, "SO", s.cfg.IDs.Nth(s.nextSO))
	o.so.State = lc.Initial(lc.ServiceOrder)
	o.so.OrderDate = now
	for _, p := range so.RelatedParty {
		if p.Role == "customer" {
			o.customer = p.ID
		}
	}
	for i := range o.so.Items {
		o.so.Items[i].State = lc.Initial(lc.ServiceOrderItem)
	}
	o.services = make([]*tmf.Service, len(o.so.Items))
	s.orders.Add(0, o)
	s.byID[o.so.ID] = o
	if o.so.ExternalID != "" {
		s.byExternal[o.so.ExternalID] = o
	}
	system := "COM → SOM"
	if from == 0 {
		system = "TMF641 → SOM"
	}
	out.Created(lc.ServiceOrder, o.so.ID, o.so.Description, o.so.State, system)
	s.notify(out, o, tmf.ServiceOrderCreate, -1)
	pl := s.plans.New()
	pl.Order = o.so.ID
	out.Send(engine.SOM, s.cfg.PlanDelay, pl)
	return o
}

// orchestrate decomposes every site of the order and places its resource
// order.
func (s *SOM) orchestrate(o *order, out *engine.Out) {
	if o.so.State != lc.Acknowledged {
		return // cancelled before its plan was ready
	}
	if !out.Fire(s.machines, lc.ServiceOrder, o.so.ID, o.so.Description, &o.so.State, lc.Start, "", "SOM") {
		return
	}
	s.notify(out, o, tmf.ServiceOrderStateChange, -1)
	// The sites, in the order of their first items, share one array, and
	// their items another.
	bySite := map[string]int{}
	counts := make([]int, 0, 8)
	for i := range o.so.Items {
		id := o.so.Items[i].Service.Place.ID
		k, ok := bySite[id]
		if !ok {
			k = len(counts)
			bySite[id] = k
			counts = append(counts, 0)
		}
		counts[k]++
	}
	o.sites = make([]site, len(counts))
	items := make([]siteItem, len(o.so.Items))
	for k, n := range counts {
		o.sites[k].items, items = items[:0:n], items[n:]
	}
	for i := range o.so.Items {
		it := &o.so.Items[i]
		st := &o.sites[bySite[it.Service.Place.ID]]
		if len(st.items) == 0 {
			st.place, st.order = it.Service.Place, o
		}
		st.items = append(st.items, siteItem{i: i})
	}
	for k := range o.sites {
		st := &o.sites[k]
		if o.so.Items[st.items[0].i].State == lc.Cancelled {
			continue // the site was cancelled before its plan was ready
		}
		if err := s.decompose(o, st, out); err != nil {
			for _, si := range st.items {
				s.finishItem(o, si.i, lc.Fail, err.Error(), out)
			}
		}
	}
}

// decompose instantiates the plan template of one site and places its
// resource order.
func (s *SOM) decompose(o *order, st *site, out *engine.Out) error {
	cfs := s.ids[:0] // room for the CFS ids until the plan is found
	for _, si := range st.items {
		cfs = append(cfs, o.so.Items[si.i].Service.Specification.ID)
	}
	s.ids = cfs
	tech, _ := st.Var("technology")
	p, err := s.cfg.Catalog.Plan(cfs, tech)
	if err != nil {
		return fmt.Errorf("decompose site %s: %w", st.place.ID, err)
	}
	st.plan = p
	// The service instance ids, the resource order's name and its external
	// id are cut from one string.
	var buf [256]byte
	var endBuf [16]int
	b, ends := buf[:0], endBuf[:0]
	for k := range p.CFS {
		st.items[k].left = len(p.CFS[k].Steps)
		if b, err = catalog.AppendExpand(b, p.CFS[k].CFS.InstanceID, st); err != nil {
			return fmt.Errorf("decompose site %s: service instance id of %s: %w", st.place.ID, p.CFS[k].CFS.ID, err)
		}
		ends = append(ends, len(b))
	}
	b = append(append(b, "RO "...), st.place.ID...)
	ends = append(ends, len(b))
	b = append(append(append(b, o.so.ID...), '/'), st.place.ID...)
	all, from := s.strs.Bytes(b), 0
	// The ids share one array with the dependencies of the resource order's
	// items (deps, below).
	after := 0
	for _, ps := range p.Steps {
		after += len(ps.After)
	}
	strs := make([]string, len(p.CFS), len(p.CFS)+after)
	st.ids = strs[:len(p.CFS):len(p.CFS)]
	for k, end := range ends[:len(p.CFS)] {
		st.ids[k], from = all[from:end], end
	}
	name, external := all[from:ends[len(p.CFS)]], all[ends[len(p.CFS)]:]
	st.steps = make([]step, len(p.Steps))
	st.refs = make([]tmf.Ref, len(p.Steps))
	st.handle = s.nextHandle
	s.nextHandle += len(p.Steps)
	if len(p.Steps) > 0 {
		s.handled.Add(st.handle, st)
	}
	s.roSites[external] = st
	ro := s.ros.New() // ROM keeps a copy
	*ro = tmf.ResourceOrder{
		ExternalID:   external,
		Name:         name,
		Place:        st.place,
		RelatedParty: o.so.RelatedParty,
		Items:        make([]tmf.ResourceOrderItem, len(p.Steps)),
	}
	action := o.so.Items[st.items[0].i].Action
	// A modify replaces the resources of the site's service, step by step.
	var old []tmf.Ref
	if action == tmf.Modify {
		if id, err := catalog.Expand(p.CFS[0].CFS.InstanceID, st); err == nil {
			if svc := s.service(o, id, out); svc != nil {
				old = svc.SupportingRes
			}
		}
	}
	if action == tmf.Delete {
		return s.decommission(o, st, ro, out)
	}
	// The items' dependencies share one array.
	deps := strs[len(p.CFS):len(p.CFS)]
	// So do their characteristics.
	nchars := 0
	for _, ps := range p.Steps {
		nchars += len(ps.RFS.Characteristics)
	}
	room := make(tmf.Characteristics, nchars)
	for j, ps := range p.Steps {
		s.nextROI++
		st.steps[j].roi = tmf.SeqIDIn(&s.strs, "ROI", s.cfg.IDs.Nth(s.nextROI))
		chars, err := ps.RFS.Characteristics.ApplyIn(room, &s.strs, st)
		room = room[len(ps.RFS.Characteristics):]
		if err != nil {
			return fmt.Errorf("decompose site %s, %s: %w", st.place.ID, ps.RFS.ID, err)
		}
		it := &ro.Items[j]
		for _, r := range old {
			if r.Type == ps.RFS.Resource.Type {
				chars.Set("replaces", r.ID)
			}
		}
		*it = tmf.ResourceOrderItem{ID: st.steps[j].roi, Action: action, Handle: st.handle + j,
			Specification: tmf.Ref{ID: ps.RFS.Resource.Type, Name: ps.RFS.ID}, Characteristics: chars}
		if len(ps.After) > 0 {
			from := len(deps)
			for _, a := range ps.After {
				deps = append(deps, st.steps[a].roi)
			}
			it.DependsOn = deps[from:len(deps):len(deps)]
		}
	}
	s.place(o, st, ro, out)
	return nil
}

// place starts a site's service order items and places its resource order.
func (s *SOM) place(o *order, st *site, ro *tmf.ResourceOrder, out *engine.Out) {
	for _, si := range st.items {
		it := &o.so.Items[si.i]
		if !out.Fire(s.machines, lc.ServiceOrderItem, it.ID, "", &it.State, lc.Start, "", "SOM") {
			return
		}
	}
	st.owed = 1
	out.Send(engine.ROM, 0, ro)
}

// decommission places the resource order of a site whose services are
// deleted: one delete item per resource the services use, each waiting
// for the items of the steps that were built on it (last built, first
// given back).
func (s *SOM) decommission(o *order, st *site, ro *tmf.ResourceOrder, out *engine.Out) error {
	p := st.plan
	services := make([]*tmf.Service, len(p.CFS))
	for k, c := range p.CFS {
		id, err := catalog.Expand(c.CFS.InstanceID, st)
		if err != nil {
			return fmt.Errorf("disconnect site %s: %w", st.place.ID, err)
		}
		if services[k] = s.service(o, id, out); services[k] == nil || services[k].State != "active" {
			return fmt.Errorf("disconnect site %s: no active service %s", st.place.ID, id)
		}
	}
	for j := range p.Steps {
		s.nextROI++
		st.steps[j].roi = tmf.SeqIDIn(&s.strs, "ROI", s.cfg.IDs.Nth(s.nextROI))
	}
	for j, ps := range p.Steps {
		var res *tmf.Resource
		for _, r := range services[ps.CFS].SupportingRes {
			if r.Type == ps.RFS.Resource.Type {
				res = &tmf.Resource{ID: r.ID, ResourceType: r.Type}
			}
		}
		if res == nil {
			return fmt.Errorf("disconnect site %s: service %s has no %s", st.place.ID, services[ps.CFS].ID, ps.RFS.Resource.Type)
		}
		it := &ro.Items[j]
		*it = tmf.ResourceOrderItem{ID: st.steps[j].roi, Action: tmf.Delete, Handle: st.handle + j,
			Specification: tmf.Ref{ID: ps.RFS.Resource.Type, Name: ps.RFS.ID}, Resource: res}
		for later, q := range p.Steps {
			if slices.Contains(q.After, j) {
				it.DependsOn = append(it.DependsOn, st.steps[later].roi)
			}
		}
	}
	s.place(o, st, ro, out)
	return nil
}

// resourceEvent follows the resource orders SOM placed. An event for a
// resource order or item SOM did not place is refused.
func (s *SOM) resourceEvent(now time.Duration, ev *tmf.OrderEvent, out *engine.Out) {
	st, err := s.followed(ev)
	if err != nil {
		out.Error(err)
		return
	}
	if ev.Type == tmf.ResourceOrderCreate {
		st.roID = ev.OrderID
		s.cancelSite(st, "", out) // cancelled while ROM was taking the order
		return
	}
	if ev.Type == tmf.ResourceOrderStateChange && lc.IsFinal(lc.ResourceOrder, ev.State) {
		s.roEnded(st, ev.State, out)
		return
	}
	if ev.Type != tmf.ResourceOrderItemStateChange || ev.Item == nil {
		return
	}
	ref, _ := s.byHandle(ev.Item.Handle)
	o, st := ref.o, ref.site
	k := st.plan.Steps[ref.step].CFS
	i := st.items[k].i
	switch ev.Item.State {
	case lc.Completed:
		sp := &st.steps[ref.step]
		if ev.Item.Milestone == lc.Released {
			s.resourceReleased(o, st, k, out)
			return
		}
		if st.refs[ref.step].ID != "" {
			return // re-delivered: already counted
		}
		st.refs[ref.step], sp.chars = ev.Item.Instance, ev.Item.Characteristics
		st.items[k].left--
		if st.items[k].left == 0 {
			s.completeItem(now, o, st, k, out)
		}
	case lc.Failed:
		s.finishItem(o, i, lc.Fail, fmt.Sprintf("%s failed: %s", ev.Item.ID, ev.Item.StateReason), out)
	}
}

// followed finds the site whose resource order an event is about: an event
// for a resource order SOM has not placed, or for an item not of it, is an
// error wrapping tmf.ErrUnknownOrder.
func (s *SOM) followed(ev *tmf.OrderEvent) (*site, error) {
	st := s.roSites[ev.ExternalID]
	if st == nil {
		return nil, fmt.Errorf("SOM: event for resource order %q (%s), which SOM has not placed: %w", ev.OrderID, ev.ExternalID, tmf.ErrUnknownOrder)
	}
	if ev.Type != tmf.ResourceOrderItemStateChange || ev.Item == nil {
		return st, nil
	}
	ref, ok := s.byHandle(ev.Item.Handle)
	if !ok || ref.roi() != ev.Item.ID || ref.site != st {
		return nil, fmt.Errorf("SOM: event for resource order item %q, not an item of %s: %w", ev.Item.ID, ev.ExternalID, tmf.ErrUnknownOrder)
	}
	if ev.Item.State == lc.Completed && st.refs[ref.step].ID == "" {
		if ev.Item.Instance.ID == "" {
			return nil, fmt.Errorf("SOM: resource order item %s completed without its resource", ev.Item.ID)
		}
	}
	return st, nil
}

// completeItem completes the CFS item plan.CFS[k] of a site and records its
// service instance.
func (s *SOM) completeItem(now time.Duration, o *order, st *site, k int, out *engine.Out) {
	i := st.items[k].i
	it := &o.so.Items[i]
	if it.State != lc.InProgress {
		return // cancelled meanwhile
	}
	cfs := st.plan.CFS[k].CFS
	id := st.ids[k]
	if it.Action == tmf.Delete {
		if svc := s.Services.Get(id); svc != nil {
			out.Inventory("service", svc.ID, svc.Name, svc.State, "terminated")
			svc.State = "terminated"
		}
		it.Service.ID = id
		s.finishItem(o, i, lc.Complete, "", out)
		return
	}
	if st.services == nil {
		st.services = make([]tmf.Service, len(st.plan.CFS))
	}
	// The supporting resources of plan.CFS[k] follow those of the CFS
	// before it in the site's refs: its steps are first, first+1, ...
	first := 0
	for _, c := range st.plan.CFS[:k] {
		first += len(c.Steps)
	}
	steps := st.plan.CFS[k].Steps
	svc := &st.services[k]
	// A modify changes the service it replaces, which the order holds: it
	// keeps its place in the inventory and the date it started.
	old := s.Services.Get(id)
	if it.Action != tmf.Modify {
		old = nil
	}
	ord, start := uint64(0), now
	if old != nil {
		ord, start = old.Ord, old.StartDate
	} else {
		s.nextService++
		ord = uint64(s.nextService)
	}
	*svc = tmf.Service{ID: id, Name: cfs.Name, Category: "CFS", State: "active", Specification: tmf.Ref{ID: cfs.ID},
		Characteristics: it.Service.Characteristics, Place: st.place, RelatedParty: o.so.RelatedParty, StartDate: start,
		SupportingRes: st.refs[first : first+len(steps) : first+len(steps)], Ord: ord}
	// The service carries the ordered characteristics, the probe's
	// measurements when it has a probe, and references its resources.
	for _, j := range steps {
		for _, c := range st.steps[j].chars {
			if strings.HasPrefix(c.Name, "measured") {
				if len(svc.Characteristics) == len(it.Service.Characteristics) {
					svc.Characteristics = slices.Clip(svc.Characteristics)
				}
				svc.Characteristics = append(svc.Characteristics, c)
			}
		}
	}
	s.Services.Put(svc.ID, svc)
	s.hold(o, svc.ID)
	switch {
	case old == nil:
		out.Inventory("service", svc.ID, svc.Name, "", svc.State)
	case old.State != svc.State:
		out.Inventory("service", svc.ID, svc.Name, old.State, svc.State)
	default:
		out.InventoryModified("service", svc.ID, svc.Name, svc.State, o.so.ID+": "+changes(old.Characteristics, svc.Characteristics)+"; its resources replaced")
	}
	if old != nil {
		s.carry(o, st, svc, it.Service.Characteristics, out)
	}
	o.services[i] = svc
	it.Service.ID = svc.ID
	s.finishItem(o, i, lc.Complete, "", out)
}

// resourceReleased takes ROM's word that a completed resource order item's
// resource was given back (its site compensated): the service it supports,
// installed by a completed add item plan.CFS[k], cannot stay active on it
// and is terminated. A service not yet made, or already ended, is left.
func (s *SOM) resourceReleased(o *order, st *site, k int, out *engine.Out) {
	it := &o.so.Items[st.items[k].i]
	if it.State != lc.Completed || it.Action != tmf.Add {
		return
	}
	if svc := s.Services.Get(st.ids[k]); svc != nil && svc.State == "active" {
		out.Inventory("service", svc.ID, svc.Name, svc.State, "terminated")
		svc.State = "terminated"
	}
}

// finishItem ends a service order item and, when it is the last, the order.
func (s *SOM) finishItem(o *order, i int, event, reason string, out *engine.Out) {
	it := &o.so.Items[i]
	if it.State == lc.Completed || it.State == lc.Failed || it.State == lc.Cancelled {
		return
	}
	it.StateReason = reason
	if !out.Fire(s.machines, lc.ServiceOrderItem, it.ID, "", &it.State, event, reason, "SOM") {
		return
	}
	s.notify(out, o, tmf.ServiceOrderItemStateChange, i)
	o.final++
	s.finishOrder(o, out)
}

// finishOrder ends the service order once every item is final.
func (s *SOM) finishOrder(o *order, out *engine.Out) {
	if o.final < len(o.so.Items) {
		return
	}
	ev := lc.Finish(o.so.Items, func(it *tmf.ServiceOrderItem) string { return it.State })
	ok := false
	if ev == lc.Cancel {
		ok = out.Cancel(s.machines, lc.ServiceOrder, o.so.ID, o.so.Description, &o.so.State, "every item cancelled", "SOM → COM")
	} else {
		ok = out.Fire(s.machines, lc.ServiceOrder, o.so.ID, o.so.Description, &o.so.State, ev, "", "SOM → COM")
	}
	if ok {
		o.so.CompletionDate = out.Now()
		s.notify(out, o, tmf.ServiceOrderStateChange, -1)
		s.ended(o, out)
	}
}

// cancel cancels items of a service order (all of them when none are
// named): each not yet final is cancelled, and a site whose items are all
// cancelled has its resource order cancelled, which releases everything it
// holds.
func (s *SOM) cancel(c *tmf.CancelRequest, out *engine.Out) {
	o, err := s.cancelled(c)
	if err != nil {
		out.Error(err)
		return
	}
	if lc.IsFinal(lc.ServiceOrder, o.so.State) {
		return // ended before the request came: nothing left to cancel
	}
	reason := "cancelled: " + c.Reason
	for i := range o.so.Items {
		it := &o.so.Items[i]
		if len(c.Items) > 0 && !slices.Contains(c.Items, it.ID) {
			continue
		}
		switch it.State {
		case lc.Acknowledged, lc.InProgress, lc.Held, lc.Pending:
			it.StateReason = reason
			if !out.Cancel(s.machines, lc.ServiceOrderItem, it.ID, "", &it.State, reason, "SOM") {
				return
			}
			o.final++
			s.notify(out, o, tmf.ServiceOrderItemStateChange, i)
		}
	}
	for k := range o.sites {
		s.cancelSite(&o.sites[k], c.Reason, out)
	}
	s.finishOrder(o, out)
}

// cancelled finds the order a cancellation names, by id or, without
// one, by external id; an order SOM does not have is an error wrapping
// tmf.ErrUnknownOrder.
func (s *SOM) cancelled(c *tmf.CancelRequest) (*order, error) {
	o := s.byID[c.OrderID]
	if c.OrderID == "" && c.ExternalID != "" {
		o = s.byExternal[c.ExternalID]
	}
	if o == nil {
		return nil, fmt.Errorf("SOM: cancel of service order %q (%s), which SOM does not have: %w", c.OrderID, c.ExternalID, tmf.ErrUnknownOrder)
	}
	return o, nil
}

// cancelSite rolls back a site once its items are all final and some were
// cancelled, and ROM has told its resource order's id: the resource order
// is cancelled (releasing everything, what completed included) and the
// services of items that completed before the cancellation are terminated.
func (s *SOM) cancelSite(st *site, reason string, out *engine.Out) {
	if st.roID == "" || st.cancelled {
		return
	}
	some := false
	for _, si := range st.items {
		switch st.order.so.Items[si.i].State {
		case lc.Cancelled:
			some = true
		case lc.Completed, lc.Failed:
		default:
			return
		}
	}
	if !some {
		return
	}
	for _, si := range st.items {
		if svc := st.order.services[si.i]; svc != nil {
			out.Inventory("service", svc.ID, svc.Name, svc.State, "terminated")
			svc.State = "terminated"
		}
	}
	st.cancelled = true
	if st.owed == 0 {
		st.owed = 1 // its end, told again
	} else {
		st.race = true
	}
	if reason == "" {
		reason = st.order.so.Items[st.items[0].i].StateReason
	}
	out.Send(engine.ROM, 0, &tmf.CancelRequest{OrderID: st.roID, Reason: reason})
}

// notify sends the orderer an event about the order, or about its item i
// (i ≥ 0).
func (s *SOM) notify(out *engine.Out, o *order, t tmf.EventType, i int) {
	if o.from == 0 {
		return // placed from outside: the orderer reads the order over TMF641
	}
	ev := s.events.New(t, o.so.ID, o.so.ExternalID, o.so.State, i >= 0)
	ev.Handle = o.so.Handle
	ev.At = out.Now()
	if i >= 0 {
		it := &o.so.Items[i]
		*ev.Item = tmf.ItemEvent{ID: it.ID, Handle: it.Handle, State: it.State, StateReason: it.StateReason}
		if svc := o.services[i]; svc != nil {
			ev.Item.Instance = tmf.Ref{ID: svc.ID, Name: svc.Name}
			ev.Item.Characteristics = svc.Characteristics
		}
	}
	out.Send(o.from, 0, ev)
}

package rom

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// A snapshot of ROM keeps its orders in arrival order, each with its
// items and its steps (with the key and operation of each one's call in
// flight) and the resources it holds (which give the inventory's holds
// again), the resource inventory in
// insertion order, the alerts raised, the metrics and the order counter.
//
// Resources are shared: an item and the inventory point at one object, often the storage of the item's step. A snapshot
// keeps each object once and every pointer as a reference (resourceRef);
// Restore rebuilds the sharing. What the configuration gives (the systems
// of a step, its dependencies as indexes) and the indexes (by id, by
// external id, by item, by request handle) are rebuilt on Restore.

// savedROM is ROM's state in a snapshot.
type savedROM struct {
	Orders []savedOrder
	// Pool holds the resources that are not a step's own storage.
	Pool []tmf.Resource
	// Inventory lists the inventory's resources in insertion order.
	Inventory []resourceRef
	NextOrder int
	// Jeopardies are every alert raised, in a snapshot of an earlier
	// build; now each order keeps its own (savedOrder.Jeopardies) and
	// Raised counts them.
	Jeopardies []tmf.Jeopardy
	Raised     int
	Retries    []systemCount
	Completed  int
	NextHandle int
	Retired    []stateCount
	// Operator is what people did on ROM's worklist, Holds when and by
	// whom its items were held.
	Operator operator.Saved
	Holds    []heldItem
	// NextResource numbers the next resource allocated.
	NextResource int
}

type stateCount struct {
	State string
	Items int
}

// resourceRef stands for a pointer to a resource: 0 is nil, k > 0 is
// Pool[k-1], k < 0 is the storage of the step whose request handle is
// -k-1.
type resourceRef int

// savedOrder is an order; the Resource of its items is nil, their
// references are beside.
type savedOrder struct {
	RO tmf.ResourceOrder
	// Handle is the request handle of its first item; Waiting counts its
	// calls in flight.
	Handle, Waiting int
	Resources       []resourceRef
	Steps           []savedStep
	// InFlight is set while the order may have calls in flight (its steps'
	// Key and Op).
	InFlight     bool
	Compensating bool
	Cancelled    bool
	Finished     bool
	Reason       string
	From         engine.Address
	Customer     string
	Done         int
	// Held are the ids of the resources the order holds.
	Held []string
	// Jeopardies are the alerts raised on its items.
	Jeopardies []tmf.Jeopardy
}

// savedStep is a step without what the configuration gives (spec, deps).
type savedStep struct {
	Key                string
	Op                 port.Op
	Attempts, Replaced int
	Released, Owned    bool
	Resource           tmf.Resource
	Shipment           savedShipment
}

type savedShipment struct{ ID, Name, State string }

type systemCount struct {
	System port.System
	Calls  int
}

// Messages implements engine.Messages: ROM's timers and what other
// components and the adapters send it.
func (r *ROM) Messages() []any {
	return []any{&start{}, retry{}, holdExpired{}, &stepDue{}, retire{}, OrderRequest{}, operator.Action{},
		&tmf.ResourceOrder{}, &tmf.CancelRequest{}, &port.Result{}, operator.Retire{}}
}

// Snapshot implements engine.Snapshotter.
func (r *ROM) Snapshot() ([]byte, error) { return r.AppendState(nil) }

// AppendState implements engine.StateAppender: Snapshot's state, appended
// to buf.
func (r *ROM) AppendState(buf []byte) ([]byte, error) {
	refs := map[*tmf.Resource]resourceRef{}
	for o := range r.orders.All() {
		for i := range o.steps {
			refs[&o.steps[i].resource] = -resourceRef(o.handle + i + 1)
		}
	}
	st := savedROM{NextOrder: r.nextOrder, Raised: r.raised, Completed: r.completed, NextHandle: r.nextHandle,
		Operator: r.ops.Save(), Holds: r.savedHolds(),
		NextResource: r.nextResource}
	for _, s := range slices.Sorted(maps.Keys(r.retired)) {
		st.Retired = append(st.Retired, stateCount{s, r.retired[s]})
	}
	ref := func(p *tmf.Resource) resourceRef {
		if p == nil {
			return 0
		}
		if k, ok := refs[p]; ok {
			return k
		}
		st.Pool = append(st.Pool, *p)
		refs[p] = resourceRef(len(st.Pool))
		return refs[p]
	}
	st.Orders = make([]savedOrder, r.orders.Len())
	for n, o := range r.orders.Slice() {
		so := &st.Orders[n]
		*so = savedOrder{RO: o.ro, Handle: o.handle, Waiting: o.calls, Compensating: o.compensating, Cancelled: o.cancelled, Finished: o.finished,
			Reason: o.reason, From: o.from, Customer: o.customer, Done: o.done, InFlight: !o.settled, Held: o.held,
			Jeopardies: o.jeopardies}
		so.RO.Items = slices.Clone(o.ro.Items)
		so.Resources = make([]resourceRef, len(o.ro.Items))
		for i := range so.RO.Items {
			so.Resources[i] = ref(so.RO.Items[i].Resource)
			so.RO.Items[i].Resource = nil
		}
		so.Steps = make([]savedStep, len(o.steps))
		for i, sp := range o.steps {
			so.Steps[i] = savedStep{Key: sp.key, Op: sp.op, Attempts: sp.attempts, Replaced: sp.replaced, Released: sp.released, Owned: sp.owned,
				Resource: sp.resource}
			if s := sp.shipment; s != nil {
				so.Steps[i].Shipment = savedShipment{s.id, s.name, s.state}
			}
		}
	}
	for _, res := range r.Resources.All() {
		st.Inventory = append(st.Inventory, ref(res))
	}
	for sys, n := range r.retries {
		st.Retries = append(st.Retries, systemCount{sys, n})
	}
	slices.SortFunc(st.Retries, func(a, b systemCount) int { return cmp.Compare(a.System, b.System) })
	b, err := engine.AppendState(buf, &st)
	if err != nil {
		return nil, fmt.Errorf("ROM snapshot: %w", err)
	}
	return b, nil
}

// Restore implements engine.Snapshotter: ROM must be new, built with the
// configuration of the ROM saved.
func (r *ROM) Restore(state []byte) error {
	if r.orders.Len() > 0 || r.Resources.Len() > 0 {
		return fmt.Errorf("ROM restore: ROM has orders already")
	}
	var st savedROM
	if err := engine.DecodeState(state, &st); err != nil {
		return fmt.Errorf("ROM restore: %w", err)
	}
	for n := range st.Orders {
		so := &st.Orders[n]
		if len(so.Resources) != len(so.RO.Items) || len(so.Steps) != len(so.RO.Items) {
			return fmt.Errorf("ROM restore: resource order %s: its items and steps do not match", so.RO.ID)
		}
		o := &order{ro: so.RO, settled: !so.InFlight, compensating: so.Compensating, cancelled: so.Cancelled, finished: so.Finished,
			reason: so.Reason, from: so.From, customer: so.Customer, done: so.Done, calls: so.Waiting, held: so.Held,
			jeopardies: so.Jeopardies}
		for _, id := range o.held {
			r.Resources.Hold(id)
		}
		o.steps = make([]step, len(so.Steps))
		for i, sp := range so.Steps {
			o.steps[i] = step{key: sp.Key, op: sp.Op, attempts: sp.Attempts, replaced: sp.Replaced, released: sp.Released, owned: sp.Owned,
				resource: sp.Resource}
			if s := sp.Shipment; s != (savedShipment{}) {
				o.steps[i].shipment = &shipment{s.ID, s.Name, s.State}
			}
		}
		if n > 0 && so.Handle < r.nextHandle {
			return fmt.Errorf("ROM restore: resource order %s: request handle %d before %d", so.RO.ID, so.Handle, r.nextHandle)
		}
		r.nextHandle = so.Handle
		r.track(o)
		r.orders.Add(o.handle, o)
	}
	if st.NextHandle < r.nextHandle {
		return fmt.Errorf("ROM restore: next request handle %d before %d", st.NextHandle, r.nextHandle)
	}
	r.nextHandle = st.NextHandle
	for _, c := range st.Retired {
		r.retired[c.State] = c.Items
	}
	pool := make([]tmf.Resource, len(st.Pool))
	copy(pool, st.Pool)
	resource := func(k resourceRef) (*tmf.Resource, error) {
		switch {
		case k == 0:
			return nil, nil
		case k > 0 && int(k) <= len(pool):
			return &pool[k-1], nil
		case k < 0:
			if h, ok := r.byHandle(int(-k - 1)); ok {
				return &h.o.steps[h.i].resource, nil
			}
		}
		return nil, fmt.Errorf("ROM restore: no resource %d", k)
	}
	for n, o := range r.orders.Slice() {
		so := &st.Orders[n]
		for i := range o.ro.Items {
			res, err := resource(so.Resources[i])
			if err != nil {
				return err
			}
			o.ro.Items[i].Resource = res
		}
	}
	for _, k := range st.Inventory {
		res, err := resource(k)
		if err != nil || res == nil {
			return fmt.Errorf("ROM restore: the inventory: no resource %d", k)
		}
		r.Resources.Put(res.ID, res)
	}
	r.nextOrder, r.raised, r.completed, r.nextResource = st.NextOrder, st.Raised, st.Completed, st.NextResource
	// An earlier build's alerts, in one list: each to its item's order,
	// numbered by its place (those of orders gone stay in the journal).
	for k, j := range st.Jeopardies {
		j.N = k + 1
		if o := r.byItem.find(j.Entity); o != nil {
			o.jeopardies = append(o.jeopardies, j)
		}
		r.raised = k + 1
	}
	r.ops.Load(st.Operator)
	for _, h := range st.Holds {
		r.holds[h.Item] = h
	}
	for _, c := range st.Retries {
		r.retries[c.System] = c.Calls
	}
	return nil
}

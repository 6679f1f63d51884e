package scenarios

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/system"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/twin"
)

// System is the core wired to a twin: a node (core/system) whose adapters
// are the twin, but for the systems the options give another adapter.
type System struct {
	*system.System
	Spec Spec
	Twin *twin.Twin
	// Rehearsal records what the real adapters of Options.DryRun would
	// have sent (nil without them).
	Rehearsal *port.Rehearsal
	// Timeline keeps only the records a report shows, when Record is set.
	timeline []store.Record
}

// Options tune a run.
type Options struct {
	Clock engine.Clock
	// Timeline keeps the timeline for the report (off for scale runs).
	Timeline bool
	// Journal takes every record: the in-memory store when nil, or a
	// durable one (core/store/sqlite).
	Journal store.Journal
	// Log, when set, keeps the commands taken from the API (the engine's
	// input log): a restarted server replays them.
	Log store.InputLog
	// Codec encodes the inputs for Log; nil means system.Codec(), the
	// commands of the APIs.
	Codec *engine.Codec
	// Progress, when set, is told every timeline row once the journal
	// has committed it (never before: a crash cannot take back what it
	// was told), on the goroutine that committed it, so it must return
	// quickly: a wall-clock run shows what happens while it happens. The
	// journal must have a feed (store.FeedOf).
	Progress func(TimelineRow)
	// Role, when set, runs one of COM, SOM and ROM ("com", "som", "rom"),
	// the others in other processes reached through Peers: COM needs SOM,
	// SOM needs COM and ROM, ROM needs SOM. Only COM places the
	// scenario's orders and takes its customer events; every role's twin
	// takes its network events and faults.
	Role  string
	Peers map[engine.Address]engine.Peer
	// Adapters replace the twin for the systems they name (an adapters
	// file's real adapters); the twin serves every other system, and
	// still takes the scenario's network events and faults.
	Adapters map[port.System]port.Adapter
	// Owner is the identity of the store the run keeps its records in,
	// which the real adapters (and the rehearsed ones of a dry run) write
	// beside the order item on what they allocate (port.Owner); empty
	// for the item alone.
	Owner string
	// Deadlines are how long, on the run's clock, a call to an adapter
	// outside the process may take, per system (system.Config.Deadlines).
	Deadlines map[port.System]time.Duration
	// DryRun rehearses the systems it names (port.Rehearsal): the twin
	// answers them, and System.Rehearsal records what each real adapter
	// would have sent (run --dry-run).
	DryRun map[port.System]port.DryRunner
	// ManualReview: quotes wait for people to decide each approval stage
	// over the quote API, instead of the twin's reviewers.
	ManualReview bool
	// StageKeys and Approvers: how approval decisions are signed and
	// whose are taken (com.Config).
	StageKeys map[string]string
	Approvers map[string][]string
	Unsigned  bool
	// Snapshots says when a serving engine takes snapshots, and where it
	// keeps them.
	Snapshots engine.SnapshotPolicy
	// Retention, when positive, is how long (virtual time) a finished
	// product, service or resource order stays in memory: then the APIs
	// read it from the store's shelf.
	Retention time.Duration
	// Shard, when set, makes the system one shard of a deployment of
	// several (docs/architecture.md §7): it places the scenario's orders
	// of the customers Shard says are its own, and takes the customer
	// events of those orders; the other shards take the rest. Every shard's
	// twin takes the network's events and faults.
	Shard func(customer string) bool
	// IDs numbers the ids the components give (system.Config.IDs).
	IDs tmf.IDSpace
	// Ledger, when set, is where the twin takes every resource it hands
	// out: the allocation authority of the shards of a deployment, each
	// with a twin of the whole network (port.Ledger).
	Ledger port.Ledger
}

// New wires a system for spec and queues its orders.
func New(spec Spec, opt Options) (*System, error) {
	tw, err := twin.New(spec.Network)
	if err != nil {
		return nil, err
	}
	if opt.Ledger != nil {
		tw.UseLedger(opt.Ledger)
	}
	adapters := make(map[port.System]port.Adapter, len(twin.Systems))
	for _, sys := range twin.Systems {
		adapters[sys] = tw
	}
	for sys, a := range opt.Adapters {
		port.Own(a, opt.Owner)
		adapters[sys] = a
	}
	var rehearsal *port.Rehearsal
	if len(opt.DryRun) > 0 {
		rehearsal = port.NewRehearsal(port.DryRunners(opt.DryRun), tw)
		for sys, d := range opt.DryRun {
			if o, ok := d.(port.Owner); ok {
				o.Own(opt.Owner)
			}
			adapters[sys] = rehearsal
		}
	}
	node, err := system.New(system.Config{Catalog: spec.Catalog, Epoch: spec.Epoch, Seed: spec.Seed,
		Clock: opt.Clock, Journal: opt.Journal, Log: opt.Log, Codec: opt.Codec, Role: opt.Role, Peers: opt.Peers,
		Adapters:  adapters,
		Delays:    system.Delays{Plan: tw.Duration("som.plan", ""), Start: tw.Duration("rom.start", "")},
		Approvals: system.Approvals{Manual: opt.ManualReview, StageKeys: opt.StageKeys, Approvers: opt.Approvers, Unsigned: opt.Unsigned},
		Snapshots: opt.Snapshots, Retention: opt.Retention, Deadlines: opt.Deadlines, IDs: opt.IDs})
	if err != nil {
		return nil, err
	}
	s := &System{System: node, Spec: spec, Twin: tw, Rehearsal: rehearsal}
	s.Engine.Handle(engine.Env, network{twin: tw, seed: spec.Seed})
	var triggered []Event
	for _, ev := range spec.Events {
		if req, _, _ := ev.customerRequest(); req != nil && s.COM == nil {
			continue // the customer speaks to COM, in its own process
		}
		if !ownEvent(spec, opt.Shard, ev) {
			continue // an event of another shard's order
		}
		if ev.After != "" {
			triggered = append(triggered, ev)
			continue
		}
		s.Engine.Inject(ev.At, engine.Env, ev)
	}
	if len(triggered) > 0 {
		tr := &triggers{events: triggered, fired: make([]bool, len(triggered))}
		s.Engine.Observe(func(r store.Record) { tr.observe(s.Engine, r) })
		s.Engine.Keep("triggered events", tr)
	}
	// A snapshot keeps the calls the twin has not answered yet; restored,
	// it answers them through the engine's repliers.
	tw.Callers(s.Engine.Replier)
	// The twin lives and dies with this engine: nothing can repeat a call
	// to it, so it need not remember answers.
	tw.Forget()
	if err := tw.Inject(spec.Faults, spec.Seed, engine.NewPCG); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(spec.Faults, func(f twin.FaultRule) bool { return f.After != "" }) {
		s.Engine.Observe(func(r store.Record) { tw.Witness(r.At, r.Entity, r.Name, r.To) })
	}
	if opt.Timeline {
		s.Engine.Observe(func(r store.Record) {
			if onTimeline(r) {
				s.timeline = append(s.timeline, r)
			}
		})
	}
	if opt.Progress != nil {
		// What leaves the process is committed: the journal's feed.
		feed, ok := store.FeedOf(s.Journal)
		if !ok {
			return nil, fmt.Errorf("progress: the journal (%T) has no feed of its commits", s.Journal)
		}
		feed.Watch(func(_ int64, records []store.Record) {
			for _, r := range records {
				if onTimeline(r) {
					opt.Progress(timelineRow(r))
				}
			}
		})
	}
	numbered := 0 // the quotes COM numbers itself, in the order injected
	for i, p := range spec.Orders {
		if s.COM == nil {
			break // COM's process places them
		}
		if opt.Shard != nil && !opt.Shard(p.Quote.Customer.ID) {
			continue // another shard's
		}
		if err := s.COM.Check(p.Quote); err != nil {
			return nil, fmt.Errorf("order %d: %w", i+1, err)
		}
		s.Engine.Inject(0, engine.COM, p.Quote)
		quoteID := p.Quote.ID
		if quoteID == "" {
			// The id COM gives it: the next of its space (a shard's ids
			// are every Nth).
			numbered++
			quoteID = tmf.SeqID("QT", opt.IDs.Nth(numbered))
		}
		s.Engine.Inject(p.At, engine.COM, com.OrderRequest{Order: com.NewOrder(p.OrderID, p.Quote, quoteID)})
	}
	return s, nil
}

// ownEvent reports whether a customer event of the scenario is the
// shard's that shard says yes to: the shard of its order's customer (of
// the scenario's only order when it names none). A release of a wave of
// every order, and an event of the network, is every shard's; without
// shards, every event is.
func ownEvent(spec Spec, shard func(customer string) bool, ev Event) bool {
	if shard == nil {
		return true
	}
	var order string
	switch {
	case ev.Release != nil:
		if ev.Release.Order == "" {
			return true
		}
		order = ev.Release.Order
	case ev.AddSite != nil:
		order = ev.AddSite.Order
	case ev.Change != nil:
		order = ev.Change.Order
	case ev.Remove != nil:
		order = ev.Remove.Order
	case ev.Cancel != nil:
		order = ev.Cancel.Order
	default:
		return true
	}
	for _, p := range spec.Orders {
		if order == "" || p.OrderID == order {
			return shard(p.Quote.Customer.ID)
		}
	}
	return shard("") // an order no shard places: the first shard's answer
}

// triggers are the scenario's events that happen after a timeline row
// (Event.After), and which of them have happened: each happens once.
type triggers struct {
	events []Event
	fired  []bool
}

// observe queues the events that the record r triggers.
func (t *triggers) observe(e *engine.Engine, r store.Record) {
	for i, ev := range t.events {
		if want, state, _ := strings.Cut(ev.After, " "); !t.fired[i] && (want == r.Entity || want == r.Name) && state == r.To {
			ev.After = ""
			e.Inject(r.At+ev.At, engine.Env, ev)
			t.fired[i] = true
		}
	}
}

// Snapshot implements engine.Snapshotter: which events have happened.
func (t *triggers) Snapshot() ([]byte, error) {
	b := make([]byte, len(t.fired))
	for i, f := range t.fired {
		if f {
			b[i] = 1
		}
	}
	return b, nil
}

// Restore implements engine.Snapshotter.
func (t *triggers) Restore(b []byte) error {
	if len(b) != len(t.fired) {
		return fmt.Errorf("the snapshot keeps %d triggered events, the scenario has %d", len(b), len(t.fired))
	}
	for i := range t.fired {
		t.fired[i] = b[i] == 1
	}
	return nil
}

// The twin is saved in the system's snapshots, as its adapter.
var _ engine.Snapshotter = (*twin.Twin)(nil)

// network is the world outside the core: it turns scenario events into
// calls to the twin, journalled like any input. It keeps no state of its
// own: a fault it injects is the twin's.
type network struct {
	twin *twin.Twin
	seed uint64
}

// Snapshot implements engine.Snapshotter: there is nothing to keep.
func (network) Snapshot() ([]byte, error) { return nil, nil }

// Restore implements engine.Snapshotter.
func (network) Restore(b []byte) error {
	if len(b) > 0 {
		return errors.New("network: a snapshot with state, but the network keeps none")
	}
	return nil
}

// Messages implements engine.Messages.
func (network) Messages() []any { return []any{Event{}, &port.Result{}} }

func (n network) Handle(now time.Duration, msg any, out *engine.Out) {
	switch m := msg.(type) {
	case Event:
		if req, says, event := m.customerRequest(); req != nil {
			out.Record(store.Record{Kind: "customer", Entity: "customer", System: "Sales Console", To: says, Event: event, Reason: m.Note})
			out.Send(engine.COM, 0, req)
			return
		}
		if m.Fault != nil {
			if err := n.twin.InjectLive(now, *m.Fault, n.seed, engine.NewPCG); err != nil {
				out.Error(fmt.Errorf("inject a fault: %w", err))
				return
			}
			out.Record(store.Record{Kind: "fault", Entity: m.Fault.Name, System: "Network", To: "injected", Event: string(m.Fault.Kind), Reason: m.Note})
			return
		}
		if m.Lift != "" {
			if err := n.twin.Lift(m.Lift); err != nil {
				out.Error(fmt.Errorf("lift a fault: %w", err))
				return
			}
			out.Record(store.Record{Kind: "fault", Entity: m.Lift, System: "Network", To: "lifted", Event: "lift", Reason: m.Note})
			return
		}
		if m.Clock != "" {
			out.Record(store.Record{Kind: "clock", Entity: "clock", System: "Console", To: m.Clock, Event: "clock", Reason: m.Note})
			return
		}
		if m.Release != nil {
			out.Record(store.Record{Kind: "operator", Entity: "operator", System: "Console", To: "released", Event: "release", Reason: m.Note})
			out.Send(engine.COM, 0, *m.Release)
			return
		}
		if m.Remediate != "" {
			out.Record(store.Record{Kind: "network", Entity: "network", System: "Network", To: "remedied", Event: "remediate", Reason: m.Note})
			out.Send(engine.COM, 0, com.Remediate{Wave: m.Remediate})
			return
		}
		if n.twin != nil {
			// What the network cannot build (a slot an operator's
			// expansion took since the scenario was checked) is not built,
			// and the timeline says why.
			if err := n.twin.CheckExpansion(m.Build); err != nil {
				out.Record(store.Record{Kind: "network", Entity: "network", System: "Network", To: "refused", Event: "expand",
					Reason: err.Error() + "; the event builds nothing (" + m.Note + ")"})
				return
			}
		}
		out.Record(store.Record{Kind: "network", Entity: "network", System: "Network", To: "expanded", Event: "expand", Reason: m.Note})
		out.Call(port.Request{Key: fmt.Sprintf("expand@%d", now), System: port.Planning, Op: port.Expand, Characteristics: m.Build})
	case *port.Result:
		if m.Err != nil {
			out.Record(store.Record{Kind: "network", Entity: "network", System: "Network", To: "failed", Event: "expand",
				Reason: "the network's expansion failed: " + m.Err.Error()})
		}
	default:
		out.Error(fmt.Errorf("network: unexpected input %T", msg))
	}
}

// customerRequest is the request to COM that a customer's event carries,
// what the timeline says the customer does, and the event's name; nil for
// a network event.
func (e Event) customerRequest() (req any, says, event string) {
	switch {
	case e.AddSite != nil:
		return *e.AddSite, "adds a site", "addSite"
	case e.Change != nil:
		return *e.Change, "changes", "change"
	case e.Remove != nil:
		return *e.Remove, "removes a site", "removeSite"
	case e.Cancel != nil:
		return *e.Cancel, "cancels", "cancel"
	}
	return nil, "", ""
}

// API is the HTTP front of the system (system.System.API), which knows
// the streets of the twin's network.
func (s *System) API() *api.Server {
	known := map[string]bool{}
	for _, a := range s.Spec.Network.Addresses {
		known[a.Address] = true
	}
	srv := s.System.API()
	srv.KnownAddress = func(a string) bool { return known[a] }
	return srv
}

// Run runs the system until nothing is left to do.
func (s *System) Run(ctx context.Context) error { return s.Engine.Run(ctx) }

// Run runs a loaded scenario on the virtual clock and reports on it, with
// its expectations checked.
func (sc *Scenario) Run(ctx context.Context, opt Options) (*Report, error) {
	opt.Timeline = len(sc.Spec.Orders) == 1
	sys, err := New(sc.Spec, opt)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Path, err)
	}
	if err := sys.Run(ctx); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Path, err)
	}
	r := sys.Report()
	r.Expectations = sc.Expect.Evaluate(r)
	return r, nil
}

// DryRun runs a loaded scenario on the virtual clock with the systems of
// opt.DryRun rehearsed, and returns what their real adapters would have
// sent, call by call, with the report.
func (sc *Scenario) DryRun(ctx context.Context, opt Options) (*Report, []port.Rehearsed, error) {
	if len(opt.DryRun) == 0 {
		return nil, nil, fmt.Errorf("scenario %s: a dry run needs an adapter to rehearse", sc.Path)
	}
	opt.Timeline = len(sc.Spec.Orders) == 1
	sys, err := New(sc.Spec, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("scenario %s: %w", sc.Path, err)
	}
	if err := sys.Run(ctx); err != nil {
		return nil, nil, fmt.Errorf("scenario %s: %w", sc.Path, err)
	}
	r := sys.Report()
	r.Expectations = sc.Expect.Evaluate(r)
	return r, sys.Rehearsal.Sent(), nil
}

// onTimeline tells which records the timeline shows: every change of
// quotes, approvals, orders, waves, shipments and tasks, and of items all
// but their creation and start (their ends, holds and resumes).
func onTimeline(r store.Record) bool {
	switch r.Kind {
	case "product", "service", "resource", "milestone":
		return false // the entity map shows the inventories; shipments their milestones
	case approval.DigestKind, approval.RecordKind:
		return false // the approvals' transitions show their decisions
	case "productOrderItem", "serviceOrderItem", "resourceOrderItem":
		return r.Event != "create" && r.Event != "start"
	}
	return true
}

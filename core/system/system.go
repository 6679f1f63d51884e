package system

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/peer"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// System is a running node: an engine and the components it runs. A
// component this node's role does not run is nil.
type System struct {
	Engine  *engine.Engine
	COM     *com.COM
	SOM     *som.SOM
	ROM     *rom.ROM
	Docs    *docs.Docs
	Inbox   *peer.Inbox
	Journal store.Journal
	// Catalog and Epoch are the config's, for the API.
	Catalog *catalog.Catalog
	Epoch   time.Time
}

// Config is what a node is built from.
type Config struct {
	// Catalog is the product catalogue the components decompose with.
	Catalog *catalog.Catalog
	// Epoch is the calendar time of T+0.
	Epoch time.Time
	// Seed seeds the engine's random streams.
	Seed uint64
	// Clock is the engine's clock: the virtual clock when nil.
	Clock engine.Clock
	// Journal takes every record: the in-memory store when nil, or a
	// durable one (core/store/sqlite).
	Journal store.Journal
	// Log, when set, keeps the commands taken from the API (the engine's
	// input log): a restarted server replays them.
	Log store.InputLog
	// Codec encodes the inputs for Log; nil means Codec(), the commands
	// of the APIs.
	Codec *engine.Codec
	// Role, when set, runs one of COM, SOM and ROM ("com", "som", "rom"),
	// the others in other processes reached through Peers (Roles says
	// which each needs).
	Role  string
	Peers map[engine.Address]engine.Peer
	// Adapters are the adapter of each system; a call to a system with
	// none is refused. An adapter may serve several systems.
	Adapters map[port.System]port.Adapter
	// Deadlines are how long, on the engine's clock, a call to an adapter
	// outside the process may take, per system
	// (engine.DefaultDeadline for a system not named).
	Deadlines map[port.System]time.Duration
	// Delays are the components' own working times.
	Delays Delays
	// Approvals says who decides quotes' approval stages.
	Approvals Approvals
	// Snapshots says when a serving engine takes snapshots, and where it
	// keeps them.
	Snapshots engine.SnapshotPolicy
	// Retention, when positive, is how long (virtual time) a finished
	// product, service or resource order stays in memory: then the APIs
	// read it from the store's shelf.
	Retention time.Duration
	// IDs numbers the ids the components give: a shard's of a deployment
	// of several apart from the others' (tmf.IDSpace).
	IDs tmf.IDSpace
}

// Delays are how long the components take for their own work (the twin's
// network file gives them as som.plan and rom.start).
type Delays struct {
	// Plan is the time SOM takes to build a service order's plan.
	Plan time.Duration
	// Start is the time between ROM accepting an order and starting it.
	Start time.Duration
}

// Approvals says who decides each approval stage of a quote, and how
// decisions are signed (com.Config).
type Approvals struct {
	// Manual: quotes wait for people to decide each stage over the quote
	// API, instead of the workflow system's reviewers.
	Manual bool
	// StageKeys and Approvers: how decisions are signed and whose are
	// taken; Unsigned takes decisions unsigned (a store first served
	// before they were signed).
	StageKeys map[string]string
	Approvers map[string][]string
	Unsigned  bool
}

// Roles are the components a process may run alone, and the components
// each talks to.
var Roles = map[string]struct {
	Runs  engine.Address
	Needs []engine.Address
}{
	"com": {engine.COM, []engine.Address{engine.SOM}},
	"som": {engine.SOM, []engine.Address{engine.COM, engine.ROM}},
	"rom": {engine.ROM, []engine.Address{engine.SOM}},
}

// Runs reports whether a node of role runs component a ("" runs all).
func Runs(role string, a engine.Address) bool { return role == "" || Roles[role].Runs == a }

// New builds a node: its engine with the components its role runs, their
// peers, and the adapters. It queues nothing: the caller injects what
// happens.
func New(cfg Config) (*System, error) {
	if cfg.Catalog == nil {
		return nil, fmt.Errorf("system: no catalog")
	}
	if cfg.Journal == nil {
		cfg.Journal = store.NewMemory()
	}
	if cfg.Codec == nil {
		cfg.Codec = Codec()
	}
	s := &System{Journal: cfg.Journal, Catalog: cfg.Catalog, Epoch: cfg.Epoch}
	s.Engine = engine.New(engine.Options{Clock: cfg.Clock, Store: cfg.Journal, Seed: cfg.Seed, Log: cfg.Log, Codec: cfg.Codec,
		Snapshots: cfg.Snapshots, Deadlines: cfg.Deadlines})
	if cfg.Role != "" {
		role, ok := Roles[cfg.Role]
		if !ok {
			return nil, fmt.Errorf("role %q: want com, som or rom", cfg.Role)
		}
		for _, a := range role.Needs {
			p := cfg.Peers[a]
			if p == nil {
				return nil, fmt.Errorf("role %s needs a peer for %s", cfg.Role, a)
			}
			s.Engine.Remote(a, p)
		}
	}
	if Runs(cfg.Role, engine.COM) {
		s.COM = com.New(com.Config{Catalog: cfg.Catalog, Epoch: cfg.Epoch, ManualReview: cfg.Approvals.Manual,
			StageKeys: cfg.Approvals.StageKeys, Approvers: cfg.Approvals.Approvers, Unsigned: cfg.Approvals.Unsigned, Retention: cfg.Retention, IDs: cfg.IDs})
		s.Engine.Handle(engine.COM, s.COM)
	}
	if Runs(cfg.Role, engine.SOM) {
		s.SOM = som.New(som.Config{Catalog: cfg.Catalog, PlanDelay: cfg.Delays.Plan, Retention: cfg.Retention, IDs: cfg.IDs})
		s.Engine.Handle(engine.SOM, s.SOM)
	}
	if Runs(cfg.Role, engine.ROM) {
		s.ROM = rom.New(rom.Config{Specs: ResourceSpecs(cfg.Catalog), StartDelay: cfg.Delays.Start,
			Policy: cfg.Catalog.PolicyFor, Deadline: cfg.Catalog.StepDeadline, Retention: cfg.Retention, IDs: cfg.IDs})
		s.Engine.Handle(engine.ROM, s.ROM)
	}
	s.Inbox = peer.NewInbox()
	s.Engine.Handle(engine.Peers, s.Inbox)
	s.Docs = docs.New(cfg.IDs)
	s.Engine.Handle(engine.Docs, s.Docs)
	if err := checkSystems(cfg.Adapters); err != nil {
		return nil, err
	}
	for sys, a := range cfg.Adapters {
		s.Engine.Attach(a, sys)
	}
	return s, nil
}

// checkSystems refuses an adapter for a system the core does not know, or
// a nil one.
func checkSystems(adapters map[port.System]port.Adapter) error {
	for sys, a := range adapters {
		if !slices.Contains(port.Systems, sys) {
			return fmt.Errorf("adapter for system %q: %w", sys, errUnknownSystem)
		}
		if a == nil {
			return fmt.Errorf("adapter for system %s: none given", sys)
		}
	}
	return nil
}

// errUnknownSystem lists the systems there are.
var errUnknownSystem = fmt.Errorf("no such system (the systems: %s)", strings.Join(names(port.Systems), ", "))

// ResourceSpecs derives ROM's resource table from the catalog's RFS.
func ResourceSpecs(c *catalog.Catalog) map[string]*rom.ResourceSpec {
	specs := map[string]*rom.ResourceSpec{}
	for _, r := range c.RFS {
		specs[r.Resource.Type] = &rom.ResourceSpec{Type: r.Resource.Type, Category: r.Resource.Category,
			Reserve: port.System(r.Resource.Reserve), Commit: port.System(r.Resource.Commit)}
	}
	return specs
}

// API is the HTTP front of the node: the TMF APIs of the components it
// runs, health and metrics.
func (s *System) API() *api.Server {
	shelf, _ := store.ShelfOf(s.Journal)
	return &api.Server{Engine: s.Engine, Stats: s.Stats, Epoch: s.Epoch, Shelf: shelf,
		COM: s.COM, SOM: s.SOM, ROM: s.ROM, Catalog: s.Catalog, Docs: s.Docs, Inbox: s.Inbox}
}

// Stats counts the node's product orders and resource order items by
// state, ROM's retries and completed items, for the metrics: what the
// components this process runs hold. Read it on the engine's goroutine.
func (s *System) Stats() api.Stats {
	st := api.Stats{OrdersByState: map[string]int{}, ResourceOrderItems: map[string]int{}}
	if s.COM != nil {
		for _, po := range s.COM.Orders() {
			st.OrdersByState[po.State]++
		}
		for state, n := range s.COM.Retired() {
			st.OrdersByState[state] += n
		}
	}
	if s.ROM != nil {
		for _, ro := range s.ROM.Orders() {
			for _, it := range ro.Items {
				st.ResourceOrderItems[it.State]++
			}
		}
		for state, n := range s.ROM.Retired() {
			st.ResourceOrderItems[state] += n
		}
		st.Retries, st.ResourceOrderItemsCompleted = s.ROM.Retries(), s.ROM.Completed()
	}
	return st
}

package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/hub"
	"github.com/ordertwin/ordertwin/core/api/tmf620"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf633"
	"github.com/ordertwin/ordertwin/core/api/tmf637"
	"github.com/ordertwin/ordertwin/core/api/tmf638"
	"github.com/ordertwin/ordertwin/core/api/tmf639"
	"github.com/ordertwin/ordertwin/core/api/tmf641"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/api/tmf652"
	"github.com/ordertwin/ordertwin/core/api/tmf679"
	"github.com/ordertwin/ordertwin/core/api/worklist"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/peer"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/store"
)

// Stats is what the metrics report, read on the engine's goroutine.
type Stats struct {
	// OrdersByState counts product orders by state.
	OrdersByState map[string]int
	// ResourceOrderItems counts resource order items by state.
	ResourceOrderItems map[string]int
	// Inputs is how many inputs the engine handled, Refused how many of
	// them it refused; Pending how many wait.
	Inputs  uint64
	Refused uint64
	Pending int
	// VirtualTime is the engine's time; Behind how far it is behind its
	// clock (engine.Behind).
	VirtualTime, Behind time.Duration
	// AdapterLatency is the latency of the adapters' calls per system, in
	// virtual time (engine.AdapterLatency).
	AdapterLatency map[port.System]engine.Histogram
	// Retries counts the calls ROM retried after a failure, per system.
	Retries map[port.System]int
	// ResourceOrderItemsCompleted counts the resource order items
	// completed: its rate is ROIs per second.
	ResourceOrderItemsCompleted int
}

// Server is the HTTP front of a serving engine: the TMF Open APIs of the
// components it runs, liveness, readiness and Prometheus metrics.
type Server struct {
	Engine *engine.Engine
	// Stats collects the figures; it runs on the engine's goroutine.
	Stats func() Stats
	// Timeout bounds a read of the engine's state or a command; 0 means
	// the engine's admission time for a read (engine.Limits: a read not
	// started by then is a 503) and 10 seconds for a command.
	Timeout time.Duration
	// Epoch is the calendar time of T+0: dates on the wire are Epoch plus
	// the engine's virtual time, in UTC.
	Epoch time.Time
	// The components this process runs: each serves its APIs; a nil one
	// serves none (a process of one role).
	COM     *com.COM
	SOM     *som.SOM
	ROM     *rom.ROM
	Catalog *catalog.Catalog
	Docs    *docs.Docs
	// Inbox takes the messages of COM, SOM or ROM in other processes.
	Inbox *peer.Inbox
	// Links carry messages to components in other processes (--role):
	// the metrics show how many wait.
	Links []*Link
	// PeerSettings is what the processes of a deployment (--role) must
	// serve alike (the scenario, the clock's scale and T+0), told to the
	// peers that ask how far this process has taken their streams
	// (PeerStreams); a Link whose Settings differ delivers nothing.
	PeerSettings string
	// StoreReachable, when set, says why the store cannot be reached (its
	// database away: a PostgreSQL server's hold on it lapsed), nil when it
	// can: /readyz asks it too, since an idle server finds out only at its
	// next commit.
	StoreReachable func() error
	// KnownAddress, when set, tells whether the network knows a street
	// address: a quote for an unknown one is refused at once.
	KnownAddress func(address string) bool
	// Shelf, when set, keeps the finished orders that have left the
	// components' memory: the APIs read them there.
	Shelf store.Shelf
	// Guard authenticates and authorizes every request but the public
	// routes (core/auth); nil lets every request in (tests of the APIs).
	Guard *auth.Guard
	// AccessLog, when set, takes a line per request.
	AccessLog *slog.Logger
	// OrderQuota is how many product orders a party may have in flight
	// when a caller bound to it places one (0: tmf622.DefaultOrderQuota);
	// one more is a 429.
	OrderQuota int
	inFlight   *tmf622.InFlight // made by Handler
	node       *tmf630.Node     // made by Handler
	// Hub is what the hubs allow: callbacks, quota, tenant (core/api/hub).
	Hub hub.Policy
	// More are the routes of packages outside the APIs (the console,
	// ui), registered after the APIs' and served behind the same front.
	More []func(*http.ServeMux)
}

// Handler routes the TMF APIs, /healthz, /readyz and /metrics, behind
// the request's authentication and authorization (front), each request
// then held to the limits every request is held to (tmf630.CheckRequest).
// The APIs reach the engine and the components through the Node made of
// s's fields here (Node).
func (s *Server) Handler() http.Handler {
	if s.inFlight == nil {
		s.inFlight = &tmf622.InFlight{}
	}
	s.node = s.newNode()
	quota := tmf622.Quota{Max: s.OrderQuota, InFlight: s.inFlight}
	mux := http.NewServeMux()
	for _, routes := range []func(*http.ServeMux){
		func(mux *http.ServeMux) { tmf622.Routes(s.node, quota, mux) }, on(s.node, tmf648.Routes),
		on(s.node, tmf679.Routes), on(s.node, tmf620.Routes), on(s.node, tmf633.Routes), on(s.node, tmf637.Routes),
		on(s.node, tmf638.Routes), on(s.node, tmf639.Routes),
		func(mux *http.ServeMux) { tmf641.Routes(s.node, s.fromPeer, mux) },
		func(mux *http.ServeMux) { tmf652.Routes(s.node, s.fromPeer, mux) },
		func(mux *http.ServeMux) { hub.Routes(s.node, &s.Hub, mux) }, s.peerListeners, on(s.node, worklist.Routes),
	} {
		routes(mux)
	}
	for _, routes := range s.More {
		routes(mux)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.HandleFunc("GET /metrics", s.metrics)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowed(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			tmf630.WriteError(w, tmf630.NewError(http.StatusMethodNotAllowed,
				fmt.Sprintf("%s %s: not offered; allowed are %s", r.Method, r.URL.Path, strings.Join(allow, ", "))))
			return
		}
		tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, "no resource at "+r.URL.Path))
	})
	return s.front(mux)
}

// allowed are the methods mux offers for r's path, r's own not among them
// (it reached the catch-all): those a route other than the catch-all
// takes, but for routes that only explain why they are not offered
// (tmf630.Refusal).
func allowed(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if h, pattern := mux.Handler(probe); pattern != "/" && pattern != "" && !tmf630.Refuses(h) {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead) // a GET route takes HEAD
			}
		}
	}
	return allow
}

// on is the routes of an API package (tmf638.Routes…) served from n.
func on(n *tmf630.Node, routes func(*tmf630.Node, *http.ServeMux)) func(*http.ServeMux) {
	return func(mux *http.ServeMux) { routes(n, mux) }
}

// Node is what the APIs' handlers reach of s: the one Handler made, or
// one made now from s's fields.
func (s *Server) Node() *tmf630.Node {
	if s.node != nil {
		return s.node
	}
	return s.newNode()
}

func (s *Server) newNode() *tmf630.Node {
	return &tmf630.Node{Engine: s.Engine, Timeout: s.Timeout, Epoch: s.Epoch, COM: s.COM, SOM: s.SOM, ROM: s.ROM,
		Catalog: s.Catalog, Docs: s.Docs, Inbox: s.Inbox, KnownAddress: s.KnownAddress, Shelf: s.Shelf}
}

// ready answers 200 once the engine takes queries (it is serving and not
// stuck in a step) and its store can write (engine.StoreFault: its last
// commit, or the write probe it starts with, which a query answered
// follows). Else a 503 says why, within twice the engine's admission
// time: an engine that does not run the probe's query within it is
// overloaded (engine.ErrOverloaded), and a query it ran waits as long
// again for its commit; a probe is not kept waiting for a slow commit.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*s.Engine.Limits().Admission)
	defer cancel()
	err := s.Node().Read(ctx, func() {})
	if f := s.Engine.StoreFault(); f != nil {
		err = f // what the engine's write probe or last commit says
	}
	if err == nil && s.StoreReachable != nil {
		if why := s.StoreReachable(); why != nil {
			w.Header().Set("Retry-After", "1")
			tmf630.WriteError(w, tmf630.NewError(http.StatusServiceUnavailable, "not ready: "+why.Error()))
			return
		}
	}
	if err == nil && s.Engine.ClockEnded() {
		tmf630.WriteError(w, tmf630.NewError(http.StatusServiceUnavailable, "not ready: "+errClockEnded.Error()))
		return
	}
	if err != nil {
		e := tmf630.Unavailable(err)
		e.Message = "not ready: " + strings.TrimSuffix(e.Message, "; nothing was changed")
		tmf630.WriteError(w, e)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}

// errClockEnded is a server's readiness once its clock has reached the
// end of virtual time: no timer of it can come due any more.
var errClockEnded = errors.New("virtual time has reached its end (292 years after T+0): serve a new store, at a smaller --scale")

// metrics writes the Prometheus text format.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	var st Stats
	if err := s.Node().Read(r.Context(), func() {
		st = s.Stats()
		st.Inputs, st.Pending, st.VirtualTime = s.Engine.Processed(), s.Engine.Pending(), s.Engine.Now()
		st.Behind = s.Engine.Behind()
		st.Refused = s.Engine.Refusals()
		st.AdapterLatency = s.Engine.AdapterLatency()
	}); err != nil {
		if !errors.Is(err, engine.ErrStoreCannotWrite) {
			tmf630.WriteError(w, tmf630.Unavailable(err))
			return
		}
		// The engine waits for its store: what is known without it.
		var b strings.Builder
		s.storeMetrics(&b)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		fmt.Fprint(w, b.String())
		return
	}
	var b strings.Builder
	family := func(name, typ, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	s.storeMetrics(&b)
	byState := func(name, help string, m map[string]int) {
		family(name, "gauge", help)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			fmt.Fprintf(&b, "%s{state=%q} %d\n", name, k, m[k])
		}
	}
	byState("ordertwin_product_orders", "Product orders by state.", st.OrdersByState)
	byState("ordertwin_resource_order_items", "Resource order items by state.", st.ResourceOrderItems)
	family("ordertwin_resource_order_items_completed_total", "counter", "Resource order items completed.")
	fmt.Fprintf(&b, "ordertwin_resource_order_items_completed_total %d\n", st.ResourceOrderItemsCompleted)
	family("ordertwin_retries_total", "counter", "Adapter calls retried after a failure, per system, as the failure policy says.")
	for _, sys := range slices.Sorted(maps.Keys(st.Retries)) {
		fmt.Fprintf(&b, "ordertwin_retries_total{system=%q} %d\n", sys, st.Retries[sys])
	}
	latency := "ordertwin_adapter_latency_virtual_seconds"
	family(latency, "histogram", "Adapter calls per system by the virtual time from the call to its final answer.")
	for _, sys := range slices.Sorted(maps.Keys(st.AdapterLatency)) {
		h := st.AdapterLatency[sys]
		var n uint64
		for i, bound := range engine.LatencyBuckets {
			n += h.Buckets[i]
			fmt.Fprintf(&b, "%s_bucket{system=%q,le=\"%g\"} %d\n", latency, sys, bound.Seconds(), n)
		}
		fmt.Fprintf(&b, "%s_bucket{system=%q,le=\"+Inf\"} %d\n", latency, sys, h.Count)
		fmt.Fprintf(&b, "%s_sum{system=%q} %g\n", latency, sys, h.Sum.Seconds())
		fmt.Fprintf(&b, "%s_count{system=%q} %d\n", latency, sys, h.Count)
	}
	family("ordertwin_engine_inputs_total", "counter", "Inputs the engine has handled.")
	fmt.Fprintf(&b, "ordertwin_engine_inputs_total %d\n", st.Inputs)
	family("ordertwin_engine_refused_inputs_total", "counter", "Inputs refused: each is journalled with its reason.")
	fmt.Fprintf(&b, "ordertwin_engine_refused_inputs_total %d\n", st.Refused)
	family("ordertwin_engine_queue_depth", "gauge", "Inputs waiting, timers included.")
	fmt.Fprintf(&b, "ordertwin_engine_queue_depth %d\n", st.Pending)
	family("ordertwin_engine_virtual_time_seconds", "gauge", "The engine's virtual time, from T+0.")
	fmt.Fprintf(&b, "ordertwin_engine_virtual_time_seconds %g\n", st.VirtualTime.Seconds())
	family("ordertwin_engine_behind_virtual_seconds", "gauge", "How far the engine is behind its wall clock, in virtual time (0: it keeps up).")
	fmt.Fprintf(&b, "ordertwin_engine_behind_virtual_seconds %g\n", st.Behind.Seconds())
	if len(s.Links) > 0 {
		family("ordertwin_peer_pending", "gauge", "Messages for a component in another process, not yet taken by it.")
		for _, l := range s.Links {
			fmt.Fprintf(&b, "ordertwin_peer_pending{stream=%q} %d\n", l.Stream, l.Pending())
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprint(w, b.String())
}

// storeMetrics writes what is known of the store and the commands without
// the engine's goroutine: whether the store writes, and how many
// commands wait.
func (s *Server) storeMetrics(b *strings.Builder) {
	writable, failures := 1, 0
	if f := s.Engine.StoreFault(); f != nil {
		writable, failures = 0, f.Attempts
	}
	fmt.Fprintf(b, "# HELP ordertwin_store_writable 1 while the store's last commit (or write probe) succeeded, 0 while it is retried.\n# TYPE ordertwin_store_writable gauge\nordertwin_store_writable %d\n", writable)
	fmt.Fprintf(b, "# HELP ordertwin_store_failed_attempts Failed attempts at the commit being retried (0 when the store writes).\n# TYPE ordertwin_store_failed_attempts gauge\nordertwin_store_failed_attempts %d\n", failures)
	fmt.Fprintf(b, "# HELP ordertwin_engine_commands_waiting Commands submitted and not yet answered.\n# TYPE ordertwin_engine_commands_waiting gauge\nordertwin_engine_commands_waiting %d\n", s.Engine.CommandsWaiting())
	memoryMetrics(b)
}

// memoryMetrics writes the memory the process holds: the Go heap live at
// the last collection (what the state needs) and, where the system says
// it, the resident set.
func memoryMetrics(b *strings.Builder) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		fmt.Fprintf(b, "# HELP go_gc_heap_live_bytes Go heap bytes live at the last garbage collection.\n# TYPE go_gc_heap_live_bytes gauge\ngo_gc_heap_live_bytes %d\n", sample[0].Value.Uint64())
	}
	if statm, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(statm)); len(f) > 1 {
			if pages, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				fmt.Fprintf(b, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %d\n", pages*uint64(os.Getpagesize()))
			}
		}
	}
}

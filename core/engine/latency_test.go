package engine

import (
	"context"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scripted answers each call after the delay its key names, with progress
// reports first where asked, and answers some keys twice (a repeated
// answer, as an adapter may give to a repeated key).
type scripted struct {
	after    map[string]time.Duration
	progress map[string]int
	twice    map[string]bool
}

// InProcess: it answers on the engine's clock, from inside Call.
func (scripted) InProcess() bool { return true }

func (a scripted) Call(now time.Duration, req *port.Request, reply port.Replier) {
	d, ok := a.after[req.Key]
	if !ok {
		return // never answered
	}
	for i := 0; i < a.progress[req.Key]; i++ {
		reply.Reply(now+time.Duration(i), &port.Result{Key: req.Key, System: req.System, Milestone: "staged"})
	}
	res := &port.Result{Key: req.Key, System: req.System, Final: true}
	reply.Reply(now+d, res)
	if a.twice[req.Key] {
		reply.Reply(now+2*d, res)
	}
}

// Adapter latency is the virtual time from the step that dispatched a call
// to its final answer, per system: progress reports do not end a call, a
// second answer to the same call does not count again, and a call never
// answered is not counted.
func TestAdapterLatency(t *testing.T) {
	e := New(Options{})
	e.Attach(scripted{
		after:    map[string]time.Duration{"olt": 90 * time.Second, "cpe": 3 * 24 * time.Hour, "vlan": 0, "bng": time.Second},
		progress: map[string]int{"cpe": 2},
		twice:    map[string]bool{"vlan": true},
	}, port.Access, port.Logistics, port.VLAN, port.BNG, port.IPAM)
	e.Handle(ROM, recorder{log: new([]string), then: func(now time.Duration, msg any, out *Out) {
		switch msg {
		case "go":
			out.Call(port.Request{Key: "olt", System: port.Access})
			out.Call(port.Request{Key: "cpe", System: port.Logistics})
			out.Call(port.Request{Key: "vlan", System: port.VLAN})
			out.Call(port.Request{Key: "ipam", System: port.IPAM}) // unanswered
			out.Send(ROM, time.Hour, "later")
		case "later":
			out.Call(port.Request{Key: "bng", System: port.BNG})
		}
	}})
	e.Inject(0, ROM, "go")
	require.NoError(t, e.Run(context.Background()))

	got := e.AdapterLatency()
	assert.Len(t, got, 4, "ipam never answered: %v", got)
	want := map[port.System]struct {
		bucket int
		sum    time.Duration
	}{
		port.Access:    {3, 90 * time.Second},   // ≤ 10 minutes
		port.Logistics: {6, 3 * 24 * time.Hour}, // ≤ a week
		port.VLAN:      {0, 0},                  // at once, counted once
		port.BNG:       {0, time.Second},        // ≤ 1 s, bounds are inclusive
	}
	for sys, w := range want {
		h := got[sys]
		assert.EqualValues(t, 1, h.Count, sys)
		assert.EqualValues(t, 1, h.Buckets[w.bucket], sys)
		assert.Equal(t, w.sum, h.Sum, sys)
	}
	assert.Len(t, e.latency.inFlight, 1, "only the unanswered call is still in flight")
}

func TestHistogramBuckets(t *testing.T) {
	var h Histogram
	for _, d := range []time.Duration{0, time.Second, time.Second + 1, 8 * 24 * time.Hour} {
		h.observe(d)
	}
	assert.Equal(t, [len(LatencyBuckets) + 1]uint64{2, 1, 0, 0, 0, 0, 0, 1}, h.Buckets)
	assert.EqualValues(t, 4, h.Count)
}

// The histogram and the calls it waits for are in a snapshot: a server
// restarted from one (a clean stop replays nothing) reported none, and a
// call answered after the cut counts from when it went out before it.
func TestAdapterLatencyInSnapshots(t *testing.T) {
	build := func(st *store.Memory) *Engine {
		e := New(Options{Store: st})
		e.Attach(&kept{scripted{after: map[string]time.Duration{"olt": 90 * time.Second, "cpe": 3 * 24 * time.Hour}}},
			port.Access, port.Logistics)
		e.Handle(ROM, caller{})
		e.Inject(0, ROM, "go")
		return e
	}
	whole := build(store.NewMemory())
	require.NoError(t, whole.Run(context.Background()))

	e := build(store.NewMemory())
	require.NoError(t, e.RunUntil(context.Background(), time.Hour)) // the olt answered, the cpe in flight
	require.EqualValues(t, 1, e.AdapterLatency()[port.Access].Count)
	snap, err := e.Snapshot()
	require.NoError(t, err)
	fresh := New(Options{Store: store.NewMemory()})
	fresh.Attach(&kept{scripted{}}, port.Access, port.Logistics)
	fresh.Handle(ROM, caller{})
	require.NoError(t, fresh.Restore(snap))
	assert.Equal(t, e.AdapterLatency(), fresh.AdapterLatency(), "restored")
	require.NoError(t, fresh.Run(context.Background()))
	assert.Equal(t, whole.AdapterLatency(), fresh.AdapterLatency(), "the cpe's answer counted from before the cut")
}

// caller calls the olt and the cpe when told to go; it keeps no state.
type caller struct{}

func (caller) Handle(_ time.Duration, msg any, out *Out) {
	if msg == "go" {
		out.Call(port.Request{Key: "olt", System: port.Access})
		out.Call(port.Request{Key: "cpe", System: port.Logistics})
	}
}

func (caller) Snapshot() ([]byte, error) { return nil, nil }
func (caller) Restore([]byte) error      { return nil }

// kept is a scripted adapter with no state of its own to save.
type kept struct{ scripted }

func (*kept) Snapshot() ([]byte, error) { return nil, nil }
func (*kept) Restore([]byte) error      { return nil }

package rom

import (
	"bytes"
	"context"
	"encoding/gob"
	"slices"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test network and orderer keep their logs in a snapshot, so that a
// restored run's logs can be compared whole.
func (n *network) Snapshot() ([]byte, error) { return encodeLog(n.calls) }
func (n *network) Restore(b []byte) error    { return decodeLog(b, &n.calls) }
func (o *orderer) Snapshot() ([]byte, error) { return encodeLog(o.events) }
func (o *orderer) Restore(b []byte) error    { return decodeLog(b, &o.events) }

func encodeLog(log []string) ([]byte, error) {
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(append([]string{"log"}, log...))
	return buf.Bytes(), err
}

func decodeLog(b []byte, log *[]string) error {
	var l []string
	err := gob.NewDecoder(bytes.NewReader(b)).Decode(&l)
	*log = l[1:]
	return err
}

// busyROM is ROM with work of every kind waiting at most instants: a site
// that completes (a CPE with milestones), one whose bearer is retried and
// then compensated, one held for manual action and cancelled before its
// deadline, a disconnect of the first site's bearer, step deadlines.
func busyROM() (*engine.Engine, *ROM, *network, *orderer, *store.Memory) {
	mem := store.NewMemory()
	e := engine.New(engine.Options{Store: mem})
	policy := func(_, resourceType, _ string) catalog.Policy {
		switch resourceType {
		case "OLTPort":
			return catalog.Policy{Action: catalog.Retry, Attempts: 3, Backoff: 30 * time.Minute, Then: catalog.Compensate}
		case "VLAN":
			return catalog.Policy{Action: catalog.HoldStep, Deadline: 2 * time.Hour, Then: catalog.FailStep}
		}
		return catalog.Policy{Action: catalog.FailStep}
	}
	r := New(Config{Specs: specs, StartDelay: time.Hour, Policy: policy,
		Deadline: func(string) time.Duration { return 90 * time.Minute }})
	net := &network{fail: map[string]bool{"ROI-101": true, "ROI-201": true}}
	som := &orderer{}
	e.Handle(engine.ROM, r)
	e.Handle(engine.SOM, som)
	e.Attach(net, port.Access, port.VLAN, port.BNG, port.Logistics, port.ZTP)
	e.Inject(0, engine.ROM, melbOrder())
	e.Inject(0, engine.ROM, &tmf.ResourceOrder{ExternalID: "SO-001/SYD", Name: "RO SYD", Place: tmf.Place{ID: "SYD"},
		Items: []tmf.ResourceOrderItem{
			{ID: "ROI-101", Specification: tmf.Ref{ID: "OLTPort"}},
			{ID: "ROI-102", Specification: tmf.Ref{ID: "CPE"}},
		}})
	e.Inject(30*time.Minute, engine.ROM, &tmf.ResourceOrder{ExternalID: "SO-001/PER", Name: "RO PER", Place: tmf.Place{ID: "PER"},
		Items: []tmf.ResourceOrderItem{{ID: "ROI-201", Specification: tmf.Ref{ID: "VLAN"}}}})
	e.Inject(4*time.Hour, engine.ROM, &tmf.CancelRequest{OrderID: "RO-003", Reason: "customer changed mind"})
	// People act: MELB's VLAN is held until 6h (the release sent twice
	// with its key), PER's is noted and assigned while it waits.
	e.Inject(30*time.Minute, engine.ROM, operator.Action{Key: "h1", Kind: operator.Hold, Item: "ROI-002", By: "olivia"})
	e.Inject(3*time.Hour, engine.ROM, operator.Action{Key: "n1", Kind: operator.Note, Item: "ROI-201", By: "olivia", Note: "VLAN team asked"})
	e.Inject(3*time.Hour, engine.ROM, operator.Action{Key: "a1", Kind: operator.Assign, Item: "ROI-201", By: "olivia", Assignee: "pat"})
	for range 2 {
		e.Inject(6*time.Hour, engine.ROM, operator.Action{Key: "r1", Kind: operator.Release, Item: "ROI-002", By: "olivia"})
	}
	e.Inject(10*time.Hour, engine.ROM, &tmf.ResourceOrder{ExternalID: "SO-002/MELB", Name: "RO MELB", Place: tmf.Place{ID: "MELB"},
		Items: []tmf.ResourceOrderItem{{ID: "ROI-301", Action: tmf.Delete, Specification: tmf.Ref{ID: "OLTPort"},
			Resource: &tmf.Resource{ID: "R-ROI-001", ResourceType: "OLTPort"}}}})
	return e, r, net, som, mem
}

// A snapshot taken at any instant of a busy ROM (timers, calls in flight,
// held steps, shared resources) restores into a fresh one that snapshots
// to the same bytes, and runs on to the same end: the same events, calls,
// journal and final state as the run that was never stopped.
func TestSnapshotRoundTrip(t *testing.T) {
	ctx := context.Background()
	e, r, net, som, _ := busyROM()
	require.NoError(t, e.Run(ctx))
	want, err := e.Snapshot()
	require.NoError(t, err)
	// The run did what the cut points are meant to cross.
	assert.Equal(t, lc.Completed, r.Order("RO-001").State)
	assert.Equal(t, lc.Partial, r.Order("RO-002").State)
	assert.Equal(t, lc.Cancelled, r.Order("RO-003").State)
	assert.Equal(t, lc.Completed, r.Order("RO-004").State)
	assert.Equal(t, "terminated", r.Resources.Get("R-ROI-001").State)
	assert.Equal(t, "released", r.Resources.Get("R-ROI-102").State)
	assert.Equal(t, 2, r.Retries()[port.Access])
	assert.NotEmpty(t, r.Jeopardies())
	require.Len(t, r.Actions(), 4, "hold, note, assign, release (once)")
	assert.Equal(t, 6*time.Hour, r.Actions()[3].At)

	for cut := time.Duration(0); cut <= 12*time.Hour; cut += 15 * time.Minute {
		a, _, _, _, amem := busyROM()
		require.NoError(t, a.RunUntil(ctx, cut))
		snap, err := a.Snapshot()
		require.NoError(t, err, "cut at %s", cut)
		b, rb, netb, somb, bmem := busyROM()
		require.NoError(t, b.Restore(snap), "cut at %s", cut)
		again, err := b.Snapshot()
		require.NoError(t, err)
		require.Equal(t, snap.Body, again.Body, "cut at %s: restore then snapshot gives other bytes", cut)

		require.NoError(t, a.Run(ctx))
		require.NoError(t, b.Run(ctx))
		end, err := b.Snapshot()
		require.NoError(t, err)
		require.Equal(t, want.Body, end.Body, "cut at %s: the restored run ends elsewhere", cut)
		assert.Equal(t, amem.Records()[snap.Records:], bmem.Records(), "cut at %s: the journal after the cut", cut)
		assert.Equal(t, som.events, somb.events, "cut at %s", cut)
		assert.Equal(t, net.calls, netb.calls, "cut at %s", cut)
		assert.Equal(t, r.Jeopardies(), rb.Jeopardies(), "cut at %s", cut)
		assert.Equal(t, r.Actions(), rb.Actions(), "cut at %s", cut)
	}
}

// A timer for an order ROM does not have does nothing.
func TestTimerForNoOrder(t *testing.T) {
	mem := store.NewMemory()
	e := engine.New(engine.Options{Store: mem})
	r := New(Config{Specs: specs})
	e.Handle(engine.ROM, r)
	for _, m := range r.Messages()[:4] {
		e.Inject(time.Hour, engine.ROM, m)
	}
	e.Inject(time.Hour, engine.ROM, retry{Order: "RO-001", Item: 7, Op: port.Reserve})
	require.NoError(t, e.Run(context.Background()))
	assert.Empty(t, mem.Records())
	assert.Equal(t, uint64(0), e.Refusals())
}

// Restore refuses bytes that are not a snapshot, and a ROM that has
// orders already.
func TestRestoreRefuses(t *testing.T) {
	r := New(Config{Specs: specs})
	require.ErrorContains(t, r.Restore([]byte("not a snapshot")), "ROM restore")
	e, busy, _, _, _ := busyROM()
	require.NoError(t, e.RunUntil(context.Background(), time.Hour))
	b, err := busy.Snapshot()
	require.NoError(t, err)
	require.EqualError(t, busy.Restore(b), "ROM restore: ROM has orders already")
}

// A snapshot of an earlier build, which kept every alert in one list,
// restores with each alert given to its order and numbered by its place:
// the same jeopardies and worklist, and the next alert numbered after them.
func TestRestoreTheJeopardiesOfAnEarlierBuild(t *testing.T) {
	ctx := context.Background()
	e, r, _, _, _ := busyROM()
	require.NoError(t, e.RunUntil(ctx, 6*time.Hour))
	want := r.Jeopardies()
	require.NotEmpty(t, want)
	b, err := r.Snapshot()
	require.NoError(t, err)
	var st savedROM
	require.NoError(t, engine.DecodeState(b, &st))
	st.Jeopardies = tmf.Raised(slices.Values(st.Orders), func(o savedOrder) []tmf.Jeopardy { return o.Jeopardies })
	for i := range st.Orders {
		st.Orders[i].Jeopardies = nil
	}
	for k := range st.Jeopardies {
		st.Jeopardies[k].N = 0
	}
	st.Raised = 0
	earlier, err := engine.EncodeState(&st)
	require.NoError(t, err)

	_, rb, _, _, _ := busyROM()
	require.NoError(t, rb.Restore(earlier))
	assert.Equal(t, want, rb.Jeopardies())
	assert.Equal(t, r.Worklist(), rb.Worklist())
	assert.Equal(t, r.raised, rb.raised, "the next alert is numbered after them")
}

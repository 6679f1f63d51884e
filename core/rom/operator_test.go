package rom

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// failOnce fails the first reserve of each item in fail (its first
// commit, with atCommit), as the network it wraps answers the rest.
type failOnce struct {
	network
	fail     map[string]int
	atCommit bool
}

func (n *failOnce) Call(now time.Duration, req *port.Request, reply port.Replier) {
	op := port.Reserve
	if n.atCommit {
		op = port.Commit
	}
	if req.Op == op && n.fail[req.Item] > 0 {
		n.fail[req.Item]--
		n.calls = append(n.calls, "fail "+req.Item)
		reply.Reply(now+time.Hour, &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true,
			Err: &port.Error{Class: port.Exhausted, Code: "capacityExhausted", Message: "no OLT capacity"}})
		return
	}
	n.network.Call(now, req, reply)
}

// manual runs the MELB order with a failure policy that holds a step for
// manual action for a day (then compensates), ROI-001's first reserve
// failing: at 2h ROI-001 is held (at 3h when its commit fails). Then
// each action is injected at 3h (4h).
func manual(t *testing.T, actions ...operator.Action) (*ROM, *store.Memory, *failOnce) {
	t.Helper()
	return manualFailing(t, 1, actions...)
}

// manualFailing is manual with ROI-001's first fails reserves failing.
func manualFailing(t *testing.T, fails int, actions ...operator.Action) (*ROM, *store.Memory, *failOnce) {
	t.Helper()
	return manualWith(t, &failOnce{fail: map[string]int{"ROI-001": fails}}, actions...)
}

// manualWith is manual with net failing ROI-001's calls.
func manualWith(t *testing.T, net *failOnce, actions ...operator.Action) (*ROM, *store.Memory, *failOnce) {
	t.Helper()
	mem := store.NewMemory()
	e := engine.New(engine.Options{Store: mem})
	r := New(Config{Specs: specs, StartDelay: time.Hour, Policy: func(_, _, _ string) catalog.Policy {
		return catalog.Policy{Action: catalog.HoldStep, Deadline: 24 * time.Hour, Then: catalog.Compensate}
	}})
	e.Handle(engine.ROM, r)
	e.Handle(engine.SOM, &orderer{})
	e.Attach(net, port.Access, port.VLAN, port.BNG, port.Logistics, port.ZTP)
	e.Inject(0, engine.ROM, melbOrder())
	at := 3 * time.Hour
	if net.atCommit {
		at = 4 * time.Hour
	}
	for _, a := range actions {
		e.Inject(at, engine.ROM, a)
	}
	require.NoError(t, e.Run(context.Background()))
	return r, mem, net
}

func action(kind, item string) operator.Action {
	return operator.Action{Kind: kind, Item: item, By: "olivia", Key: kind + " " + item}
}

// records of kind.
func recordsOf(mem *store.Memory, kind string) []store.Record {
	var rs []store.Record
	for _, r := range mem.Records() {
		if r.Kind == kind {
			rs = append(rs, r)
		}
	}
	return rs
}

// Unattended, a step held for manual action falls back to its policy's
// fallback at the deadline: the site is compensated.
func TestHeldForManualAction(t *testing.T) {
	r, _, _ := manual(t)
	ro := r.Orders()[0]
	assert.Equal(t, lc.Failed, ro.Items[0].State)
	assert.Contains(t, ro.Items[0].StateReason, "no manual action before the deadline")
	assert.Equal(t, 26*time.Hour, ro.Items[0].CompletionDate)
	assert.Equal(t, lc.Partial, ro.State, "the CE router had completed")
}

// The worklist shows the held item with its deadline and the actions it
// allows; a retry with a changed characteristic calls the step again and
// the order completes; the hold's deadline then changes nothing.
func TestRetryHeldItem(t *testing.T) {
	a := action(operator.Retry, "ROI-001")
	a.Characteristics = tmf.Characteristics{{Name: "port", Value: "LC2 Port 1"}}
	r, mem, net := manual(t, a)
	ro := r.Orders()[0]
	assert.Equal(t, lc.Completed, ro.State)
	assert.Equal(t, "LC2 Port 1", ro.Items[0].Characteristics.Get("port"))
	assert.Equal(t, []string{"fail ROI-001", "1h0m0s reserve ROI-003"}, net.calls[:2])
	assert.Contains(t, net.calls, "3h0m0s reserve ROI-001", "the retry")
	acts := recordsOf(mem, "operatorAction")
	require.Len(t, acts, 1)
	assert.Equal(t, store.Record{At: 3 * time.Hour, Kind: "operatorAction", Entity: "ROI-001", Name: "OA-ROM-001", System: "operator olivia",
		To: "retry", Event: "retry", Reason: "ROI-001 reserve again (attempt 2)"}, acts[0])
	require.Len(t, r.Actions(), 1)
	assert.Empty(t, r.Worklist())
}

// Before the action, the worklist has the held item; what it does not
// allow is refused and changes nothing.
func TestHeldItemOnTheWorklist(t *testing.T) {
	mem := store.NewMemory()
	e := engine.New(engine.Options{Store: mem})
	r := New(Config{Specs: specs, StartDelay: time.Hour, Policy: func(_, _, _ string) catalog.Policy {
		return catalog.Policy{Action: catalog.HoldStep, Deadline: 24 * time.Hour, Then: catalog.Compensate}
	}})
	e.Handle(engine.ROM, r)
	e.Handle(engine.SOM, &orderer{})
	e.Attach(&failOnce{fail: map[string]int{"ROI-001": 1}}, port.Access, port.VLAN, port.BNG, port.Logistics, port.ZTP)
	e.Inject(0, engine.ROM, melbOrder())
	require.NoError(t, e.RunUntil(context.Background(), 3*time.Hour))
	items := r.Worklist()
	require.Len(t, items, 1)
	assert.Equal(t, operator.Item{ID: "ROI-001", Kind: operator.ManualAction, Entity: "ROI-001", State: lc.Held, Reason: "no OLT capacity",
		Since: 2 * time.Hour, Deadline: 26 * time.Hour, HasDeadline: true, Order: "RO-001", Site: "MELB", Wave: "SO-001/MELB", System: "ROM",
		Actions: []string{operator.Retry, operator.Compensate, operator.Assign, operator.Note}}, items[0],
		"no completeManually: it holds no resource (its reserve failed), and would complete without one")
	for _, c := range []struct {
		a    operator.Action
		want error
		says string
	}{
		{action(operator.ConfirmCapacity, "ROI-001"), operator.ErrNotAllowed, "ROI-001 is held (manualAction); it takes retry, compensate, assign, note"},
		{action(operator.Release, "ROI-001"), operator.ErrNotAllowed, "it takes retry"},
		{action(operator.CompleteManually, "ROI-001"), operator.ErrNotAllowed, "it takes retry, compensate"},
		{action(operator.Hold, "ROI-003"), operator.ErrNotAllowed, "ROI-003 is completed"},
		{action(operator.Note, "ROI-003"), operator.ErrUnknownItem, "ROI-003"}, // not on the worklist
		{action(operator.Assign, "ROI-002"), operator.ErrUnknownItem, "ROI-002"},
		{action(operator.Retry, "ROI-404"), operator.ErrUnknownItem, "ROI-404"},
	} {
		err, _ := r.act(c.a, &engine.Out{}).(error)
		require.ErrorIs(t, err, c.want, c.a.Kind)
		assert.Contains(t, err.Error(), c.says)
	}
	assert.Empty(t, r.Actions(), "nothing was done")
	assert.Equal(t, lc.Held, r.Orders()[0].Items[0].State)
}

// Held at its commit (its port reserved), an item completed by hand with
// evidence completes with its resource, the one that depends on it
// starts, the order completes.
func TestCompleteManually(t *testing.T) {
	a := action(operator.CompleteManually, "ROI-001")
	a.Note = "port patched on site, photo in ticket 4411"
	r, _, net := manualWith(t, &failOnce{fail: map[string]int{"ROI-001": 1}, atCommit: true}, a)
	ro := r.Orders()[0]
	assert.Equal(t, lc.Completed, ro.Items[0].State)
	require.NotNil(t, ro.Items[0].Resource, "it completed with the port it holds")
	assert.NotEmpty(t, ro.Items[0].Resource.ID)
	assert.Equal(t, "completed manually by olivia: port patched on site, photo in ticket 4411", ro.Items[0].StateReason)
	assert.Equal(t, lc.Completed, ro.State)
	assert.NotContains(t, net.calls, "4h0m0s commit ROI-001", "nothing called again")
	assert.Contains(t, net.calls, "4h0m0s reserve ROI-002")
	require.Len(t, r.Actions(), 1)
	assert.Equal(t, "ROI-001 completed manually", r.Actions()[0].Result)
}

// Compensated: the held item and every item not final fail, what the
// site holds is released.
func TestCompensateHeldItem(t *testing.T) {
	r, mem, _ := manual(t, action(operator.Compensate, "ROI-001"))
	ro := r.Orders()[0]
	assert.Equal(t, lc.Failed, ro.Items[0].State)
	assert.Contains(t, ro.Items[0].StateReason, "compensated by olivia")
	assert.Equal(t, "released", ro.Items[2].Resource.State, "the CE router given back")
	require.NotEmpty(t, recordsOf(mem, "compensation"))
	assert.Equal(t, 3*time.Hour, recordsOf(mem, "compensation")[0].At)
}

// heldVLAN runs the MELB order with ROI-002 (its VLAN, which depends on
// ROI-001) held by a person as it was placed.
func heldVLAN() (*engine.Engine, *ROM, *network) {
	e := engine.New(engine.Options{Store: store.NewMemory()})
	r := New(Config{Specs: specs, StartDelay: time.Hour})
	net := &network{}
	e.Handle(engine.ROM, r)
	e.Handle(engine.SOM, &orderer{})
	e.Attach(net, port.Access, port.VLAN, port.BNG, port.Logistics, port.ZTP)
	e.Inject(0, engine.ROM, melbOrder())
	e.Inject(0, engine.ROM, action(operator.Hold, "ROI-002"))
	return e, r, net
}

// Held before it started, an item waits until released, then runs.
func TestHoldAndRelease(t *testing.T) {
	e, r, net := heldVLAN()
	require.NoError(t, e.Run(context.Background()))
	ro := r.Orders()[0]
	assert.Equal(t, lc.Held, ro.Items[1].State, "it did not start when ROI-001 completed")
	assert.Equal(t, lc.InProgress, ro.State)
	items := r.Worklist()
	require.Len(t, items, 1)
	assert.Equal(t, operator.OperatorHeld, items[0].Kind)
	assert.Equal(t, "held by olivia", items[0].Reason)

	e.Inject(10*time.Hour, engine.ROM, action(operator.Release, "ROI-002"))
	require.NoError(t, e.Run(context.Background()))
	assert.Equal(t, lc.Completed, ro.Items[1].State)
	assert.Equal(t, lc.Completed, ro.State)
	assert.Contains(t, net.calls, "10h0m0s reserve ROI-002")
}

// Released before the item it depends on completed, a held item stays
// held, no longer offering release, and starts once that item completes.
func TestReleaseBeforeDependencies(t *testing.T) {
	e, r, _ := heldVLAN()
	e.Inject(time.Minute, engine.ROM, action(operator.Release, "ROI-002"))
	require.NoError(t, e.RunUntil(context.Background(), 30*time.Minute))
	ro := r.Orders()[0]
	assert.Equal(t, lc.Acknowledged, ro.Items[0].State, "ROI-001 not started yet")
	assert.Equal(t, lc.Held, ro.Items[1].State)
	assert.Equal(t, "released by olivia: it starts once the items it depends on are completed", ro.Items[1].StateReason)
	items := r.Worklist()
	require.Len(t, items, 1)
	assert.Equal(t, []string{operator.Compensate, operator.Assign, operator.Note}, items[0].Actions, "released already")
	require.Len(t, r.Actions(), 2)
	assert.Equal(t, "ROI-002 released: it starts once the items it depends on are completed", r.Actions()[1].Result)

	require.NoError(t, e.Run(context.Background()))
	assert.Equal(t, lc.Completed, ro.Items[1].State)
	assert.Equal(t, lc.Completed, ro.State)
	assert.Empty(t, r.Worklist())
}

// A retry that fails again is held again with a deadline of its own: the
// first hold's deadline (26h) does not give the site up.
func TestRetryHeldAgain(t *testing.T) {
	r, _, _ := manualFailing(t, 2, action(operator.Retry, "ROI-001"))
	it := r.Orders()[0].Items[0]
	assert.Equal(t, lc.Failed, it.State)
	assert.Equal(t, 28*time.Hour, it.CompletionDate, "held again at 4h, given up a day later")
}

// With a retention, ROM's actions leave memory for the shelf a retention
// after they were taken, found there by their keys, and what people said
// of the items goes with their order.
func TestActionsLeaveMemoryWithRetention(t *testing.T) {
	mem := store.NewMemory()
	e := engine.New(engine.Options{Store: mem})
	r := New(Config{Specs: specs, StartDelay: time.Hour, Retention: 24 * time.Hour, Policy: func(_, _, _ string) catalog.Policy {
		return catalog.Policy{Action: catalog.HoldStep, Deadline: 24 * time.Hour, Then: catalog.Compensate}
	}})
	e.Handle(engine.ROM, r)
	e.Handle(engine.SOM, &orderer{})
	e.Attach(&failOnce{fail: map[string]int{"ROI-001": 1}}, port.Access, port.VLAN, port.BNG, port.Logistics, port.ZTP)
	e.Inject(0, engine.ROM, melbOrder())
	assign := action(operator.Assign, "ROI-001")
	assign.Assignee = "pat"
	e.Inject(3*time.Hour, engine.ROM, assign)
	e.Inject(3*time.Hour, engine.ROM, action(operator.Retry, "ROI-001"))
	require.NoError(t, e.RunUntil(context.Background(), 4*time.Hour))
	require.Len(t, r.Actions(), 2)
	assert.Equal(t, map[string]string{"ROI-001": "pat"}, r.ops.Assignee)
	require.NoError(t, e.Run(context.Background()))

	assert.Empty(t, r.Actions(), "no action in memory")
	assert.Empty(t, r.Orders(), "the order left memory")
	assert.Empty(t, r.ops.Assignee, "ROI-001's assignee went with its order")
	for n, a := range []operator.Action{assign, action(operator.Retry, "ROI-001")} {
		id, ok, err := mem.Owner(operator.ShelfKind, operator.KeyItem(operator.ROMPrefix, a.Key))
		require.NoError(t, err)
		require.True(t, ok, a.Key)
		assert.Equal(t, fmt.Sprintf("OA-ROM-%03d", n+1), id)
		doc, ok, err := mem.Shelved(operator.ShelfKind, id)
		require.NoError(t, err)
		require.True(t, ok)
		d, err := operator.Shelved(doc.Whole())
		require.NoError(t, err)
		assert.Equal(t, a, d.Action)
		assert.Equal(t, 3*time.Hour, d.At)
	}
	assert.Equal(t, 2, r.ops.Taken)
}

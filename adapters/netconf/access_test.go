package netconf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/netconf"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
	tnc "github.com/ordertwin/ordertwin/twin/netconf"
)

// manualClock is the twin OLT's clock in tests: a confirm timeout fires
// when the test says so.
type manualClock struct {
	mu    sync.Mutex
	fns   []*timer
	armed chan time.Duration
}

type timer struct {
	f       func()
	stopped bool
}

func newManualClock() *manualClock { return &manualClock{armed: make(chan time.Duration, 16)} }

func (c *manualClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{f: f}
	c.fns = append(c.fns, t)
	select {
	case c.armed <- d:
	default: // nobody listens
	}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// fire runs every timer not stopped.
func (c *manualClock) fire() {
	c.mu.Lock()
	var due []func()
	for _, t := range c.fns {
		if !t.stopped {
			t.stopped = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// olt is a twin OLT served over SSH on loopback.
type olt struct {
	dev   *tnc.Device
	ep    Endpoint
	clock *manualClock
}

const oltName = "OLT-SOUTH-03"

func startOLT(t *testing.T) *olt {
	t.Helper()
	clock := newManualClock()
	dev, err := tnc.NewDevice(oltName, []tnc.Card{{Slot: 1, Ports: 2}, {Slot: 2, Ports: 8}}, clock)
	require.NoError(t, err)
	dev.Ended = make(chan uint32, 64)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := tnc.NewServer(dev, "ordertwin", "olt-secret", quiet)
	require.NoError(t, err)
	addr, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return &olt{dev: dev, clock: clock, ep: Endpoint{Addr: addr.String(), User: "ordertwin", Password: "olt-secret", HostKey: srv.HostKey()}}
}

func (o *olt) adapter(t *testing.T, timeout time.Duration) *Access {
	t.Helper()
	a, err := New(Config{Devices: map[string]Endpoint{oltName: o.ep}, Timeout: timeout, ConfirmTimeout: 30 * time.Second,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	return a
}

// session opens a session of the test's own, closed at the test's end.
func (o *olt) session(t *testing.T) *Session {
	t.Helper()
	s, err := Dial(context.Background(), o.ep)
	require.NoError(t, err)
	t.Cleanup(func() { s.Abort() })
	return s
}

// running reads the OLT's running configuration over NETCONF.
func (o *olt) running(t *testing.T) []*netconf.Node {
	t.Helper()
	s := o.session(t)
	data, err := s.GetConfig(context.Background(), "running", nil)
	require.NoError(t, err)
	tree, err := netconf.ParseTree(data)
	require.NoError(t, err)
	return tree
}

var melb = tmf.Place{ID: "MELB", Address: "Level 12, 120 Collins Street, Melbourne VIC 3000"}

func reserveReq(item string) *port.Request {
	return &port.Request{Key: item + "/reserve/1", System: port.Access, Op: port.Reserve, Item: item, Handle: 7,
		ResourceType: "OLTPort", Place: melb, Site: "MELB",
		Characteristics: tmf.Characteristics{{Name: "olt", Value: oltName}, {Name: "lineCard", Value: "2"}, {Name: "port", Value: "8"}}}
}

func commitReq(item string, r *tmf.Resource) *port.Request {
	return &port.Request{Key: item + "/commit/1", System: port.Access, Op: port.Commit, Item: item, Handle: 7,
		Place: melb, Site: "MELB", Resource: r,
		Characteristics: tmf.Characteristics{{Name: "ontSerial", Value: "ALCL0A1B2C3D"}, {Name: "vlanId", Value: "2108"},
			{Name: "bandwidthProfile", Value: "BW-500-500-GOLD-ENT"}}}
}

func releaseReq(item string, r *tmf.Resource) *port.Request {
	return &port.Request{Key: item + "/release/1", System: port.Access, Op: port.Release, Item: item, Place: melb, Resource: r}
}

// holds reports whether the running configuration holds the port's v-ANI.
func holds(t *testing.T, o *olt) bool {
	return netconf.Missing(o.running(t), vaniOf(Service{Slot: 2, Port: 8})) == ""
}

// The worked example's pilot bearer, OLT-SOUTH-03 LC2 Port 8 with VLAN
// 2108 and BW-500-500-GOLD-ENT, reserved, committed and released over
// NETCONF; what the OLT was sent is exactly the dry run's edit, and what
// it runs afterwards holds all of it.
func TestReserveCommitRelease(t *testing.T) {
	o := startOLT(t)
	a := o.adapter(t, 10*time.Second)
	ctx := context.Background()

	dry, perr := a.Plan(reserveReq("ROI-001"))
	require.Nil(t, perr)
	res := a.Do(ctx, reserveReq("ROI-001"))
	require.Nil(t, res.Err)
	assert.True(t, res.Final)
	assert.Equal(t, 7, res.Handle)
	assert.Equal(t, "OLT-SOUTH-03-LC2-P8", res.Resource.ID)
	assert.Equal(t, "OLT-SOUTH-03 LC2 Port 8", res.Resource.Value)
	assert.Equal(t, "reserved", res.Resource.State)
	edits := o.dev.Edits()
	require.Len(t, edits, 1)
	assert.Equal(t, string(dry.Config), "<config>"+string(edits[0])+"</config>", "the dry run is what is sent")
	reserved, err := configOf(dry.Config)
	require.NoError(t, err)
	assert.Empty(t, netconf.Missing(o.running(t), reserved), "the OLT runs the reserve's edit")

	commitDry, perr := a.Plan(commitReq("ROI-001", res.Resource))
	require.Nil(t, perr)
	res = a.Do(ctx, commitReq("ROI-001", res.Resource))
	require.Nil(t, res.Err)
	assert.Equal(t, "available", res.Resource.State)
	assert.Equal(t, "2108", res.Resource.Characteristics.Get("vlanId"))
	edits = o.dev.Edits()
	require.Len(t, edits, 2)
	assert.Equal(t, string(commitDry.Config), "<config>"+string(edits[1])+"</config>")

	// Read back on a session of our own: the OLT runs every node of the
	// commit's edit.
	committed, err := configOf(commitDry.Config)
	require.NoError(t, err)
	assert.Empty(t, netconf.Missing(o.running(t), committed))
	commits, rollbacks := o.dev.Commits()
	assert.Equal(t, 2, commits, "each call is one confirmed commit, confirmed")
	assert.Zero(t, rollbacks)

	res = a.Do(ctx, releaseReq("ROI-001", res.Resource))
	require.Nil(t, res.Err)
	assert.Equal(t, "released", res.Resource.State)
	assert.False(t, holds(t, o), "the v-ANI is gone")
	res = a.Do(ctx, releaseReq("ROI-001", res.Resource))
	assert.Nil(t, res.Err, "a release is idempotent: remove of what is gone")
}

// §5: a key seen again gets the same answer. A reserve repeated by its
// own item finds its own ONT and succeeds; another item finds the port in
// use, a hard failure.
func TestReserveRepeatedAndInUse(t *testing.T) {
	o := startOLT(t)
	a := o.adapter(t, 10*time.Second)
	require.Nil(t, a.Do(context.Background(), reserveReq("ROI-001")).Err)
	again := a.Do(context.Background(), reserveReq("ROI-001"))
	require.Nil(t, again.Err)
	assert.Equal(t, "OLT-SOUTH-03-LC2-P8", again.Resource.ID)

	other := a.Do(context.Background(), reserveReq("ROI-009"))
	require.NotNil(t, other.Err)
	assert.Equal(t, port.Hard, other.Err.Class)
	assert.Equal(t, netconf.DataExists, other.Err.Code)
	assert.Contains(t, other.Err.Message, "OLT-SOUTH-03-LC2-P8 is in use")
}

// A lock held by another session is transient: the failure policy tries
// again later.
func TestLockDeniedIsTransient(t *testing.T) {
	o := startOLT(t)
	a := o.adapter(t, 10*time.Second)
	holder := o.session(t)
	require.NoError(t, holder.Lock(context.Background(), "candidate"))

	res := a.Do(context.Background(), reserveReq("ROI-001"))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Transient, res.Err.Class)
	assert.Equal(t, netconf.LockDenied, res.Err.Code)
	assert.ErrorIs(t, res.Err, port.ErrTransient)

	require.NoError(t, holder.Unlock(context.Background(), "candidate"))
	assert.Nil(t, a.Do(context.Background(), reserveReq("ROI-001")).Err, "once the lock is free the call goes through")
}

// Faults injected into the twin OLT reach the failure policy with the
// class their rpc-error has.
func TestInjectedFaults(t *testing.T) {
	for _, tc := range []struct {
		kind  tnc.FaultKind
		op    string
		class port.ErrorClass
	}{
		{tnc.LockDenied, "lock", port.Transient},
		{tnc.InUse, "edit-config", port.Hard},
		{tnc.DataExists, "edit-config", port.Hard},
		{tnc.ResourceDenied, "commit", port.Exhausted},
		{tnc.OperationFailed, "validate", port.Transient},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			o := startOLT(t)
			a := o.adapter(t, 10*time.Second)
			f := o.dev.Inject(&tnc.Fault{Op: tc.op, Kind: tc.kind, Times: 1})
			res := a.Do(context.Background(), reserveReq("ROI-001"))
			require.NotNil(t, res.Err)
			assert.Equal(t, tc.class, res.Err.Class)
			assert.Equal(t, 1, f.Hits())
			assert.False(t, holds(t, o), "a failed call leaves nothing configured")
			assert.Nil(t, a.Do(context.Background(), reserveReq("ROI-001")).Err, "the fault fired once")
		})
	}
}

// RFC 6241 §8.4: a confirmed commit nobody confirms is rolled back when
// its confirm timeout ends (the twin's clock, fired by the test).
func TestConfirmedCommitRolledBack(t *testing.T) {
	o := startOLT(t)
	ctx := context.Background()
	e, perr := o.adapter(t, time.Second).Plan(reserveReq("ROI-001"))
	require.Nil(t, perr)
	s := o.session(t)
	require.NoError(t, s.Lock(ctx, "candidate"))
	require.NoError(t, s.EditConfig(ctx, "candidate", e.Config))
	require.NoError(t, s.Validate(ctx, "candidate"))
	require.NoError(t, s.Commit(ctx, true, 45*time.Second))
	assert.Equal(t, 45*time.Second, recv(t, o.clock.armed))
	assert.True(t, holds(t, o), "running until the timeout")

	o.clock.fire()
	assert.False(t, holds(t, o), "rolled back")
	commits, rollbacks := o.dev.Commits()
	assert.Equal(t, 0, commits)
	assert.Equal(t, 1, rollbacks)
}

// A slow OLT: the call's deadline passes while the read-back waits, the
// call fails as transient, and the OLT rolls the unconfirmed commit back
// when the adapter drops the session.
func TestDeadlineIsTransientAndRollsBack(t *testing.T) {
	o := startOLT(t)
	// Two seconds are ample for dialling, locking, editing and committing
	// on loopback (some 50 ms under -race): the deadline passes in the
	// read-back, which the OLT holds.
	a := o.adapter(t, 2*time.Second)
	slow := o.dev.Inject(&tnc.Fault{Op: "get-config", Kind: tnc.Slow, Times: 1})
	defer slow.Release()

	res := a.Do(context.Background(), reserveReq("ROI-001"))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Transient, res.Err.Class)
	assert.Equal(t, "timeout", res.Err.Code)
	require.Equal(t, 1, slow.Hits(), "the deadline passed in the read-back, not before")
	recv(t, o.dev.Ended) // the adapter's session, dropped
	commits, rollbacks := o.dev.Commits()
	assert.Equal(t, 0, commits)
	assert.Equal(t, 1, rollbacks)
	assert.False(t, holds(t, o))
}

// Call answers from its own goroutine, once, with a final result.
func TestCallAnswersOnce(t *testing.T) {
	o := startOLT(t)
	a := o.adapter(t, 10*time.Second)
	got := make(chan *port.Result, 2)
	a.Call(5*time.Second, reserveReq("ROI-001"), replier(func(at time.Duration, r *port.Result) {
		assert.Equal(t, 5*time.Second, at)
		got <- r
	}))
	r := recv(t, got)
	require.Nil(t, r.Err)
	assert.True(t, r.Final)
	assert.Equal(t, "ROI-001/reserve/1", r.Key)
}

// recv takes a value from ch; a test that would wait for ever fails
// instead.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		require.FailNow(t, "nothing came")
	}
	var zero T
	return zero
}

type replier func(time.Duration, *port.Result)

func (f replier) Reply(at time.Duration, r *port.Result) { f(at, r) }

// A request that lacks what its operation needs is invalid, names what is
// missing, and sends nothing.
func TestBadRequestSendsNothing(t *testing.T) {
	o := startOLT(t)
	a := o.adapter(t, 10*time.Second)
	r := reserveReq("ROI-001")
	r.Characteristics = tmf.Characteristics{{Name: "olt", Value: oltName}, {Name: "port", Value: "x"}}
	res := a.Do(context.Background(), r)
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Invalid, res.Err.Class)
	assert.Contains(t, res.Err.Message, `lineCard (a number from 1, not "")`)
	assert.Contains(t, res.Err.Message, `port (a number from 1, not "x")`)

	c := commitReq("ROI-001", &tmf.Resource{ResourceType: "OLTPort", Characteristics: reserveReq("").Characteristics})
	c.Characteristics = tmf.Characteristics{{Name: "ontSerial", Value: "12"}, {Name: "vlanId", Value: "5000"}, {Name: "speed", Value: "fast"}}
	res = a.Do(context.Background(), c)
	require.NotNil(t, res.Err)
	assert.Contains(t, res.Err.Message, "ONT serial")
	assert.Contains(t, res.Err.Message, "VLAN")
	assert.Contains(t, res.Err.Message, "bandwidth")

	unknown := reserveReq("ROI-001")
	unknown.Characteristics.Set("olt", "OLT-NOWHERE")
	assert.Equal(t, "unknownOLT", a.Do(context.Background(), unknown).Err.Code)
	assert.Empty(t, o.dev.Edits())
}

// Calls to one OLT take turns on its candidate's lock: two sites on one
// OLT at once both go through, neither denied the lock by the other.
func TestCallsToOneOLTTakeTurns(t *testing.T) {
	o := startOLT(t)
	a := o.adapter(t, 10*time.Second)
	other := reserveReq("ROI-002")
	other.Characteristics.Set("port", "7")
	got := make(chan *port.Result, 2)
	for _, r := range []*port.Request{reserveReq("ROI-001"), other} {
		go func() { got <- a.Do(context.Background(), r) }()
	}
	ids := map[string]bool{}
	for range 2 {
		r := recv(t, got)
		require.Nil(t, r.Err)
		ids[r.Resource.ID] = true
	}
	assert.Equal(t, map[string]bool{"OLT-SOUTH-03-LC2-P8": true, "OLT-SOUTH-03-LC2-P7": true}, ids)
}

// Of several rpc-errors the least hopeful decides the class.
func TestClassifySeveral(t *testing.T) {
	err := netconf.Errors{{Tag: netconf.LockDenied}, {Tag: netconf.InvalidValue}, {Tag: netconf.DataExists}}
	pe := Classify(err)
	assert.Equal(t, port.Invalid, pe.Class)
	assert.Equal(t, netconf.InvalidValue, pe.Code)
	assert.Equal(t, port.Transient, Classify(context.DeadlineExceeded).Class)
	assert.Equal(t, port.Hard, Classify(&netconf.Error{Tag: "vendor-specific"}).Class, "a tag not known is hard")
	assert.Nil(t, Classify(nil))
}

// A commit reads ROM's typed Config before the characteristics: a
// bearer's commit (speed only, before its site's VLAN and QoS policy)
// activates the ONT and its T-CONT at the bearer's speed and configures
// no VLAN; with the VLAN and policy it renders the whole service.
func TestCommitReadsROMsConfig(t *testing.T) {
	o := startOLT(t)
	a := o.adapter(t, 10*time.Second)
	r := &tmf.Resource{ResourceType: "OLTPort", Characteristics: reserveReq("").Characteristics}
	bearer := &port.Request{Key: "ROI-001/commit/1", System: port.Access, Op: port.Commit, Item: "ROI-001", Resource: r,
		Config: port.Config{SpeedMbps: 1000}}
	e, perr := a.Plan(bearer)
	require.Nil(t, perr)
	cfg := string(e.Config)
	assert.Contains(t, cfg, "<name>BW-1000-1000-BEARER</name>")
	assert.Contains(t, cfg, "<assured-bandwidth>1000000000</assured-bandwidth>")
	assert.NotContains(t, cfg, "expected-serial-number", "no serial: the ONU is admitted by its ONU-ID")
	assert.NotContains(t, cfg, "vlan-id")
	assert.NotContains(t, cfg, "forwarder")

	full := *bearer
	full.Config = port.Config{SpeedMbps: 1000, ONTSerial: "alcl0a1b2c3d", VLAN: 2108, Profile: "BW-500-500-GOLD-ENT"}
	e, perr = a.Plan(&full)
	require.Nil(t, perr)
	old, perr := a.Plan(commitReq("ROI-001", r))
	require.Nil(t, perr)
	assert.Equal(t, string(old.Config), string(e.Config), "the typed config renders as the characteristics did")

	full.Config.VLAN = 4095
	_, perr = a.Plan(&full)
	require.NotNil(t, perr)
	assert.Equal(t, "badRequest", perr.Code)
	assert.Contains(t, perr.Message, "VLAN (1 to 4094, not 4095)")
}

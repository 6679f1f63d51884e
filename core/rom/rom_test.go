package rom

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// network answers every call after an hour, failing the reserves listed in
// fail, and logs the calls.
type network struct {
	calls []string
	fail  map[string]bool
	twice bool
}

// InProcess: it answers on the engine's clock, from inside Call, like the
// twin.
func (n *network) InProcess() bool { return true }

func (n *network) Call(now time.Duration, req *port.Request, reply port.Replier) {
	n.calls = append(n.calls, fmt.Sprintf("%s %s %s", now, req.Op, req.Item))
	res := port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true}
	switch {
	case req.Op == port.Reserve && n.fail[req.Item]:
		res.Err = &port.Error{Class: port.Exhausted, Code: "capacityExhausted", Message: "no OLT capacity"}
	case req.Op == port.Reserve:
		res.Resource = &tmf.Resource{ID: "R-" + req.Item, ResourceType: req.ResourceType, Value: "value of " + req.Item, State: "reserved", Place: req.Place}
	case req.Op == port.Commit:
		r := *req.Resource
		r.State = "available"
		res.Resource = &r
		if req.ResourceType == "CPE" {
			p := res
			p.Final, p.Milestone = false, "inTransit"
			reply.Reply(now+30*time.Minute, &p)
			res.Milestone = "installed"
		}
	}
	reply.Reply(now+time.Hour, &res)
	if n.twice {
		reply.Reply(now+2*time.Hour, &res)
	}
}

// orderer records the events ROM sends back.
type orderer struct{ events []string }

func (o *orderer) Handle(now time.Duration, msg any, out *engine.Out) {
	ev := msg.(*tmf.OrderEvent)
	s := fmt.Sprintf("%s %s %s", now, ev.OrderID, ev.State)
	if ev.Item != nil {
		s = fmt.Sprintf("%s %s %s %s", now, ev.Item.ID, ev.Item.State, ev.Item.StateReason)
	}
	o.events = append(o.events, s)
}

var specs = map[string]*ResourceSpec{
	"OLTPort": {Type: "OLTPort", Category: "physical", Reserve: port.Access, Commit: port.Access},
	"VLAN":    {Type: "VLAN", Category: "logical", Reserve: port.VLAN, Commit: port.BNG},
	"CPE":     {Type: "CPE", Category: "physical", Reserve: port.Logistics, Commit: port.ZTP},
}

func melbOrder() *tmf.ResourceOrder {
	return &tmf.ResourceOrder{ExternalID: "SO-001/MELB", Name: "RO MELB", Place: tmf.Place{ID: "MELB", Address: "a"},
		Items: []tmf.ResourceOrderItem{
			{ID: "ROI-001", Specification: tmf.Ref{ID: "OLTPort"}, Handle: 10},
			{ID: "ROI-002", Specification: tmf.Ref{ID: "VLAN"}, DependsOn: []string{"ROI-001"}, Handle: 11},
			{ID: "ROI-003", Specification: tmf.Ref{ID: "CPE"}, Handle: 12},
		}}
}

func setup(net *network) (*engine.Engine, *ROM, *orderer) {
	e := engine.New(engine.Options{})
	r := New(Config{Specs: specs, StartDelay: time.Hour})
	som := &orderer{}
	e.Handle(engine.ROM, r)
	e.Handle(engine.SOM, som)
	e.Attach(net, port.Access, port.VLAN, port.BNG, port.Logistics, port.ZTP)
	return e, r, som
}

// Items start when their dependencies completed (seed, SOM orchestration
// plan: VLAN after bearer; CE router free), each reserve then commit.
func TestDependencyOrder(t *testing.T) {
	net := &network{}
	e, r, som := setup(net)
	e.Inject(0, engine.ROM, melbOrder())
	require.NoError(t, e.Run(context.Background()))
	assert.Equal(t, []string{
		"1h0m0s reserve ROI-001", "1h0m0s reserve ROI-003",
		"2h0m0s commit ROI-001", "2h0m0s commit ROI-003",
		"3h0m0s reserve ROI-002", "4h0m0s commit ROI-002",
	}, net.calls)
	ro := r.Orders()[0]
	assert.Equal(t, "RO-001", ro.ID)
	assert.Equal(t, lc.Completed, ro.State)
	assert.Equal(t, 5*time.Hour, ro.CompletionDate)
	for _, it := range ro.Items {
		assert.Equal(t, lc.Completed, it.State)
		assert.Equal(t, "active", it.Resource.UsageState)
	}
	assert.Equal(t, "installed", ro.Items[2].Milestone)
	assert.Equal(t, 3, r.Resources.Len())
	assert.Equal(t, []string{
		"0s RO-001 acknowledged", "1h0m0s RO-001 inProgress",
		"3h0m0s ROI-001 completed ", "3h0m0s ROI-003 completed ", "5h0m0s ROI-002 completed ",
		"5h0m0s RO-001 completed",
	}, som.events)
}

// An answer delivered twice changes nothing the second time (docs/architecture.md §3:
// a repeated command already satisfied is a no-op).
func TestRedeliveredAnswer(t *testing.T) {
	net := &network{twice: true}
	e, r, som := setup(net)
	e.Inject(0, engine.ROM, melbOrder())
	require.NoError(t, e.Run(context.Background()))
	assert.Equal(t, lc.Completed, r.Orders()[0].State)
	assert.Len(t, som.events, 6)
}

// A failed reserve fails the item with the reason, fails the items that
// depend on it, and the order ends partial while the others complete.
func TestFailure(t *testing.T) {
	net := &network{fail: map[string]bool{"ROI-001": true}}
	e, r, som := setup(net)
	e.Inject(0, engine.ROM, melbOrder())
	require.NoError(t, e.Run(context.Background()))
	ro := r.Orders()[0]
	assert.Equal(t, lc.Partial, ro.State)
	assert.Equal(t, lc.Failed, ro.Items[0].State)
	assert.Equal(t, "no OLT capacity", ro.Items[0].StateReason)
	assert.Equal(t, lc.Failed, ro.Items[1].State)
	assert.Equal(t, "depends on failed item ROI-001", ro.Items[1].StateReason)
	assert.Equal(t, lc.Completed, ro.Items[2].State)
	assert.Contains(t, som.events, "2h0m0s ROI-001 failed no OLT capacity")
	assert.NotContains(t, net.calls, "3h0m0s reserve ROI-002")
}

// A dependency on an item outside the order is refused.
func TestBadDependency(t *testing.T) {
	mem := store.NewMemory()
	e := engine.New(engine.Options{Store: mem})
	r := New(Config{Specs: specs, StartDelay: time.Hour})
	e.Handle(engine.ROM, r)
	e.Handle(engine.SOM, &orderer{})
	e.Attach(&network{}, port.Access, port.VLAN, port.BNG, port.Logistics, port.ZTP)
	ro := melbOrder()
	ro.Items[1].DependsOn = []string{"ROI-999"}
	e.Inject(0, engine.ROM, ro)
	e.Inject(0, engine.ROM, melbOrder())
	require.NoError(t, e.Run(context.Background()), "a bad order is refused, not a stop")
	records := mem.Records()
	require.NotEmpty(t, records)
	assert.Equal(t, engine.Refused, records[0].Kind)
	assert.Contains(t, records[0].Reason, `depends on "ROI-999"`)
	require.Len(t, r.Orders(), 1, "the refused order left nothing behind")
	assert.Equal(t, "RO-001", r.Orders()[0].ID, "its number was not taken")
	assert.Equal(t, "ROI-002", r.Orders()[0].Items[1].ID)
}

// Events carry the orderer's item handles back.
func TestHandlesEchoed(t *testing.T) {
	e := engine.New(engine.Options{})
	r := New(Config{Specs: specs})
	var handles []int
	e.Handle(engine.ROM, r)
	e.Handle(engine.SOM, handlerFunc(func(msg any) {
		if ev := msg.(*tmf.OrderEvent); ev.Item != nil {
			handles = append(handles, ev.Item.Handle)
		}
	}))
	e.Attach(&network{}, port.Access, port.VLAN, port.BNG, port.Logistics, port.ZTP)
	e.Inject(0, engine.ROM, melbOrder())
	require.NoError(t, e.Run(context.Background()))
	assert.ElementsMatch(t, []int{10, 11, 12}, handles)
}

type handlerFunc func(msg any)

func (f handlerFunc) Handle(_ time.Duration, msg any, _ *engine.Out) { f(msg) }

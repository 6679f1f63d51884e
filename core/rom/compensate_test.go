package rom

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// milestones records the events ROM sends back with each item's milestone.
type milestones struct{ events []string }

func (m *milestones) Handle(now time.Duration, msg any, _ *engine.Out) {
	ev := msg.(*tmf.OrderEvent)
	if ev.Item == nil {
		m.events = append(m.events, fmt.Sprintf("%s %s %s", now, ev.OrderID, ev.State))
		return
	}
	m.events = append(m.events, fmt.Sprintf("%s %s %s %s", now, ev.Item.ID, ev.Item.State, ev.Item.Milestone))
}

// Reference: catalog failure policy "compensate" (docs/architecture.md,
// ROM): a failed site gives back everything it holds. Items completed
// before the failure stay completed with the milestone released, and the
// orderer hears it before the order ends, so that it can end the services
// they supported (seed, Step 5: a service instance references its
// allocated resources; none may stay active on a resource given back).
func TestCompensationTellsReleasedItems(t *testing.T) {
	net := &network{fail: map[string]bool{"ROI-002": true}} // the VLAN, after bearer and router completed
	e := engine.New(engine.Options{})
	r := New(Config{Specs: specs, StartDelay: time.Hour,
		Policy: func(string, string, string) catalog.Policy { return catalog.Policy{Action: catalog.Compensate} }})
	som := &milestones{}
	e.Handle(engine.ROM, r)
	e.Handle(engine.SOM, som)
	e.Attach(net, port.Access, port.VLAN, port.BNG, port.Logistics, port.ZTP)
	e.Inject(0, engine.ROM, melbOrder())
	require.NoError(t, e.Run(context.Background()))

	ro := r.Orders()[0]
	assert.Equal(t, lc.Partial, ro.State)
	for _, i := range []int{0, 2} {
		assert.Equal(t, lc.Completed, ro.Items[i].State, ro.Items[i].ID)
		assert.Equal(t, lc.Released, ro.Items[i].Milestone, ro.Items[i].ID)
		assert.Equal(t, "released", ro.Items[i].Resource.State, ro.Items[i].ID)
	}
	assert.Equal(t, lc.Failed, ro.Items[1].State)
	assert.Equal(t, []string{
		"0s RO-001 acknowledged", "1h0m0s RO-001 inProgress",
		"3h0m0s ROI-001 completed ", "3h0m0s ROI-003 completed installed",
		"4h0m0s ROI-001 completed released", "4h0m0s ROI-003 completed released",
		"4h0m0s ROI-002 failed ", "4h0m0s RO-001 partial",
	}, som.events, "the released items are told before the order ends")
}

// pnpServer is the ZTP system outside the process: a CE router's commit
// waits for its router, which never calls home, until a release for the
// router ends it (docs/adapters.md, the ZTP adapter: "release ends a
// commit still waiting for that router"). Every other call it hands to
// the in-process network.
type pnpServer struct {
	net     *network
	mu      sync.Mutex
	waiting map[string]port.Replier // by router: the commit's replier
	commits map[string]port.Request
	calls   []string
}

func (p *pnpServer) Call(now time.Duration, req *port.Request, reply port.Replier) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, fmt.Sprintf("%s %s %s", req.Op, req.Item, req.Key))
	res := &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true}
	switch req.Op {
	case port.Commit:
		p.waiting[req.Resource.ID], p.commits[req.Resource.ID] = reply, *req
		return
	case port.Release:
		if w := p.waiting[req.Resource.ID]; w != nil {
			c := p.commits[req.Resource.ID]
			delete(p.waiting, req.Resource.ID)
			go w.Reply(now, &port.Result{Key: c.Key, System: c.System, Op: c.Op, Item: c.Item, Handle: c.Handle, Final: true,
				Err: &port.Error{Class: port.Hard, Code: "released", Message: "CE router released before it was configured"}})
		}
	}
	go reply.Reply(now, res)
}

// A site given up while its CE router's commit waits for the router to
// call home ends that commit: ROM sends the ZTP system a release for the
// router besides the release to logistics that gives it back, so the
// commit answers and the run, which ends with its last answer, ends,
// rather than waiting out the commit's deadline (7 days of real time
// with the ZTP adapter, the router told to call again all along). Both
// when the site is compensated and when its order is cancelled.
func TestGivingUpASiteEndsTheRoutersCommit(t *testing.T) {
	for _, cancel := range []bool{false, true} {
		t.Run(fmt.Sprintf("cancel=%v", cancel), func(t *testing.T) {
			net := &network{fail: map[string]bool{}}
			if !cancel {
				net.fail["ROI-002"] = true // the VLAN's reserve, with the router's commit in flight
			}
			ztp := &pnpServer{net: net, waiting: map[string]port.Replier{}, commits: map[string]port.Request{}}
			const week = 7 * 24 * time.Hour
			// On the wall clock, as a run with an adapter outside: a virtual
			// hour is 3.6 ms, the commit's deadline 1.2 s.
			e := engine.New(engine.Options{Clock: engine.NewWall(1e6), Deadlines: map[port.System]time.Duration{port.ZTP: 2 * week}})
			r := New(Config{Specs: specs, StartDelay: time.Hour,
				Policy: func(string, string, string) catalog.Policy { return catalog.Policy{Action: catalog.Compensate} }})
			e.Handle(engine.ROM, r)
			e.Handle(engine.SOM, &orderer{})
			e.Attach(net, port.Access, port.VLAN, port.BNG, port.Logistics)
			e.Attach(ztp, port.ZTP)
			e.Inject(0, engine.ROM, melbOrder())
			if cancel {
				e.Inject(4*time.Hour+30*time.Minute, engine.ROM, &tmf.CancelRequest{OrderID: "RO-001", Reason: "customer withdrew"})
			}
			ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
			defer stop()
			require.NoError(t, e.Run(ctx))

			ro := r.Orders()[0]
			want := lc.Failed
			if cancel {
				want = lc.Cancelled
			}
			assert.Equal(t, want, ro.Items[2].State)
			ztp.mu.Lock()
			defer ztp.mu.Unlock()
			assert.Equal(t, []string{"commit ROI-003 ROI-003/commit/1", "release ROI-003 ROI-003/release/ztp"}, ztp.calls)
			assert.Empty(t, ztp.waiting, "the commit was ended")
			assert.Less(t, e.Now(), week, "the run ended with the release's answer, not the commit's deadline")
			assert.Contains(t, net.calls, fmt.Sprintf("%s release ROI-003", ro.Items[2].CompletionDate), "the router is given back to logistics")
			assert.Equal(t, "released", ro.Items[2].Resource.State)
			assert.Zero(t, e.OutsideWaiting())
		})
	}
}

package som

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeROM takes each resource order and answers on its own clock: the
// order is created at once, item j is done j+1 hours later (a CE router
// in SYD1 fails). It keeps nothing.
type fakeROM struct{}

func (fakeROM) Handle(_ time.Duration, msg any, out *engine.Out) {
	ro, ok := msg.(*tmf.ResourceOrder)
	if !ok {
		return // a cancellation: nothing to undo here
	}
	id := "RO-" + ro.ExternalID
	out.Send(engine.SOM, 0, &tmf.OrderEvent{Type: tmf.ResourceOrderCreate, OrderID: id, ExternalID: ro.ExternalID})
	for j, it := range ro.Items {
		ev := &tmf.OrderEvent{Type: tmf.ResourceOrderItemStateChange, OrderID: id, ExternalID: ro.ExternalID,
			Item: &tmf.ItemEvent{ID: it.ID, Handle: it.Handle, State: lc.Completed,
				Instance: tmf.Ref{ID: "R" + it.ID, Name: "v" + it.ID, Type: it.Specification.ID}}}
		if ro.Place.ID == "SYD1" && it.Specification.Name == "RFS:CE-Router" {
			ev.Item.State, ev.Item.StateReason, ev.Item.Instance = lc.Failed, "no router in stock", tmf.Ref{}
		}
		out.Send(engine.SOM, time.Duration(j+1)*time.Hour, ev)
	}
}

func (fakeROM) Snapshot() ([]byte, error) { return []byte{}, nil }
func (fakeROM) Restore([]byte) error      { return nil }

// events logs what SOM tells COM, and keeps its log in a snapshot.
type events struct{ log []string }

func (c *events) Handle(now time.Duration, msg any, _ *engine.Out) {
	ev := msg.(*tmf.OrderEvent)
	s := fmt.Sprintf("%s %s %s %s", now, ev.Type, ev.OrderID, ev.State)
	if ev.Item != nil {
		s += fmt.Sprintf(" %s %s %s %s", ev.Item.ID, ev.Item.State, ev.Item.StateReason, ev.Item.Instance.ID)
	}
	c.log = append(c.log, s)
}

func (c *events) Snapshot() ([]byte, error) {
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(strings.Join(c.log, "\n"))
	return buf.Bytes(), err
}

func (c *events) Restore(b []byte) error {
	var s string
	err := gob.NewDecoder(bytes.NewReader(b)).Decode(&s)
	c.log = strings.Split(s, "\n")
	return err
}

func withAction(items []tmf.ServiceOrderItem, a tmf.Action) []tmf.ServiceOrderItem {
	for i := range items {
		items[i].Action = a
	}
	return items
}

// busySOM is SOM with two sites in flight (one fails), an order cancelled
// after its resource order was placed, and a disconnect of the first
// site once its services are active.
func busySOM(t *testing.T) (*engine.Engine, *SOM, *events, *store.Memory) {
	return busySOMWith(t, 0, fakeROM{})
}

// busySOMWith is busySOM keeping finished orders for retention (0: for
// ever), with rom for ROM.
func busySOMWith(t *testing.T, retention time.Duration, rom engine.Handler) (*engine.Engine, *SOM, *events, *store.Memory) {
	mem := store.NewMemory()
	e := engine.New(engine.Options{Store: mem})
	s := New(Config{Catalog: loadCatalog(t), PlanDelay: time.Hour, Retention: retention})
	com := &events{}
	e.Handle(engine.SOM, s)
	e.Handle(engine.COM, com)
	e.Handle(engine.ROM, rom)
	party := []tmf.Ref{{ID: "CUST-ENT-1102", Role: "customer"}}
	e.Inject(0, engine.SOM, &tmf.ServiceOrder{ExternalID: "PO-1/SO-WAVE1", Description: "SO-WAVE1", RelatedParty: party,
		Items: append(siteItems("SOI-00", "MELB", "GPON", 0), siteItems("SOI-01", "SYD1", "P2P-Ethernet", 3)...)})
	e.Inject(2*time.Hour, engine.SOM, &tmf.ServiceOrder{ExternalID: "PO-1/SO-WAVE2", Description: "SO-WAVE2", RelatedParty: party,
		Items: siteItems("SOI-10", "PER", "GPON", 6)})
	e.Inject(4*time.Hour+30*time.Minute, engine.SOM, &tmf.CancelRequest{ExternalID: "PO-1/SO-WAVE2", Reason: "changed mind"})
	e.Inject(20*time.Hour, engine.SOM, &tmf.ServiceOrder{ExternalID: "PO-1/SO-OFF", Description: "SO-OFF", RelatedParty: party,
		Items: withAction(siteItems("SOI-20", "MELB", "GPON", 9), tmf.Delete)})
	return e, s, com, mem
}

// A snapshot taken at any instant of a busy SOM restores into a fresh one
// that snapshots to the same bytes, and runs on to the same end: the same
// events, journal and final state as the run that was never stopped.
func TestSnapshotRoundTrip(t *testing.T) {
	ctx := context.Background()
	e, s, com, _ := busySOM(t)
	require.NoError(t, e.Run(ctx))
	want, err := e.Snapshot()
	require.NoError(t, err)
	// The run did what the cut points are meant to cross.
	assert.Equal(t, lc.Partial, s.Orders()[0].State)
	assert.Equal(t, lc.Cancelled, s.Orders()[1].State)
	assert.Equal(t, lc.Completed, s.Orders()[2].State)
	assert.Equal(t, "terminated", s.Services.Get("SI-FA-ENT-1102-MELB").State)
	assert.Len(t, s.Services.Get("SI-FA-ENT-1102-MELB").SupportingRes, 3)

	roundTrip(t, busySOM, want, com, s)
}

// roundTrip snapshots the runs build makes at cut points every half hour,
// restores each into a fresh one and runs both to the end: the same
// snapshot as want, the same events as com, the same service inventory as
// s.
func roundTrip(t *testing.T, build func(*testing.T) (*engine.Engine, *SOM, *events, *store.Memory), want store.Snapshot, com *events, s *SOM) {
	ctx := context.Background()
	for cut := time.Duration(0); cut <= 30*time.Hour; cut += 30 * time.Minute {
		a, _, _, amem := build(t)
		require.NoError(t, a.RunUntil(ctx, cut))
		snap, err := a.Snapshot()
		require.NoError(t, err, "cut at %s", cut)
		b, sb, comb, bmem := build(t)
		for _, kind := range []string{ShelfKind, ServiceShelfKind} { // the store's shelf as it was at the cut
			docs, err := amem.ShelvedAll(kind)
			require.NoError(t, err)
			require.NoError(t, bmem.Shelve(docs))
		}
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
		assert.Equal(t, com.log, comb.log, "cut at %s", cut)
		assert.Equal(t, s.Services.Get("SI-FA-ENT-1102-MELB"), sb.Services.Get("SI-FA-ENT-1102-MELB"), "cut at %s", cut)
		for _, kind := range []string{ShelfKind, ServiceShelfKind} {
			want, err := amem.ShelvedAll(kind)
			require.NoError(t, err)
			got, err := bmem.ShelvedAll(kind)
			require.NoError(t, err)
			assert.Equal(t, want, got, "cut at %s: the shelf", cut)
		}
	}
}

// A plan timer for an order SOM does not have does nothing.
func TestPlanForNoOrder(t *testing.T) {
	mem := store.NewMemory()
	e := engine.New(engine.Options{Store: mem})
	s := New(Config{Catalog: loadCatalog(t), PlanDelay: time.Hour})
	e.Handle(engine.SOM, s)
	e.Inject(time.Hour, engine.SOM, &plan{Order: "SO-001"})
	require.NoError(t, e.Run(context.Background()))
	assert.Empty(t, mem.Records())
	assert.Equal(t, uint64(0), e.Refusals())
}

// Restore refuses bytes that are not a snapshot, and a SOM that has
// orders already.
func TestRestoreRefuses(t *testing.T) {
	s := New(Config{Catalog: loadCatalog(t)})
	require.ErrorContains(t, s.Restore([]byte("not a snapshot")), "SOM restore")
	e, busy, _, _ := busySOM(t)
	require.NoError(t, e.RunUntil(context.Background(), 3*time.Hour))
	b, err := busy.Snapshot()
	require.NoError(t, err)
	require.EqualError(t, busy.Restore(b), "SOM restore: SOM has orders already")
}

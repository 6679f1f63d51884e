package som

import (
	"context"
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

// endingROM is fakeROM that also tells each resource order's end, an hour
// after its last item (failed when an item failed), and answers a
// cancellation with the order's end, cancelled, half an hour later.
type endingROM struct{ fakeROM }

func (r endingROM) Handle(now time.Duration, msg any, out *engine.Out) {
	switch m := msg.(type) {
	case *tmf.ResourceOrder:
		r.fakeROM.Handle(now, msg, out)
		state := lc.Completed
		if m.Place.ID == "SYD1" {
			state = lc.Failed
		}
		out.Send(engine.SOM, time.Duration(len(m.Items)+1)*time.Hour,
			&tmf.OrderEvent{Type: tmf.ResourceOrderStateChange, OrderID: "RO-" + m.ExternalID, ExternalID: m.ExternalID, State: state})
	case *tmf.CancelRequest:
		external := strings.TrimPrefix(m.OrderID, "RO-")
		out.Send(engine.SOM, 30*time.Minute,
			&tmf.OrderEvent{Type: tmf.ResourceOrderStateChange, OrderID: m.OrderID, ExternalID: external, State: lc.Cancelled})
	}
}

// §7 finished orders leave memory: with a retention, the busy SOM's
// orders (partial, cancelled, a disconnect) each leave memory once ROM has
// told the end of their resource orders, shelved as they ended; their
// services leave with the last order holding them, shelved too: the
// disconnect holds the first order's (taking it back from the shelf when
// it left before), terminates it and shelves it as it ends; snapshots at
// every cut point restore to the same bytes and run on to the same end.
func TestRetiredOrdersLeaveSOM(t *testing.T) {
	build := func(t *testing.T) (*engine.Engine, *SOM, *events, *store.Memory) {
		return busySOMWith(t, time.Hour, endingROM{})
	}
	e, s, com, mem := build(t)
	require.NoError(t, e.Run(context.Background()))
	assert.Empty(t, s.Orders(), "every order left memory")
	assert.Empty(t, s.handled.Slice(), "with its request handles")
	assert.Empty(t, s.roSites)
	assert.Empty(t, s.byExternal)
	for n, want := range []string{lc.Partial, lc.Cancelled, lc.Completed} {
		id := tmf.SeqID("SO", n+1)
		d, ok, err := mem.Shelved(ShelfKind, id)
		require.NoError(t, err)
		require.True(t, ok, "%s is on the shelf", id)
		assert.Equal(t, "CUST-ENT-1102", d.Party)
		so, err := Shelved(d.Body)
		require.NoError(t, err)
		assert.Equal(t, want, so.State, id)
	}
	assert.Zero(t, s.Services.Len(), "every service left memory with the orders holding it")
	d, ok, err := mem.Shelved(ServiceShelfKind, "SI-FA-ENT-1102-MELB")
	require.NoError(t, err)
	require.True(t, ok, "the service is on the shelf")
	assert.Equal(t, "CUST-ENT-1102", d.Party)
	svc, err := ShelvedService(d.Body)
	require.NoError(t, err)
	assert.Equal(t, "terminated", svc.State, "the disconnect found the retired order's service")
	assert.Equal(t, svc.Ord, d.Ord)
	assert.Len(t, svc.SupportingRes, 3)
	want, err := e.Snapshot()
	require.NoError(t, err)
	roundTrip(t, build, want, com, s)
}

// scriptedROM ends a resource order as failed an hour after it takes it
// (unless cancelled before), telling so two hours later (the event is on
// its way meanwhile), and
// answers a cancellation as ROM does: the order's end again when it had
// ended, else its end, cancelled; each after reply.
type scriptedROM struct {
	ended map[string]bool
	reply time.Duration
}

func (r *scriptedROM) Handle(now time.Duration, msg any, out *engine.Out) {
	switch m := msg.(type) {
	case *tmf.ResourceOrder:
		id := "RO-" + m.ExternalID
		out.Send(engine.SOM, 0, &tmf.OrderEvent{Type: tmf.ResourceOrderCreate, OrderID: id, ExternalID: m.ExternalID})
		out.Send(engine.ROM, time.Hour, m.ExternalID)
	case string: // the order ends, unless cancelled
		if !r.ended[m] {
			r.ended[m] = true
			out.Send(engine.SOM, 2*time.Hour, &tmf.OrderEvent{Type: tmf.ResourceOrderStateChange, OrderID: "RO-" + m, ExternalID: m, State: lc.Failed})
		}
	case *tmf.CancelRequest:
		external := strings.TrimPrefix(m.OrderID, "RO-")
		state := lc.Cancelled
		if r.ended[external] {
			state = lc.Failed
		}
		r.ended[external] = true
		out.Send(engine.SOM, r.reply, &tmf.OrderEvent{Type: tmf.ResourceOrderStateChange, OrderID: m.OrderID, ExternalID: external, State: state})
	}
}

// A finished service order stays in memory while ROM may still tell it
// something: its sites' resource orders have not told their end, or a
// cancellation crossed an end on its way (then ROM tells the end twice).
// An event after the order left is one about an order SOM does not have.
func TestRetireWaitsForResourceOrders(t *testing.T) {
	for _, c := range []struct {
		name   string
		cancel time.Duration // when the service order is cancelled
		reply  time.Duration // how long ROM takes to answer it
		// stays is a time the order has ended and its retention passed,
		// but it is still in memory; gone when it has left.
		stays, gone time.Duration
	}{
		// Cancelled at 1h30, ROM answers at 6h: ended, it waits.
		{"ended before ROM", 90 * time.Minute, 270 * time.Minute, 5 * time.Hour, 8 * time.Hour},
		// Cancelled at 3h30, after ROM ended the order at 2h but before it
		// said so at 4h: the end at 4h is not the answer, the one at 8h is.
		{"crossed", 210 * time.Minute, 270 * time.Minute, 7 * time.Hour, 10 * time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			mem := store.NewMemory()
			e := engine.New(engine.Options{Store: mem})
			s := New(Config{Catalog: loadCatalog(t), PlanDelay: time.Hour, Retention: time.Hour})
			e.Handle(engine.SOM, s)
			e.Handle(engine.COM, &events{})
			e.Handle(engine.ROM, &scriptedROM{ended: map[string]bool{}, reply: c.reply})
			e.Inject(0, engine.SOM, &tmf.ServiceOrder{ExternalID: "PO-1/SO-WAVE1", RelatedParty: []tmf.Ref{{ID: "CUST-ENT-1102", Role: "customer"}},
				Items: siteItems("SOI-00", "MELB", "GPON", 0)})
			e.Inject(c.cancel, engine.SOM, &tmf.CancelRequest{ExternalID: "PO-1/SO-WAVE1", Reason: "changed mind"})
			require.NoError(t, e.RunUntil(ctx, c.stays))
			so := s.Order("SO-001")
			require.NotNil(t, so, "ROM owes it an end: it stays")
			assert.Equal(t, lc.Cancelled, so.State)
			assert.Less(t, so.CompletionDate+time.Hour, c.stays)
			_, ok, err := mem.Shelved(ShelfKind, "SO-001")
			require.NoError(t, err)
			assert.False(t, ok)

			require.NoError(t, e.RunUntil(ctx, c.gone))
			assert.Nil(t, s.Order("SO-001"), "ROM told everything: it left")
			_, ok, err = mem.Shelved(ShelfKind, "SO-001")
			require.NoError(t, err)
			assert.True(t, ok)
			err = s.Admit(&tmf.OrderEvent{Type: tmf.ResourceOrderStateChange, OrderID: "RO-PO-1/SO-WAVE1/MELB", ExternalID: "SO-001/MELB", State: lc.Failed})
			require.ErrorIs(t, err, tmf.ErrUnknownOrder)
			require.NoError(t, e.Run(ctx))
			assert.Zero(t, e.Refusals(), "nothing came for the order after it left")
		})
	}
}

package scenarios

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
)

// A snapshot holding orders rejected before they took a quote (a second
// order of a quote ordered already; an order naming no quote) is restored
// to the state it saved. Such an order made every later snapshot unusable,
// and each restart replayed from T+0.
func TestSnapshotOfOrdersRejectedWithoutAQuote(t *testing.T) {
	sc, err := Load("globaltech-5site.yaml")
	require.NoError(t, err)
	p := sc.Spec.Orders[0]
	sys, err := New(sc.Spec, Options{Journal: store.NewMemory()})
	require.NoError(t, err)
	again := com.NewOrder("", p.Quote, p.Quote.ID)
	sys.Engine.Inject(p.At+1, engine.COM, com.OrderRequest{Order: again, Key: "again"})
	none := com.NewOrder("", p.Quote, p.Quote.ID)
	none.Quote = nil
	sys.Engine.Inject(p.At+1, engine.COM, com.OrderRequest{Order: none, Key: "none"})
	require.NoError(t, sys.Engine.Run(context.Background()))
	rejected := 0
	for _, po := range sys.COM.Orders() {
		if po.State == "rejected" {
			rejected++
		}
	}
	require.Equal(t, 2, rejected, "both extra orders were rejected")

	snap, err := sys.Engine.Snapshot()
	require.NoError(t, err)
	fresh, err := New(sc.Spec, Options{Journal: store.NewMemory()})
	require.NoError(t, err)
	require.NoError(t, fresh.Engine.Restore(snap))
	back, err := fresh.Engine.Snapshot()
	require.NoError(t, err)
	require.Equal(t, snap.Body, back.Body, "the restored state is the one saved")
}

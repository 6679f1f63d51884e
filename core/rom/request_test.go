package rom

import (
	"context"
	"testing"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An order placed over TMF652 (OrderRequest) is answered with its id and
// runs; its external id makes a repeat the same order; an item id another
// order has is refused (it keys the network calls), and so is a
// dependency on no item of the order, before anything changes. Its events
// go to no component: the orderer is outside the process.
func TestOrderRequest(t *testing.T) {
	net := &network{}
	e, r, som := setup(net)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Serve(ctx) }()
	command := func(ro *tmf.ResourceOrder) any {
		v, err := e.Command(ctx, engine.ROM, OrderRequest{Order: *ro})
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, Placed{ID: "RO-001"}, command(melbOrder()))
	assert.Equal(t, Placed{ID: "RO-001", Duplicate: true}, command(melbOrder()))
	taken := melbOrder()
	taken.ExternalID = "ACME/2"
	err, _ := command(taken).(error)
	assert.ErrorIs(t, err, ErrItemTaken)
	assert.EqualError(t, err, `item "ROI-001": item id already taken by resource order RO-001`)
	loose := &tmf.ResourceOrder{ExternalID: "ACME/3", Place: tmf.Place{ID: "MELB"},
		Items: []tmf.ResourceOrderItem{{ID: "X-1", Specification: tmf.Ref{ID: "VLAN"}, DependsOn: []string{"X-9"}}}}
	err, _ = command(loose).(error)
	assert.EqualError(t, err, `item "X-1" depends on "X-9", which is not an item of the order`)
	for pending := -1; pending != 0; {
		require.NoError(t, e.Query(ctx, func() { pending = e.Pending() }))
	}
	require.NoError(t, e.Query(ctx, func() {
		require.Len(t, r.Orders(), 1)
		assert.Equal(t, lc.Completed, r.Order("RO-001").State)
		assert.Equal(t, engine.Address(0), r.PlacedBy("RO-001"))
	}))
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.Empty(t, som.events, "no event goes to SOM for an order it did not place")
}

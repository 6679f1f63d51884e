package som

import (
	"context"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An order placed over TMF641 (OrderRequest) is answered with its id, its
// external id makes a repeat the same order, and its events go to no
// component: the orderer is outside the process.
func TestOrderRequest(t *testing.T) {
	e := engine.New(engine.Options{})
	s := New(Config{Catalog: loadCatalog(t), PlanDelay: time.Hour})
	com, rom := &capture{}, &capture{}
	e.Handle(engine.SOM, s)
	e.Handle(engine.COM, com)
	e.Handle(engine.ROM, rom)
	so := tmf.ServiceOrder{ExternalID: "ACME/1", Items: siteItems("A-", "MELB", "GPON", 0)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Serve(ctx) }()
	first, err := e.Command(ctx, engine.SOM, OrderRequest{Order: so})
	require.NoError(t, err)
	again, err := e.Command(ctx, engine.SOM, OrderRequest{Order: so})
	require.NoError(t, err)
	other, err := e.Command(ctx, engine.SOM, OrderRequest{Order: tmf.ServiceOrder{ExternalID: "ACME/2", Items: siteItems("B-", "MELB", "GPON", 0)}})
	require.NoError(t, err)
	require.NoError(t, e.Query(ctx, func() {
		assert.Equal(t, Placed{ID: "SO-001"}, first)
		assert.Equal(t, Placed{ID: "SO-001", Duplicate: true}, again)
		assert.Equal(t, Placed{ID: "SO-002"}, other)
		assert.Len(t, s.Orders(), 2)
		assert.Equal(t, "ACME/1", s.Order("SO-001").ExternalID)
		assert.Nil(t, s.Order("SO-404"))
		assert.Equal(t, engine.Address(0), s.PlacedBy("SO-001"))
	}))
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.Empty(t, com.msgs, "no event goes to COM for an order it did not place")
	assert.NotEmpty(t, rom.msgs, "SOM placed the site's resource orders")
}

// A cancellation that comes after the order ended changes nothing (a
// repeated request already satisfied is a no-op, docs/architecture.md §3).
func TestCancelAfterTheEnd(t *testing.T) {
	so := &tmf.ServiceOrder{ExternalID: "PO-1/SO-PILOT", Items: siteItems("SOI-00", "MELB", "DSL", 0)}
	s, com, _ := run(t, so, func(e *engine.Engine, _ []*tmf.ResourceOrder) {
		e.Inject(e.Now(), engine.SOM, &tmf.CancelRequest{OrderID: "SO-001", Reason: "late"})
	})
	assert.Equal(t, lc.Failed, s.Orders()[0].State, "failed before the cancellation came")
	assert.Equal(t, engine.COM, s.PlacedBy("SO-001"))
	for _, m := range com.msgs {
		assert.NotEqual(t, lc.Cancelled, m.(*tmf.OrderEvent).State)
	}
}

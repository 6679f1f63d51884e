package scenarios

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A site in service is changed with a modify order, not ordered again
// (TMF622: a product order item's add makes a new product; an installed
// one is changed by a modify on its product.id). A product instance's id
// names the customer and the site (seed, step 5: PI-EFCG-1102-MELB), so a
// second add of the same customer's site would make a second product of
// the same id, and the services and resources under it: the inventory
// held them as one, and the order that left memory first took the other's
// products with it. A customer quoting its sites again (the load
// generator's population customer, quoted once a run) is refused, naming
// the product and the modify order: at its order's validation when its
// quote was reviewed before the first order was validated (the sites
// active then, and the one still being built, each named), at its quote's
// technical review once the sites are in service; and after every order
// left memory each product and service is listed once and read by its id.
func TestSiteInServiceIsNotOrderedAgain(t *testing.T) {
	spec, first := orderedAgain(t)
	mem := store.NewMemory()
	sys, err := New(spec, Options{Journal: mem, Retention: time.Hour})
	require.NoError(t, err)
	require.NoError(t, sys.Engine.Run(context.Background()))

	order := func(id string) tmf.ProductOrder {
		if po := sys.COM.Order(id); po != nil {
			return *po
		}
		d, ok, err := mem.Shelved(com.ShelfKind, id)
		require.NoError(t, err)
		require.True(t, ok, "%s is in memory or on the shelf", id)
		po, err := com.Shelved(d.Body)
		require.NoError(t, err)
		return *po
	}
	assert.Equal(t, lc.Completed, order(first.OrderID).State)
	side := order("PO-AGAIN-1")
	assert.Equal(t, lc.Rejected, side.State)
	for _, it := range side.Items {
		assert.Equal(t, lc.Rejected, it.State)
		assert.Contains(t, it.StateReason, "site S01 is in service with product PI-EFCG-00000-S01 (active, of order "+first.OrderID+
			"): change it with a modify order (action modify, product.id PI-EFCG-00000-S01), not a new one; site S02")
		assert.Contains(t, it.StateReason, "; site S05 is being ordered already: order "+first.OrderID+
			" (item POI-005, inProgress) is making product PI-EFCG-00000-S05; once it is active, change it with a modify order")
	}
	later := order("PO-AGAIN-2")
	assert.Equal(t, lc.Rejected, later.State)
	for _, it := range later.Items {
		assert.Contains(t, it.StateReason, "site S01 is in service with product PI-EFCG-00000-S01 (active, of order "+first.OrderID+
			"): change it with a modify order (action modify, product.id PI-EFCG-00000-S01), not a new one; site S02 is in service")
		assert.Contains(t, it.StateReason, "product.id PI-EFCG-00000-S05")
	}
	require.Empty(t, sys.COM.Orders(), "every order left memory")

	// Over the API, from the shelf: five products, fifteen services,
	// each listed once and read by its id.
	srv := httptest.NewServer(sys.API().Handler())
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sys.Engine.Serve(ctx) }()
	defer func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	}()
	idle := func() {
		for pending := -1; pending != 0; {
			require.NoError(t, sys.Engine.Query(ctx, func() { pending = sys.Engine.Pending() }))
		}
	}
	// A quote of the same sites now: its technical review reads the
	// product from the shelf and rejects it.
	q := first.Quote
	q.ID = "QT-AGAIN-3"
	_, err = sys.Engine.Command(ctx, engine.COM, q)
	require.NoError(t, err)
	idle()
	d, ok, err := mem.Shelved(com.QuoteShelfKind, "QT-AGAIN-3")
	require.NoError(t, err)
	require.True(t, ok, "the rejected quote left memory")
	quote, err := com.ShelvedQuote(d.Body)
	require.NoError(t, err)
	assert.Equal(t, lc.Rejected, quote.State)
	assert.Equal(t, "technical review: site S01 is in service with product PI-EFCG-00000-S01 (active, of order "+first.OrderID+
		"): change it with a modify order (action modify, product.id PI-EFCG-00000-S01), not a new one", quote.Reason)
	for _, c := range []struct {
		coll string
		n    int
	}{
		{"/tmf-api/productInventory/v4/product", 5},
		{"/tmf-api/serviceInventory/v4/service", 15},
	} {
		code, body := get(t, srv.URL+c.coll+"?limit=1000")
		require.Equal(t, http.StatusOK, code, body)
		var list []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			State  string `json:"state"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &list))
		seen := map[string]bool{}
		for _, e := range list {
			assert.False(t, seen[e.ID], "%s listed once", e.ID)
			seen[e.ID] = true
			assert.Equal(t, "active", e.Status+e.State, "%s", e.ID)
			code, body := get(t, srv.URL+c.coll+"/"+e.ID)
			assert.Equal(t, http.StatusOK, code, "%s read by id", e.ID)
			if c.n == 5 {
				assert.Contains(t, body, `"productOrderId":"`+first.OrderID+`"`, "%s is the first order's", e.ID)
			}
		}
		assert.Len(t, list, c.n, c.coll)
	}
}

// orderedAgain is a population's first customer ordering its sites once,
// then twice again with quotes reviewed beside the first's: one order on
// day 10, while the first is in progress (it completes on day 20), one on
// day 100, once the first completed and left memory. The network is three
// customers': room for the sites twice.
func orderedAgain(t *testing.T) (Spec, Placement) {
	t.Helper()
	sc, err := loadPopulation(t, "customers: 10", "customers: 3", "exhausted: 1", "exhausted: 0")
	require.NoError(t, err)
	spec := sc.Spec
	first := spec.Orders[0]
	again := func(n string, at time.Duration) Placement {
		p := first
		p.Quote.ID, p.OrderID, p.At = "QT-AGAIN-"+n, "PO-AGAIN-"+n, at
		p.Quote.Sites = append([]com.Site(nil), first.Quote.Sites...)
		return p
	}
	day := 24 * time.Hour
	spec.Orders = []Placement{first, again("1", first.At+10*day), again("2", first.At+100*day)}
	return spec, first
}

// §2 snapshots: a system restored at any cut of the orders placed again
// refuses them as the whole run did and ends in the same state: restored
// on day 9, while the first order is in progress, it works out what the
// orders in memory are making from them, and the order of day 10 is
// rejected as being ordered already.
func TestSiteInServiceSnapshotThenTail(t *testing.T) {
	spec, _ := orderedAgain(t)
	for _, retention := range []time.Duration{0, time.Hour} {
		t.Run("retention "+retention.String(), func(t *testing.T) { specThenTail(t, spec, retention) })
	}
}

package scenarios

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
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
		assert.Contains(t, it.StateReason, "site S01 is in service with product PI-EFCG-00000-S01: "+
			"change it with a modify order (action modify, product.id PI-EFCG-00000-S01), not a new one; site S02")
		assert.Contains(t, it.StateReason, "; site S05 is being ordered already: order "+first.OrderID+
			" (item POI-005, inProgress) is making product PI-EFCG-00000-S05; once it is active, change it with a modify order")
	}
	later := order("PO-AGAIN-2")
	assert.Equal(t, lc.Rejected, later.State)
	for _, it := range later.Items {
		assert.Contains(t, it.StateReason, "site S01 is in service with product PI-EFCG-00000-S01: "+
			"change it with a modify order (action modify, product.id PI-EFCG-00000-S01), not a new one; site S02 is in service")
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
	// A quote of the same sites now, every order on the shelf: its
	// technical review finds the products in service all the same, and
	// rejects it.
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
	assert.Equal(t, "technical review: site S01 is in service with product PI-EFCG-00000-S01: "+
		"change it with a modify order (action modify, product.id PI-EFCG-00000-S01), not a new one", quote.Reason)
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
// refuses them as the whole run did and ends in the same state: the
// sites in service come back from the snapshot, those being made are
// worked out from the orders in memory (restored while the first order
// is in progress, the order of day 10 is rejected as ordering its last
// site already being made).
func TestSiteInServiceSnapshotThenTail(t *testing.T) {
	spec, _ := orderedAgain(t)
	for _, retention := range []time.Duration{0, time.Hour} {
		t.Run("retention "+retention.String(), func(t *testing.T) { specThenTail(t, spec, retention) })
	}
}

// A disconnect frees the site (TMF622: a delete item terminates the
// product): the customer orders it again, and its new product takes the
// id, in the inventory's place of the terminated one, and is changed with
// a modify order; a site still in service added to that order is refused. The first order comes back from the shelf for a change
// of another of its sites (a modify order, which a site in service
// takes) and leaves again, without putting its terminated product back
// in that place, nor taking the new one with it. Kept in memory or
// retired (ten days after an order ends: the first order leaves before
// the second is placed, and comes back while the second is in memory;
// thirty days: the first order leaves once the second's product is
// active, and the second's product is changed after), the journal is the
// same, record for record, and so is the product inventory.
func TestSiteDisconnectedIsOrderedAgain(t *testing.T) {
	sc, err := loadPopulation(t, "customers: 10", "customers: 3", "exhausted: 1", "exhausted: 0")
	require.NoError(t, err)
	spec := sc.Spec
	first := spec.Orders[0]
	day := 24 * time.Hour
	again := first
	again.Quote.ID, again.OrderID, again.At = "QT-AGAIN-S01", "PO-AGAIN-S01", first.At+40*day
	again.Quote.Sites = []com.Site{first.Quote.Sites[0]}
	require.Equal(t, "S01", again.Quote.Sites[0].Code)
	spec.Orders = []Placement{first, again}
	spec.Events = append(slices.Clone(spec.Events),
		Event{At: first.At + 25*day, Remove: &com.Remove{Order: first.OrderID, Site: "S01", Reason: "moved out"}, Note: "disconnect"},
		Event{At: first.At + 41*day, AddSite: &com.AddSite{Order: "PO-AGAIN-S01", Site: first.Quote.Sites[1]}, Note: "S02 again"},
		Event{At: first.At + 55*day, Change: &com.Change{Order: "PO-AGAIN-S01", Site: "S01", Speed: "1G-sym"}, Note: "faster"},
		Event{At: first.At + 62*day, Change: &com.Change{Order: first.OrderID, Site: "S02", Speed: "1G-sym"}, Note: "faster too"})

	keep, err := New(spec, Options{})
	require.NoError(t, err)
	require.NoError(t, keep.Engine.Run(context.Background()))
	records := keep.Journal.(*store.Memory).Records()
	for _, done := range []string{first.OrderID + "-D1", "PO-AGAIN-S01", "PO-AGAIN-S01-M2", first.OrderID + "-M3"} {
		assert.Contains(t, kinds(records), "productOrder "+done+" completed")
	}
	added := slices.IndexFunc(records, func(r store.Record) bool { return r.Kind == "amendment" && r.Event == "addSite" })
	require.GreaterOrEqual(t, added, 0)
	assert.Equal(t, store.Record{At: first.At + 41*day, Kind: "amendment", Entity: "PO-AGAIN-S01", System: "COM", To: "refused", Event: "addSite",
		Reason: "site S02 is in service with product PI-EFCG-00000-S02: " +
			"change it with a modify order (action modify, product.id PI-EFCG-00000-S02), not a new one"}, records[added],
		"a site in service added to another order is refused")
	for _, retention := range []time.Duration{10 * day, 30 * day} {
		t.Run("retention "+retention.String(), func(t *testing.T) {
			mem := store.NewMemory()
			gone, err := New(spec, Options{Journal: mem, Retention: retention})
			require.NoError(t, err)
			require.NoError(t, gone.Engine.Run(context.Background()))
			require.Equal(t, records, mem.Records(), "the same journal, record for record")
			require.Empty(t, gone.COM.Orders(), "every order left memory")

			products := gone.products()
			assert.Equal(t, keep.products(), products, "the product inventory, from memory and the shelf")
			require.Len(t, products, 5, "one product a site")
			for _, p := range products {
				assert.Equal(t, "active", p.Status, p.ID)
				if p.ID == "PI-EFCG-00000-S01" {
					assert.Equal(t, "PO-AGAIN-S01", p.ProductOrder, "the new product took the terminated one's place")
					assert.Equal(t, "1G-sym", p.Characteristics.Get("speed"), "and was changed")
				} else {
					assert.Equal(t, first.OrderID, p.ProductOrder, p.ID)
				}
			}
			assert.Equal(t, 5, gone.COM.InService())
		})
	}
}

package tmf622_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Product orders and quotes that left COM's memory are read from the
// store's shelf with the answers, filters and paging of those kept; an
// active site of such an order is still changed and disconnected, and
// what is refused is refused as when kept: COM takes the order back from
// the shelf, and lets it go again once the change order has ended; a
// restart replays it all from the input log, the shelf reads included.
func TestRetiredProductOrders(t *testing.T) {
	kept := apitest.ServeWorkedExample(t)
	defer kept.Stop()
	mem := store.NewMemory()
	gone := apitest.ServeWorkedExampleWith(t, scenarios.Options{Journal: mem, Log: mem, Retention: time.Hour})
	stopped := false
	defer func() {
		if !stopped {
			gone.Stop()
		}
	}()
	inMemory := func() (orders, quotes int) {
		require.NoError(t, gone.Sys.Engine.Query(context.Background(), func() {
			orders, quotes = len(gone.Sys.COM.Orders()), len(gone.Sys.COM.Quotes())
		}))
		return orders, quotes
	}
	orders, quotes := inMemory()
	require.Zero(t, orders, "every product order left COM's memory")
	require.Zero(t, quotes, "with its quote")

	for _, path := range []string{ordersPath, ordersPath + "?state=completed&fields=id,state", ordersPath + "?offset=0&limit=1",
		ordersPath + "?orderDate.gte=2000-01-01T00:00:00Z&fields=orderDate", quotesPath, quotesPath + "?fields=id,state", tmf630.ProductInventory + "/product",
		tmf630.ProductInventory + "/product?offset=2&limit=2"} {
		var want, got []map[string]any
		wk := kept.Do(t, "GET", path, nil, &want)
		wg := gone.Do(t, "GET", path, nil, &got)
		require.Equal(t, http.StatusOK, wg.Code, path)
		assert.Equal(t, want, got, path)
		assert.Equal(t, wk.Header().Get("X-Total-Count"), wg.Header().Get("X-Total-Count"), path)
		assert.NotEmpty(t, got, path)
	}
	var list []tmf622.ProductOrder
	kept.Do(t, "GET", ordersPath, nil, &list)
	require.NotEmpty(t, list)
	var want, po tmf622.ProductOrder
	kept.Do(t, "GET", ordersPath+"/"+list[0].ID, nil, &want)
	require.Equal(t, http.StatusOK, gone.Do(t, "GET", ordersPath+"/"+list[0].ID, nil, &po).Code)
	assert.Equal(t, want, po)
	var q tmf648.Quote
	require.Equal(t, http.StatusOK, gone.Do(t, "GET", quotesPath+"/"+po.Quote[0].ID, nil, &q).Code)
	assert.Equal(t, "accepted", q.State)
	apitest.TMFError(t, gone.Do(t, "GET", ordersPath+"/PO-999", nil, nil), http.StatusNotFound, "PO-999")

	// The notifier finds the order of an item of an order that left
	// memory, at every level: its events still go out.
	var sos, ros []map[string]any
	gone.Do(t, "GET", tmf630.ServiceOrdering+"/serviceOrder", nil, &sos)
	gone.Do(t, "GET", tmf630.ResourceOrdering+"/resourceOrder", nil, &ros)
	require.NotEmpty(t, sos)
	require.NotEmpty(t, ros)
	firstItem := func(order map[string]any, field string) string {
		return order[field].([]any)[0].(map[string]any)["id"].(string)
	}
	dir := gone.Sys.API().Listeners()
	for kind, want := range map[[2]string]string{
		{"productOrderItem", po.ProductOrderItem[0].ID}:             po.ID,
		{"serviceOrderItem", firstItem(sos[0], "serviceOrderItem")}: sos[0]["id"].(string),
		{"resourceOrderItem", firstItem(ros[0], "orderItem")}:       ros[0]["id"].(string),
	} {
		order, ok, err := dir.Order(context.Background(), kind[0], kind[1])
		require.NoError(t, err)
		assert.True(t, ok, "%s %s", kind[0], kind[1])
		assert.Equal(t, want, order, "%s %s", kind[0], kind[1])
	}

	// An order retried with its key after it and its quote left memory is
	// answered with the order it placed.
	quoteBody, orderBody := apitest.Worked(t)
	var q2 tmf648.Quote
	require.Equal(t, http.StatusCreated, gone.Do(t, "POST", quotesPath, quoteBody, &q2, "Idempotency-Key", "q-retry").Code)
	var first, retried tmf622.ProductOrder
	require.Equal(t, http.StatusCreated, gone.Do(t, "POST", ordersPath, orderBody(q2.ID, "CPQ-77"), &first, "Idempotency-Key", "o-retry").Code)
	gone.Idle(t)
	orders, quotes = inMemory()
	require.Zero(t, orders+quotes, "the second order left memory with its quote")
	var stayed bool
	require.NoError(t, gone.Sys.Engine.Query(context.Background(), func() {
		_, stayed = gone.Sys.COM.OrderByExternalID(q2.RelatedParty[0].ID, "CPQ-77")
	}))
	assert.False(t, stayed, "its externalId left memory with it")
	shelf, ok := store.ShelfOf(gone.Sys.Journal)
	require.True(t, ok)
	byExternal, ok, err := shelf.Owner(com.ShelfKind, com.ExternalIDItem(q2.RelatedParty[0].ID, "CPQ-77"))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, first.ID, byExternal, "its doc on the shelf lists its externalId (the order quota's retries)")
	w := gone.Do(t, "POST", ordersPath, orderBody(q2.ID, "CPQ-77"), &retried, "Idempotency-Key", "o-retry")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, first.ID, retried.ID)

	// A quote accepted and never ordered leaves memory too; an order
	// placed for it later takes it back and is validated as if it had
	// stayed (this customer's third order passes its credit limit). Its
	// sites are others: those in service are not ordered again.
	others := apitest.WorkedQuote(t)
	for k := range others.Sites {
		others.Sites[k].Code += "-2"
	}
	var q3 tmf648.Quote
	require.Equal(t, http.StatusCreated, gone.Do(t, "POST", quotesPath, tmf648.NewQuoteBody(others, "AUD"), &q3).Code)
	gone.Idle(t)
	_, quotes = inMemory()
	require.Zero(t, quotes, "the accepted quote left memory, waiting for its order")
	var shelvedQ3 tmf648.Quote
	require.Equal(t, http.StatusOK, gone.Do(t, "GET", quotesPath+"/"+q3.ID, nil, &shelvedQ3).Code)
	assert.Equal(t, "accepted", shelvedQ3.State)
	var third tmf622.ProductOrder
	w = gone.Do(t, "POST", ordersPath, tmf622.NewOrderBody(q3.ID, others, "CPQ-78"), &third)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Empty(t, w.Header().Get("Idempotent-Replayed"))
	gone.Idle(t)
	require.Equal(t, http.StatusOK, gone.Do(t, "GET", ordersPath+"/"+third.ID, nil, &third).Code)
	assert.Equal(t, "rejected", third.State)
	require.NotEmpty(t, third.ProductOrderItem)
	assert.Equal(t, "credit check: order value 324000 exceeds the remaining limit 176000", third.ProductOrderItem[0].StateReason,
		"validated against the quote taken back from the shelf")

	// Changed twice, then disconnected: each time the order comes back
	// from the shelf and leaves again.
	melb, syd2 := po.ProductOrderItem[0].Product.ID, po.ProductOrderItem[2].Product.ID
	for _, speed := range []string{"1G-sym", "500M-sym"} {
		var mod tmf622.ProductOrder
		w := gone.Do(t, "POST", ordersPath, `{"productOrderItem":[{"id":"1","action":"modify","product":{"id":"`+melb+
			`","productCharacteristic":[{"name":"speed","value":"`+speed+`"}]}}]}`, &mod)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		gone.Idle(t)
		require.Equal(t, http.StatusOK, gone.Do(t, "GET", ordersPath+"/"+mod.ID, nil, &mod).Code)
		assert.Equal(t, "completed", mod.State, mod.ID)
		var product map[string]any
		gone.Do(t, "GET", tmf630.ProductInventory+"/product/"+melb, nil, &product)
		assert.Contains(t, product["productCharacteristic"], map[string]any{"name": "speed", "value": speed, "valueType": "string"})
		orders, _ := inMemory()
		assert.Zero(t, orders, "the order left memory again after %s", mod.ID)
	}
	// A change refused is refused as when the order is kept; the order,
	// taken back to see, leaves again.
	var keptSays, goneSays tmf630.Error
	bad := `{"productOrderItem":[{"id":"1","action":"modify","product":{"id":"` + melb +
		`","productCharacteristic":[{"name":"speed","value":"10G-sym"}]}}]}`
	require.Equal(t, http.StatusConflict, gone.Do(t, "POST", ordersPath, bad, &goneSays).Code)
	kept.Do(t, "POST", ordersPath, bad, &keptSays)
	assert.Equal(t, keptSays, goneSays)
	gone.Idle(t)
	orders, _ = inMemory()
	assert.Zero(t, orders, "the order left memory again")

	var del tmf622.ProductOrder
	w = gone.Do(t, "POST", ordersPath, `{"productOrderItem":[{"id":"1","action":"delete","product":{"id":"`+syd2+`"}}]}`, &del)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	gone.Idle(t)
	var product map[string]any
	gone.Do(t, "GET", tmf630.ProductInventory+"/product/"+syd2, nil, &product)
	assert.Equal(t, "terminated", product["status"])
	require.Equal(t, http.StatusOK, gone.Do(t, "GET", ordersPath+"/"+po.ID, nil, &po).Code)
	assert.Equal(t, "completed", po.State)

	var e tmf630.Error
	cancel := `{"productOrder":{"id":"` + po.ID + `"}}`
	w = gone.Do(t, "POST", tmf630.ProductOrdering+"/cancelProductOrder", cancel, &e)
	assert.Equal(t, http.StatusConflict, w.Code, w.Body.String())
	kept.Do(t, "POST", tmf630.ProductOrdering+"/cancelProductOrder", cancel, &keptSays)
	assert.Equal(t, keptSays, e, "a cancellation of a finished order is refused as when it is kept")

	// A restart replays the input log, the bodies the changes carried
	// included: every record as it was written.
	var products map[string]tmf.Product
	require.NoError(t, gone.Sys.Engine.Query(context.Background(), func() { products = productsOf(t, gone.Sys, mem) }))
	gone.Stop()
	stopped = true
	sc, err := scenarios.LoadLibrary("globaltech-5site.yaml")
	require.NoError(t, err)
	journal := store.Resume(store.NewMemory(), mem.Records())
	again, err := scenarios.New(sc.Spec, scenarios.Options{Journal: journal, Retention: time.Hour})
	require.NoError(t, err)
	require.NoError(t, again.Engine.Replay(context.Background(), mem.Inputs(), journal.Caught))
	assert.Equal(t, products, productsOf(t, again, journal.Journal.(*store.Memory)))
}

// productsOf are the product instances of sys, in memory or on the shelf.
func productsOf(t *testing.T, sys *scenarios.System, shelf store.Shelf) map[string]tmf.Product {
	out := map[string]tmf.Product{}
	docs, err := shelf.ShelvedAll(com.ProductShelfKind)
	require.NoError(t, err)
	for _, d := range docs {
		p, err := com.ShelvedProduct(d.Body)
		require.NoError(t, err)
		out[p.ID] = *p
	}
	for _, p := range sys.COM.Products.All() {
		out[p.ID] = *p
	}
	require.NotEmpty(t, out)
	return out
}

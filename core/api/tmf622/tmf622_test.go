package tmf622_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	quotesPath = tmf630.QuoteManagement + "/quote"
	ordersPath = tmf630.ProductOrdering + "/productOrder"
	cancelPath = tmf630.ProductOrdering + "/cancelProductOrder"
)

// The worked example placed over HTTP: a quote with its five sites goes
// through feasibility and the three approvals, the order that names its
// quote items completes, with each item's product in the inventory
// (seed: T+0 quote, approvals, PO-… completed at T+35 days).
func TestWorkedExampleOverHTTP(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	quoteBody, orderBody := apitest.Worked(t)

	var q tmf648.Quote
	w := l.Do(t, "POST", quotesPath, quoteBody, &q)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, quotesPath+"/"+q.ID, w.Header().Get("Location"))
	l.Idle(t)
	l.Do(t, "GET", quotesPath+"/"+q.ID, nil, &q)
	assert.Equal(t, "accepted", q.State)
	require.Len(t, q.Authorization, 3)
	for _, a := range q.Authorization {
		assert.Equal(t, "approved", a.State, a.Name)
	}
	require.Len(t, q.QuoteItem, 5)
	assert.Equal(t, "MELB", q.QuoteItem[0].ID)
	require.Len(t, q.QuoteItem[0].Qualification, 1)
	assert.Equal(t, 324000.0, q.QuoteTotalPrice[1].Price.DutyFreeAmount.Value, "TCV: 5 sites × 1,800 × 36 months")

	var po tmf622.ProductOrder
	w = l.Do(t, "POST", ordersPath, orderBody(q.ID, "CPQ-7781"), &po)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, ordersPath+"/"+po.ID, w.Header().Get("Location"))
	assert.Contains(t, []string{"acknowledged", "inProgress", "completed"}, po.State, "on the virtual clock the order may have moved on, even to its end")
	assert.NotEmpty(t, po.OrderDate)
	l.Idle(t)
	l.Do(t, "GET", ordersPath+"/"+po.ID, nil, &po)
	assert.Equal(t, "completed", po.State)
	require.Len(t, po.ProductOrderItem, 5)
	for _, it := range po.ProductOrderItem {
		assert.Equal(t, "completed", it.State, it.ID)
		require.NotNil(t, it.Product, it.ID)
		assert.NotEmpty(t, it.Product.ID, "the item's product instance")
		assert.Equal(t, "AUD", it.ItemPrice[0].Price.DutyFreeAmount.Unit)
	}
	assert.Equal(t, "MELB", po.ProductOrderItem[0].Product.Place[0].ID, "the place came from the quote")
	assert.True(t, strings.HasSuffix(po.CompletionDate, "Z"), po.CompletionDate)
	assert.True(t, strings.HasPrefix(po.OrderDate, "2024-06-03T0") && strings.HasSuffix(po.OrderDate, "Z"),
		"T+0 is 2024-06-03 09:00 +10:00; dates are in UTC: %s", po.OrderDate)

	// The same externalId again is the same order, and changes nothing.
	var again tmf622.ProductOrder
	w = l.Do(t, "POST", ordersPath, orderBody(q.ID, "CPQ-7781"), &again)
	assert.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, po.ID, again.ID)
	// Whatever its Idempotency-Key: `submit` sends one, the README's curl
	// none, and both name the same externalId.
	for _, key := range []string{"submit-1", "curl-2"} {
		again = tmf622.ProductOrder{}
		w = l.Do(t, "POST", ordersPath, orderBody(q.ID, "CPQ-7781"), &again, "Idempotency-Key", key)
		assert.Equal(t, http.StatusCreated, w.Code)
		assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"), key)
		assert.Equal(t, po.ID, again.ID, key)
	}
	var list []tmf622.ProductOrder
	w = l.Do(t, "GET", ordersPath+"?state=completed&fields=state", nil, &list)
	assert.Equal(t, "1", w.Header().Get("X-Total-Count"))
	require.Len(t, list, 1)
	assert.Empty(t, list[0].OrderDate, "fields keeps only the state, id, href and @type")

	// A completed order is past changing.
	var e tmf630.Error
	w = l.Do(t, "PATCH", ordersPath+"/"+po.ID, `{"description":"late"}`, &e)
	assert.Equal(t, http.StatusConflict, w.Code)
	assert.Contains(t, e.Message, "completed")
	w = l.Do(t, "POST", cancelPath, `{"productOrder":{"id":"`+po.ID+`"}}`, &e)
	assert.Equal(t, http.StatusConflict, w.Code)
	assert.Contains(t, e.Message, "can no longer be cancelled")
}

// quoted serves the live default on clock (nil: its own) and posts the
// worked example's quote: the server (to be stopped), the quote, and the
// worked example's order body for a quote.
func quoted(t *testing.T, clock engine.Clock) (*apitest.Live, tmf648.Quote, func(quoteID, externalID string) tmf622.OrderBody) {
	t.Helper()
	l := apitest.ServeLive(t, clock)
	quoteBody, orderBody := apitest.Worked(t)
	var q tmf648.Quote
	w := l.Do(t, "POST", quotesPath, quoteBody, &q)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	return l, q, orderBody
}

// The server numbers an order's items: the ids a request gives them are
// checked and not kept, and the answer lists the items in the request's
// order, each with the quote item (the site) it named (docs/api.md).
func TestOrderItemsAreNumberedByTheServer(t *testing.T) {
	l, q, orderBody := quoted(t, nil)
	defer l.Stop()
	l.Idle(t) // accepted

	body := orderBody(q.ID, "CPQ-ITEMS")
	slices.Reverse(body.ProductOrderItem)
	var sites []string
	for i := range body.ProductOrderItem {
		body.ProductOrderItem[i].ID = "client-" + strconv.Itoa(10-i)
		sites = append(sites, body.ProductOrderItem[i].QuoteItem.ID)
	}
	var po tmf622.ProductOrder
	w := l.Do(t, "POST", ordersPath, body, &po)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	require.Len(t, po.ProductOrderItem, len(sites))
	for i, it := range po.ProductOrderItem {
		assert.Equal(t, fmt.Sprintf("POI-%03d", i+1), it.ID)
		require.NotNil(t, it.QuoteItem, it.ID)
		assert.Equal(t, sites[i], it.QuoteItem.ID, it.ID)
	}
	assert.Equal(t, "BNE2", sites[0], "the worked example's last site first")
}

// An Idempotency-Key makes a repeated quote the same quote.
func TestQuoteIdempotencyKey(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	body, _ := apitest.Worked(t)
	var a, b tmf648.Quote
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, body, &a, "Idempotency-Key", "k1").Code)
	w := l.Do(t, "POST", quotesPath, body, &b, "Idempotency-Key", "k1")
	assert.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, a.ID, b.ID)
	var list []tmf648.Quote
	l.Do(t, "GET", quotesPath, nil, &list)
	assert.Len(t, list, 1)
}

// An Idempotency-Key is for one order: the same body again answers the
// order it placed, another body is a 409 that names the key and the order,
// and places nothing. Its externalId alone names the order whatever comes
// with it.
func TestOrderIdempotencyKeyOfAnotherRequest(t *testing.T) {
	l, q, order := quoted(t, nil)
	defer l.Stop()
	var first, again tmf622.ProductOrder
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", ordersPath, order(q.ID, "CRM-1"), &first, "Idempotency-Key", "o1").Code)
	w := l.Do(t, "POST", ordersPath, order(q.ID, "CRM-1"), &again, "Idempotency-Key", "o1")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, first.ID, again.ID)

	other := order(q.ID, "CRM-2")
	var e tmf630.Error
	w = l.Do(t, "POST", ordersPath, other, &e, "Idempotency-Key", "o1")
	assert.Equal(t, http.StatusConflict, w.Code, w.Body.String())
	assert.Contains(t, e.Message, "the request's key (Idempotency-Key o1) placed order "+first.ID+", whose content is not this request's")
	w = l.Do(t, "POST", ordersPath, order(q.ID, "CRM-1"), &again, "Idempotency-Key", "o2")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, first.ID, again.ID, "the externalId names the first order, under any key")
	var list []tmf622.ProductOrder
	l.Do(t, "GET", ordersPath, nil, &list)
	assert.Len(t, list, 1)
}

// An order with nothing to carry out (no quote, as TMF622's conformance
// kit sends) is acknowledged, then rejected by COM's validation, saying
// why: TMF622's rejected state, not a refusal at the door.
func TestOrderWithoutQuoteIsRejected(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	var po tmf622.ProductOrder
	w := l.Do(t, "POST", ordersPath, `{"productOrderItem":[{"id":"123","action":"add"}],"relatedParty":[{"id":"456-dd-df45","@referredType":"Individual"}]}`, &po)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	l.Idle(t)
	l.Do(t, "GET", ordersPath+"/"+po.ID, nil, &po)
	assert.Equal(t, "rejected", po.State)
	assert.Equal(t, "the order names no quote", po.ProductOrderItem[0].StateReason)
	assert.Equal(t, "Individual", po.RelatedParty[0].ReferredType)
}

// Bad input gets a 4xx and a TMF Error that names what is wrong, and
// changes nothing (docs/architecture.md §8).
func TestProductOrderBadInput(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	quoteBody, orderBody := apitest.Worked(t)
	var q tmf648.Quote
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, quoteBody, &q).Code)
	l.Idle(t)
	good, err := json.Marshal(orderBody(q.ID, ""))
	require.NoError(t, err)
	with := func(from, to string) string {
		require.Contains(t, string(good), from)
		return strings.Replace(string(good), from, to, 1)
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		says                     string
	}{
		{"malformed JSON", "POST", ordersPath, `{"productOrderItem": [`, 400, "malformed JSON"},
		{"not an object", "POST", ordersPath, `[1, 2]`, 400, "the body: want an object"},
		{"wrong type", "POST", ordersPath, `{"productOrderItem": "MELB"}`, 400, "productOrderItem: want an array"},
		{"no items", "POST", ordersPath, `{"productOrderItem": []}`, 400, "productOrderItem: required"},
		{"item without action", "POST", ordersPath, `{"productOrderItem": [{"id": "1"}]}`, 400, "productOrderItem[0].action: required"},
		{"item without id", "POST", ordersPath, `{"productOrderItem": [{"action": "add"}]}`, 400, "productOrderItem[0].id: required"},
		{"unknown action", "POST", ordersPath, `{"productOrderItem": [{"id": "1", "action": "grow"}]}`, 400, `"grow" is not an order item action`},
		{"server-managed id", "POST", ordersPath, with(`"quote"`, `"id":"PO-9","quote"`), 400, "id: set by the server"},
		{"server-managed state", "POST", ordersPath, with(`"quote"`, `"state":"completed","quote"`), 400, "state: set by the server"},
		{"unknown offering", "POST", ordersPath, with(`"PO-EFCG-01"`, `"PO-NOPE"`), 400, `productOrderItem[0].productOffering.id: unknown product offering "PO-NOPE"`},
		{"unknown quote", "POST", ordersPath, strings.ReplaceAll(string(good), `"`+q.ID+`"`, `"QT-999"`), 400, `quote[0].id: no quote "QT-999"`},
		{"unknown quote item", "POST", ordersPath, with(`"MELB"`, `"PERTH"`), 400, `productOrderItem[0].quoteItem.id: "PERTH" is not an item of quote`},
		{"a quote item twice", "POST", ordersPath, with(`"SYD1"`, `"MELB"`), 400, `productOrderItem[1].quoteItem.id: "MELB" is ordered by productOrderItem[0] already`},
		{"another billing account", "POST", ordersPath, with(`"ACC-ENT-3384"`, `"ACC-OTHER-1"`), 400, `billingAccount.id: "ACC-OTHER-1" is not the account of quote`},
		{"oversized", "POST", ordersPath, `{"description":"` + strings.Repeat("x", tmf630.MaxBody) + `"}`, 413, "larger than"},
		{"not JSON", "POST", ordersPath, `<order/>`, 400, "malformed JSON"},
		{"null", "POST", ordersPath, ` null `, 400, "malformed JSON: want an object, not null"},
		{"unknown query parameter", "GET", ordersPath + "?colour=red", ``, 400, "colour"},
		{"unknown order", "GET", ordersPath + "/PO-404", ``, 404, `productOrder "PO-404": not found`},
		{"patch of a server field", "PATCH", ordersPath + "/PO-404", `{"state":"completed"}`, 400, "state: cannot be patched"},
		{"delete", "DELETE", ordersPath + "/PO-1", ``, 405, "cancelProductOrder"},
		{"cancel without order", "POST", cancelPath, `{"cancellationReason":"x"}`, 400, "productOrder.id: required"},
		{"cancel of an unknown order", "POST", cancelPath, `{"productOrder":{"id":"PO-404"}}`, 404, "not found"},
		{"quote for an unknown address", "POST", quotesPath, strings.Replace(apitest.MustMarshal(t, quoteBody), "Level 12, 120 Collins Street", "1 Nowhere Lane", 1), 400,
			`quoteItem[0].product.place[0].address: "1 Nowhere Lane, Melbourne VIC 3000" is not an address the network knows`},
		{"quote for an unknown tier", "POST", quotesPath, strings.ReplaceAll(apitest.MustMarshal(t, quoteBody), `"Gold"`, `"Diamond"`), 400, `SLA tier "Diamond"`},
		{"quote with authorizations", "POST", quotesPath, strings.Replace(apitest.MustMarshal(t, quoteBody), `"category"`, `"authorization":[],"category"`, 1), 400, "authorization: set by the approval workflow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e tmf630.Error
			w := l.Do(t, tc.method, tc.path, tc.body, &e)
			assert.Equal(t, tc.status, w.Code, w.Body.String())
			assert.Contains(t, e.Message, tc.says)
			assert.Equal(t, "Error", e.Type)
		})
	}
	var list []tmf622.ProductOrder
	l.Do(t, "GET", ordersPath, nil, &list)
	assert.Empty(t, list, "no bad request placed an order")
	var qs []tmf648.Quote
	l.Do(t, "GET", quotesPath, nil, &qs)
	assert.Len(t, qs, 1, "no bad request made a quote")
}

// A rollout cancelled over TMF622 while in flight: the cancellation task
// is done once the order is cancelled (seed:
// assessingCancellation → pendingCancellation → cancelled); a PATCH of
// its description in flight is taken.
func TestCancelProductOrderInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, q, orderBody := quoted(t, &engine.Wall{Start: time.Now(), Scale: 3600}) // a virtual hour a second
		defer l.Stop()
		time.Sleep(10 * time.Second)
		var po tmf622.ProductOrder
		require.Equal(t, http.StatusCreated, l.Do(t, "POST", ordersPath, orderBody(q.ID, ""), &po).Code)
		time.Sleep(30 * time.Second)
		w := l.Do(t, "PATCH", ordersPath+"/"+po.ID, `{"description":"GlobalTech rollout, phase 1"}`, &po)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, "GlobalTech rollout, phase 1", po.Description)
		assert.Equal(t, "inProgress", po.State)
		var cleared map[string]any
		w = l.Do(t, "PATCH", ordersPath+"/"+po.ID, `{"description":null}`, &cleared)
		require.Equal(t, http.StatusOK, w.Code, "a merge patch's null removes the member: %s", w.Body.String())
		assert.NotContains(t, cleared, "description")

		var c, again tmf622.CancelProductOrder
		cancelBody := `{"productOrder":{"id":"` + po.ID + `"},"cancellationReason":"budget withdrawn"}`
		w = l.Do(t, "POST", cancelPath, cancelBody, &c, "Idempotency-Key", "cancel-1")
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		assert.Equal(t, cancelPath+"/"+c.ID, w.Header().Get("Location"))
		w = l.Do(t, "POST", cancelPath, cancelBody, &again, "Idempotency-Key", "cancel-1")
		assert.Equal(t, http.StatusCreated, w.Code, "a retried cancellation is the same task")
		assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
		assert.Equal(t, c.ID, again.ID)
		assert.Contains(t, []string{"inProgress", "done"}, c.State, "nothing is active yet: the cancellation may end at once")
		time.Sleep(24 * time.Hour / 3600)
		synctest.Wait()
		l.Do(t, "GET", cancelPath+"/"+c.ID, nil, &c)
		assert.Equal(t, "done", c.State)
		assert.NotEmpty(t, c.EffectiveCancellationDate)
		l.Do(t, "GET", ordersPath+"/"+po.ID, nil, &po)
		assert.Equal(t, "cancelled", po.State)
		assert.Equal(t, "budget withdrawn", po.ProductOrderItem[0].StateReason)
	})
}

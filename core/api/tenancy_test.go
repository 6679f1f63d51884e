package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every command taken records who gave it: the input log keeps, with the
// command, the authenticated actor and its roles, the request's id, the
// address it came from and when it was taken (docs/audit.md).
func TestCommandsRecordTheirActor(t *testing.T) {
	mem := store.NewMemory()
	g := serveGuardedWith(t, scenarios.Options{Journal: mem, Log: mem})
	before := len(mem.Inputs())
	sales := caller{name: "sam", role: auth.Sales, tenant: ownParty}
	quote, _ := apitest.Worked(t)
	body, err := json.Marshal(quote)
	require.NoError(t, err)
	req := httptest.NewRequest("POST", quotesPath, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+g.token(t, sales))
	req.Header.Set(api.RequestIDHeader, "req-7781")
	req.RemoteAddr = "192.0.2.10:51515"
	taken := time.Now()
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	g.h.ServeHTTP(w, req)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	logged := mem.Inputs()[before:]
	require.NotEmpty(t, logged, "the quote was taken")
	o := logged[len(logged)-1].Origin
	assert.Equal(t, "sam", o.Actor)
	assert.Equal(t, []string{string(auth.Sales)}, o.Roles)
	assert.Equal(t, "req-7781", o.Request)
	assert.Equal(t, "192.0.2.10:51515", o.Source)
	assert.WithinDuration(t, taken, o.Taken, time.Minute)
}

// A party has at most OrderQuota product orders in flight: one more is a
// 429 with Retry-After that places nothing; a retry of one it has (its
// externalId) is answered as before; callers bound to no party (operations,
// admin) are not held by it.
func TestOrdersInFlightPerParty(t *testing.T) {
	// The quotes wait for their approvals: their orders stay in flight,
	// the worked example's own PO-001 among them.
	g := serveGuardedWith(t, scenarios.Options{ManualReview: true})
	g.srv.OrderQuota = 2
	g.h = g.srv.Handler()
	sales := caller{name: "sam", role: auth.Sales, tenant: ownParty}
	quoteBody, orderBody := apitest.Worked(t)
	b, err := json.Marshal(quoteBody)
	require.NoError(t, err)
	w := g.do(t, sales, "POST", quotesPath, string(b))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var q tmf648.Quote
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &q))
	order := func(c caller, external string) *httptest.ResponseRecorder {
		b, err := json.Marshal(orderBody(q.ID, external))
		require.NoError(t, err)
		return g.do(t, c, "POST", ordersPath, string(b))
	}
	require.Equal(t, http.StatusCreated, order(sales, "CPQ-1").Code)
	w = order(sales, "CPQ-2")
	assert.Equal(t, http.StatusTooManyRequests, w.Code, w.Body.String())
	assert.Equal(t, "60", w.Header().Get("Retry-After"))
	assert.Contains(t, w.Body.String(), "party "+ownParty+" has 2 product orders in flight, the most allowed")
	w = order(sales, "CPQ-1")
	assert.Equal(t, http.StatusCreated, w.Code, "a retry of the order in flight")
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, http.StatusCreated, order(caller{name: "olga", role: auth.Admin}, "CPQ-3").Code, "admin is bound to no party")
}

// An Idempotency-Key is the caller's party's own: another party's request
// with the same key creates its own entity, and never learns of the first.
func TestIdempotencyKeysPerParty(t *testing.T) {
	g := serveGuardedWith(t, scenarios.Options{ManualReview: true})
	quote, _ := apitest.Worked(t)
	post := func(c caller, party string) *httptest.ResponseRecorder {
		quote.RelatedParty[0].ID = party
		b, err := json.Marshal(quote)
		require.NoError(t, err)
		req := httptest.NewRequest("POST", quotesPath, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+g.token(t, c))
		req.Header.Set("Idempotency-Key", "crm-42")
		w := httptest.NewRecorder()
		g.h.ServeHTTP(w, req)
		return w
	}
	own := caller{name: "sam", role: auth.Sales, tenant: ownParty}
	other := caller{name: "oz", role: auth.Sales, tenant: otherParty}
	first := post(own, ownParty)
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	theirs := post(other, otherParty)
	require.Equal(t, http.StatusCreated, theirs.Code, theirs.Body.String())
	assert.Empty(t, theirs.Header().Get("Idempotent-Replayed"), "another party's key is another key")
	assert.NotEqual(t, first.Header().Get("Location"), theirs.Header().Get("Location"))
	again := post(own, ownParty)
	assert.Equal(t, "true", again.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, first.Header().Get("Location"), again.Header().Get("Location"))

	// An externalId is its customer's own reference: another party's
	// order with the same one is its own order.
	var mine, their tmf648.Quote
	require.NoError(t, json.Unmarshal(first.Body.Bytes(), &mine))
	require.NoError(t, json.Unmarshal(theirs.Body.Bytes(), &their))
	_, orderBody := apitest.Worked(t)
	order := func(c caller, q tmf648.Quote) *httptest.ResponseRecorder {
		body := orderBody(q.ID, "CPQ-7781")
		body.RelatedParty[0].ID = c.tenant
		b, err := json.Marshal(body)
		require.NoError(t, err)
		return g.do(t, c, "POST", ordersPath, string(b))
	}
	po := order(own, mine)
	require.Equal(t, http.StatusCreated, po.Code, po.Body.String())
	otherPO := order(other, their)
	require.Equal(t, http.StatusCreated, otherPO.Code, otherPO.Body.String())
	assert.Empty(t, otherPO.Header().Get("Idempotent-Replayed"), "another customer's externalId")
	assert.NotEqual(t, po.Header().Get("Location"), otherPO.Header().Get("Location"))
	assert.Equal(t, "true", order(own, mine).Header().Get("Idempotent-Replayed"), "the same customer's is the same order")
}

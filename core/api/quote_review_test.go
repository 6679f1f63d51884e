package api_test

import (
	"net/http"
	"testing"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The three-stage approval decided by people over the quote API (seed:
// technical, commercial, customer sign-off): each stage waits for its
// decision, a decision on another stage is refused, and the order placed
// meanwhile waits for the quote's acceptance, then runs.
func TestApprovalOverTheQuoteAPI(t *testing.T) {
	l := serveLiveWith(t, scenarios.Options{ManualReview: true})
	defer l.stop()
	quoteBody, orderBody := worked(t)
	var q api.Quote
	require.Equal(t, http.StatusCreated, l.do(t, "POST", quotesPath, quoteBody, &q).Code)
	l.idle(t)
	l.do(t, "GET", quotesPath+"/"+q.ID, nil, &q)
	assert.Equal(t, "pending", q.State, "submitted for approval, waiting for its technical review")
	var po api.ProductOrder
	require.Equal(t, http.StatusCreated, l.do(t, "POST", ordersPath, orderBody(q.ID, "CPQ-1"), &po).Code)

	var e api.Error
	w := l.do(t, "PATCH", quotesPath+"/"+q.ID, `{"authorization":[{"name":"commercial","state":"approved"}]}`, &e)
	assert.Equal(t, http.StatusConflict, w.Code)
	assert.Contains(t, e.Message, "awaits its technical review, not a commercial review")
	for _, bad := range []struct{ body, says string }{
		{`{"state":"accepted"}`, "state: cannot be patched"},
		{`{"authorization":[{"name":"legal","state":"approved"}]}`, `"legal" is not an approval stage`},
		{`{"authorization":[{"name":"technical","state":"maybe"}]}`, `want approved or rejected, not "maybe"`},
		{`{"authorization":[{"name":"technical","state":"rejected"}]}`, "a rejection says why"},
	} {
		w := l.do(t, "PATCH", quotesPath+"/"+q.ID, bad.body, &e)
		assert.Equal(t, http.StatusBadRequest, w.Code, bad.body)
		assert.Contains(t, e.Message, bad.says)
	}

	for _, stage := range []string{"technical", "commercial", "customer"} {
		w := l.do(t, "PATCH", quotesPath+"/"+q.ID, `{"authorization":[{"name":"`+stage+`","state":"approved","approver":[{"name":"R. Chen"}]}]}`, &q)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		l.idle(t)
	}
	l.do(t, "GET", quotesPath+"/"+q.ID, nil, &q)
	assert.Equal(t, "accepted", q.State)
	for _, a := range q.Authorization {
		assert.Equal(t, "approved", a.State, a.Name)
		assert.Contains(t, a.Description, "R. Chen")
	}
	l.do(t, "GET", ordersPath+"/"+po.ID, nil, &po)
	assert.Equal(t, "completed", po.State, "the order went on once the quote was accepted")
}

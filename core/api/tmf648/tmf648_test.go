package tmf648_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	quotesPath = tmf630.QuoteManagement + "/quote"
	ordersPath = tmf630.ProductOrdering + "/productOrder"
)

// The three-stage approval decided by people over the quote API (seed:
// technical, commercial, customer sign-off): each stage waits for its
// decision, a decision on another stage is refused, and the order placed
// meanwhile waits for the quote's acceptance, then runs. Each decision
// is signed by the approver's key over the quote's content digest; the
// quote shows it with the signer.
func TestApprovalOverTheQuoteAPI(t *testing.T) {
	l := apitest.ServeLiveWith(t, scenarios.Options{ManualReview: true})
	defer l.Stop()
	quoteBody, orderBody := apitest.Worked(t)
	var q tmf648.Quote
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, quoteBody, &q).Code)
	l.Idle(t)
	l.Do(t, "GET", quotesPath+"/"+q.ID, nil, &q)
	assert.Equal(t, "pending", q.State, "submitted for approval, waiting for its technical review")
	var po tmf622.ProductOrder
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", ordersPath, orderBody(q.ID, "CPQ-1"), &po).Code)

	var e tmf630.Error
	w := l.Do(t, "PATCH", quotesPath+"/"+q.ID, `{"authorization":[{"name":"commercial","state":"approved"}]}`, &e)
	assert.Equal(t, http.StatusConflict, w.Code)
	assert.Contains(t, e.Message, "awaits its technical review, not a commercial review")
	for _, bad := range []struct{ body, says string }{
		{`{"state":"accepted"}`, "state: cannot be patched"},
		{`{"authorization":[{"name":"legal","state":"approved"}]}`, `"legal" is not an approval stage`},
		{`{"authorization":[{"name":"technical","state":"maybe"}]}`, `want approved or rejected, not "maybe"`},
		{`{"authorization":[{"name":"technical","state":"rejected"}]}`, "a rejection says why"},
	} {
		w := l.Do(t, "PATCH", quotesPath+"/"+q.ID, bad.body, &e)
		assert.Equal(t, http.StatusBadRequest, w.Code, bad.body)
		assert.Contains(t, e.Message, bad.says)
	}

	for _, stage := range []string{"technical", "commercial", "customer"} {
		w := l.Do(t, "PATCH", quotesPath+"/"+q.ID, apitest.Decision(t, q, stage, "", apitest.ApproverKey), &q)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		l.Idle(t)
	}
	l.Do(t, "GET", quotesPath+"/"+q.ID, nil, &q)
	assert.Equal(t, "accepted", q.State)
	pk, err := approval.PublicKey(apitest.ApproverKey)
	require.NoError(t, err)
	for _, a := range q.Authorization {
		assert.Equal(t, "approved", a.State, a.Name)
		assert.Contains(t, a.Description, "R. Chen")
		assert.Equal(t, []tmf630.Ref{{ID: "R. Chen", Name: "R. Chen", Role: "approver"}, {ID: pk, Name: "public key", ReferredType: "PublicKey"}},
			a.Approver, "who decided, and the key that signed")
		d, signer, err := approval.Open(a.SignatureRepresentation)
		require.NoError(t, err)
		assert.Equal(t, pk, signer)
		assert.Equal(t, q.ContentDigest, d.Digest)
		assert.Equal(t, a.Name, d.Stage)
	}
	l.Do(t, "GET", ordersPath+"/"+po.ID, nil, &po)
	assert.Equal(t, "completed", po.State, "the order went on once the quote was accepted")
}

// A decision is taken only signed, by one of the stage's approvers, over
// the content of the quote as it is: unsigned, forged or signed for
// another decision is a 400, signed for other content a 409, by a key
// that is not the stage's approver a 403; none of them decides the stage.
func TestApprovalSignatureRefused(t *testing.T) {
	pk, err := approval.PublicKey(apitest.ApproverKey)
	require.NoError(t, err)
	l := apitest.ServeLiveWith(t, scenarios.Options{ManualReview: true, Approvers: map[string][]string{"technical": {pk}}})
	defer l.Stop()
	quoteBody, _ := apitest.Worked(t)
	var q tmf648.Quote
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, quoteBody, &q).Code)
	l.Idle(t)
	l.Do(t, "GET", quotesPath+"/"+q.ID, nil, &q)
	good := apitest.Decision(t, q, "technical", "", apitest.ApproverKey)
	forged := strings.Replace(good, `\"approved\"]`, `\"rejected\"]`, 1)
	require.NotEqual(t, good, forged)
	for _, tc := range []struct {
		name, body string
		code       int
		says       string
	}{
		{"unsigned", `{"authorization":[{"name":"technical","state":"approved"}]}`, 400, "the technical decision is not signed"},
		{"forged", forged, 400, "its id is not the hash of its content"},
		{"other content", apitest.Decision(t, q, "technical", strings.Repeat("0", 64), apitest.ApproverKey), 409, "signed over digest 0000"},
		{"other stage signed", strings.Replace(apitest.Decision(t, q, "commercial", "", apitest.ApproverKey), `"name":"commercial"`, `"name":"technical"`, 1), 400, "is not the review's"},
		{"not an approver", apitest.Decision(t, q, "technical", "", strings.Repeat("22", 32)), 403, "not an approver of the stage technical"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e tmf630.Error
			w := l.Do(t, "PATCH", quotesPath+"/"+q.ID, tc.body, &e)
			assert.Equal(t, tc.code, w.Code, w.Body.String())
			assert.Contains(t, e.Message, tc.says)
		})
	}
	l.Do(t, "GET", quotesPath+"/"+q.ID, nil, &q)
	assert.Equal(t, "pending", q.Authorization[0].State, "no refused decision decided the stage")
	require.Equal(t, http.StatusOK, l.Do(t, "PATCH", quotesPath+"/"+q.ID, good, &q).Code)
	assert.Equal(t, "approved", q.Authorization[0].State)
}

// A store first served before decisions were signed goes on taking
// unsigned decisions (Unsigned), and journals no signature.
func TestApprovalUnsigned(t *testing.T) {
	l := apitest.ServeLiveWith(t, scenarios.Options{ManualReview: true, Unsigned: true})
	defer l.Stop()
	quoteBody, _ := apitest.Worked(t)
	var q tmf648.Quote
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, quoteBody, &q).Code)
	l.Idle(t)
	w := l.Do(t, "PATCH", quotesPath+"/"+q.ID, `{"authorization":[{"name":"technical","state":"approved"}]}`, &q)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "approved", q.Authorization[0].State)
	assert.Empty(t, q.Authorization[0].SignatureRepresentation)
	assert.Empty(t, q.ContentDigest)
}

// A quote the catalog does not offer is a 400 that names what is wrong,
// checked when the engine takes the create command: nothing is logged or
// placed. The quote it then takes is answered as its step left it.
func TestQuoteCheckedAndReadInItsCommand(t *testing.T) {
	taken := store.NewMemory()
	l := apitest.ServeLiveWith(t, scenarios.Options{Log: taken})
	defer l.Stop()
	q := apitest.WorkedQuote(t)
	bad := q
	bad.Speed = "9G-sym"
	var e tmf630.Error
	w := l.Do(t, "POST", quotesPath, tmf648.NewQuoteBody(bad, "AUD"), &e)
	assert.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
	assert.Contains(t, e.Message, `speed "9G-sym" is not offered with`)
	assert.Empty(t, taken.Inputs(), "the command was not logged")
	var quotes []tmf648.Quote
	l.Do(t, "GET", quotesPath, nil, &quotes)
	assert.Empty(t, quotes)

	var placed tmf648.Quote
	w = l.Do(t, "POST", quotesPath, tmf648.NewQuoteBody(q, "AUD"), &placed)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Len(t, taken.Inputs(), 1)
	assert.Equal(t, placed.Href, w.Header().Get("Location"))
	var read tmf648.Quote
	l.Do(t, "GET", quotesPath+"/"+placed.ID, nil, &read)
	assert.Equal(t, placed.ID, read.ID)
	assert.Equal(t, len(q.Sites), len(placed.QuoteItem), "the whole quote, read in its step")
}

// An Idempotency-Key is for one request: sent again with the same body it
// answers the quote it placed (Idempotent-Replayed), with another body it
// is refused, naming the key and the quote, and places nothing (it
// answered the first quote as if it were the second's).
func TestIdempotencyKeyOfAnotherRequest(t *testing.T) {
	l := apitest.ServeLiveWith(t, scenarios.Options{})
	defer l.Stop()
	q := apitest.WorkedQuote(t)
	var first, again tmf648.Quote
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, tmf648.NewQuoteBody(q, "AUD"), &first, "Idempotency-Key", "k1").Code)
	w := l.Do(t, "POST", quotesPath, tmf648.NewQuoteBody(q, "AUD"), &again, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, first.ID, again.ID)

	other := q
	other.Speed = "1G-sym"
	var e tmf630.Error
	w = l.Do(t, "POST", quotesPath, tmf648.NewQuoteBody(other, "AUD"), &e, "Idempotency-Key", "k1")
	assert.Equal(t, http.StatusConflict, w.Code, w.Body.String())
	assert.Contains(t, e.Message, `the request's key (Idempotency-Key k1) placed quote `+first.ID+`, whose content is not this request's`)
	var quotes []tmf648.Quote
	l.Do(t, "GET", quotesPath, nil, &quotes)
	assert.Len(t, quotes, 1)
}

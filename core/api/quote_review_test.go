package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	var q api.Quote
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, quoteBody, &q).Code)
	l.Idle(t)
	l.Do(t, "GET", quotesPath+"/"+q.ID, nil, &q)
	assert.Equal(t, "pending", q.State, "submitted for approval, waiting for its technical review")
	var po api.ProductOrder
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
		w := l.Do(t, "PATCH", quotesPath+"/"+q.ID, decisionBody(t, q, stage, "", approverKey), &q)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		l.Idle(t)
	}
	l.Do(t, "GET", quotesPath+"/"+q.ID, nil, &q)
	assert.Equal(t, "accepted", q.State)
	pk, err := approval.PublicKey(approverKey)
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

const approverKey = "7f7ff03d123792d6ac594bfa67bf6d0c0ab55b6b1fdb6249303fe861f1ccba9a"

// decisionBody is the PATCH of an approval of stage signed with key over
// the digest the client computes from q as it got it (or over digest,
// when given).
func decisionBody(t *testing.T, q api.Quote, stage, digest, key string) string {
	t.Helper()
	if digest == "" {
		var err error
		digest, err = api.QuoteDigest(q)
		require.NoError(t, err)
		require.Equal(t, q.ContentDigest, digest, "the client's digest of the quote it saw is the server's")
	}
	signed, err := approval.Sign(key, approval.Decision{Quote: q.ID, Stage: stage, Approved: true, Digest: digest,
		Reason: "", At: time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	b, err := json.Marshal(map[string]any{"authorization": []map[string]any{{"name": stage, "state": "approved",
		"approver": []map[string]string{{"name": "R. Chen"}}, "signatureRepresentation": signed}}})
	require.NoError(t, err)
	return string(b)
}

// A decision is taken only signed, by one of the stage's approvers, over
// the content of the quote as it is: unsigned, forged or signed for
// another decision is a 400, signed for other content a 409, by a key
// that is not the stage's approver a 403; none of them decides the stage.
func TestApprovalSignatureRefused(t *testing.T) {
	pk, err := approval.PublicKey(approverKey)
	require.NoError(t, err)
	l := apitest.ServeLiveWith(t, scenarios.Options{ManualReview: true, Approvers: map[string][]string{"technical": {pk}}})
	defer l.Stop()
	quoteBody, _ := apitest.Worked(t)
	var q api.Quote
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, quoteBody, &q).Code)
	l.Idle(t)
	l.Do(t, "GET", quotesPath+"/"+q.ID, nil, &q)
	good := decisionBody(t, q, "technical", "", approverKey)
	forged := strings.Replace(good, `\"approved\"]`, `\"rejected\"]`, 1)
	require.NotEqual(t, good, forged)
	for _, tc := range []struct {
		name, body string
		code       int
		says       string
	}{
		{"unsigned", `{"authorization":[{"name":"technical","state":"approved"}]}`, 400, "the technical decision is not signed"},
		{"forged", forged, 400, "its id is not the hash of its content"},
		{"other content", decisionBody(t, q, "technical", strings.Repeat("0", 64), approverKey), 409, "signed over digest 0000"},
		{"other stage signed", strings.Replace(decisionBody(t, q, "commercial", "", approverKey), `"name":"commercial"`, `"name":"technical"`, 1), 400, "is not the review's"},
		{"not an approver", decisionBody(t, q, "technical", "", strings.Repeat("22", 32)), 403, "not an approver of the stage technical"},
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
	var q api.Quote
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, quoteBody, &q).Code)
	l.Idle(t)
	w := l.Do(t, "PATCH", quotesPath+"/"+q.ID, `{"authorization":[{"name":"technical","state":"approved"}]}`, &q)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "approved", q.Authorization[0].State)
	assert.Empty(t, q.Authorization[0].SignatureRepresentation)
	assert.Empty(t, q.ContentDigest)
}

package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/require"
)

// Live is a serving system with no orders of its own (the built-in live
// default), its API handler, and how to stop it.
type Live struct {
	Sys  *scenarios.System
	H    http.Handler
	Stop func()
}

// ServeLive serves the built-in live default on clock (virtual when nil).
func ServeLive(t *testing.T, clock engine.Clock) *Live {
	t.Helper()
	return ServeLiveWith(t, scenarios.Options{Clock: clock})
}

// ServeLiveWith serves the built-in live default with opt.
func ServeLiveWith(t *testing.T, opt scenarios.Options) *Live {
	t.Helper()
	sc, err := scenarios.LoadLibrary("live/default.yaml")
	require.NoError(t, err)
	sys, err := scenarios.New(sc.Spec, opt)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sys.Engine.Serve(ctx) }()
	return &Live{Sys: sys, H: sys.API().Handler(), Stop: func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	}}
}

// Do sends a request to the handler and decodes a JSON answer into out
// (when not nil).
func (l *Live) Do(t *testing.T, method, path string, body any, out any, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case nil:
	case string:
		b = []byte(v)
	default:
		var err error
		b, err = json.Marshal(v)
		require.NoError(t, err)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	l.H.ServeHTTP(w, req)
	if out != nil {
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), out), w.Body.String())
	}
	return w
}

// Idle waits until the engine has nothing left to do (virtual clock).
func (l *Live) Idle(t *testing.T) {
	t.Helper()
	for pending := -1; pending != 0; {
		require.NoError(t, l.Sys.Engine.Query(context.Background(), func() { pending = l.Sys.Engine.Pending() }))
	}
}

// Worked is the worked example's quote request.
func Worked(t *testing.T) (tmf648.QuoteBody, func(quoteID, externalID string) tmf622.OrderBody) {
	t.Helper()
	sc, err := scenarios.LoadLibrary("globaltech-5site.yaml")
	require.NoError(t, err)
	q := sc.Spec.Orders[0].Quote
	return tmf648.NewQuoteBody(q, "AUD"), func(quoteID, externalID string) tmf622.OrderBody {
		return tmf622.NewOrderBody(quoteID, q, externalID)
	}
}

// WorkedQuote is the worked example's quote request.
func WorkedQuote(t testing.TB) com.QuoteRequest {
	t.Helper()
	sc, err := scenarios.LoadLibrary("globaltech-5site.yaml")
	require.NoError(t, err)
	return sc.Spec.Orders[0].Quote
}

// ApproverKey is the private key of the worked example's approver
// (hex), who signs its decisions in tests.
const ApproverKey = "7f7ff03d123792d6ac594bfa67bf6d0c0ab55b6b1fdb6249303fe861f1ccba9a"

// Decision is the PATCH of an approval of stage signed with key over
// the digest the client computes from q as it got it (or over digest,
// when given).
func Decision(t *testing.T, q tmf648.Quote, stage, digest, key string) string {
	t.Helper()
	if digest == "" {
		var err error
		digest, err = tmf648.QuoteDigest(q)
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

// ServeWorkedExample serves the worked example after its rollout ran to
// the end on the virtual clock (seed, T+35 days: full order complete).
func ServeWorkedExample(t *testing.T) *Live { return ServeWorkedExampleWith(t, scenarios.Options{}) }

// ServeWorkedExampleWith is ServeWorkedExample with the options opt.
func ServeWorkedExampleWith(t *testing.T, opt scenarios.Options) *Live {
	t.Helper()
	sc, err := scenarios.LoadLibrary("globaltech-5site.yaml")
	require.NoError(t, err)
	sys, err := scenarios.New(sc.Spec, opt)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sys.Engine.Serve(ctx) }()
	l := &Live{Sys: sys, H: sys.API().Handler(), Stop: func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	}}
	l.Idle(t)
	return l
}

// AcmeServiceOrder is a service order a third party's COM places on our SOM
// for one site: the three CFS of Enterprise Fibre Connect Gold, in the
// building of the worked example's Melbourne HQ.
const AcmeServiceOrder = `{
  "externalId": "ACME-77/SO-1",
  "description": "ACME Melbourne office",
  "relatedParty": [{"id": "CUST-ACME-0042", "name": "ACME Pty Ltd", "role": "customer"}],
  "serviceOrderItem": [
    {"id": "1", "action": "add", "@handle": 40, "service": {
      "serviceSpecification": {"id": "CFS:Fibre-Access"},
      "serviceCharacteristic": [{"name": "speed", "value": "500M-sym"}, {"name": "technology", "value": "GPON"},
        {"name": "oltArea", "value": "SOUTH-03"}, {"name": "ipPool", "value": "SOUTH-ENT"}],
      "place": [{"id": "ACME-MEL", "role": "installationAddress", "address": "Level 12, 120 Collins Street, Melbourne VIC 3000"}]}},
    {"id": "2", "action": "add", "service": {
      "serviceSpecification": {"id": "CFS:Enterprise-QoS"},
      "serviceCharacteristic": [{"name": "slaTier", "value": "Gold"}, {"name": "availability", "value": "99.95%"},
        {"name": "latencyMs", "value": 10}, {"name": "lossPct", "value": 0.01}],
      "place": [{"id": "ACME-MEL", "address": "Level 12, 120 Collins Street, Melbourne VIC 3000"}]}},
    {"id": "3", "action": "add", "service": {
      "serviceSpecification": {"id": "CFS:CPE-Management"},
      "serviceCharacteristic": [{"name": "model", "value": "ISR-4431"}, {"name": "config", "value": "enterprise-fibre"}],
      "place": [{"id": "ACME-MEL", "address": "Level 12, 120 Collins Street, Melbourne VIC 3000"}]}}
  ]
}`

// VLANResourceOrder is a resource order a third party's SOM places on our ROM: a
// VLAN and the IP prefix bound to it, for a site in the building of the
// worked example's Melbourne HQ.
const VLANResourceOrder = `{
  "externalId": "ACME-SOM/77",
  "name": "ACME Melbourne VLAN",
  "place": {"id": "ACME-MEL", "address": "Level 12, 120 Collins Street, Melbourne VIC 3000"},
  "relatedParty": [{"id": "CUST-ACME-0042", "role": "customer"}],
  "orderItem": [
    {"id": "ACME-1", "action": "add", "@handle": 7, "resourceSpecification": {"id": "VLAN", "name": "RFS:VLAN-Service"},
     "resourceCharacteristic": [{"name": "vlanType", "value": "c-tag"}, {"name": "serviceType", "value": "enterprise"}]},
    {"id": "ACME-2", "action": "add", "resourceSpecification": {"id": "IPv4Subnet"},
     "resourceCharacteristic": [{"name": "pool", "value": "SOUTH-ENT"}],
     "orderItemRelationship": [{"relationshipType": "dependsOn", "orderItem": {"itemId": "ACME-1"}}]}
  ]
}`

// GetMap GETs path from l, which must answer 200, as a JSON object.
func GetMap(t *testing.T, l *Live, path string) map[string]any {
	t.Helper()
	var m map[string]any
	require.Equal(t, http.StatusOK, l.Do(t, "GET", path, nil, &m).Code, path)
	return m
}

// PlacedAgainAfterMemory posts body, an order with an externalId, to path
// on the live default whose finished orders leave memory an hour after
// they end, waits until it has run its course and left memory (inMemory
// counts the orders its component keeps), and posts it again: the answer
// is the first order, replayed from the shelf, and nothing more is placed.
func PlacedAgainAfterMemory(t *testing.T, path, body string, inMemory func(*scenarios.System) int) {
	t.Helper()
	l := ServeLiveWith(t, scenarios.Options{Journal: store.NewMemory(), Retention: time.Hour})
	defer l.Stop()
	type order struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	var first, again order
	w := l.Do(t, "POST", path, body, &first)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	l.Idle(t)
	var n int
	require.NoError(t, l.Sys.Engine.Query(context.Background(), func() { n = inMemory(l.Sys) }))
	require.Zero(t, n, "the order left memory")
	w = l.Do(t, "POST", path, body, &again)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	require.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	require.Equal(t, first.ID, again.ID)
	require.Equal(t, "completed", again.State, "read from the shelf")
	l.Idle(t)
	var all []order
	l.Do(t, "GET", path, nil, &all)
	require.Len(t, all, 1, "the repeated POST placed nothing")
}

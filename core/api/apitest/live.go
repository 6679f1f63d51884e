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

package tmf648_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TMF648 v4 Quote_Create: what a client gives a quote for its own use
// (description, externalId, version, instantSyncQuote, the dates it asks
// for, its notes) comes back as it gave it, in the quote and its list
// (which it filters), after a restart from a snapshot and once the quote
// left memory for the store's shelf. A member over the limits of every
// body is refused, 400 naming it.
func TestQuoteKeepsWhatItsClientGave(t *testing.T) {
	body := workedBody(t)
	body["description"], body["externalId"], body["version"], body["instantSyncQuote"] = "GlobalTech rollout, 5 sites", "CPQ-Q-77", "2", false
	body["requestedQuoteCompletionDate"], body["expectedFulfillmentStartDate"] = "2024-06-10T00:00:00Z", "2024-07-01T00:00:00+10:00"
	body["note"] = []any{map[string]any{"id": "1", "author": "sales", "date": "2024-06-01T09:00:00Z", "text": "priced as agreed on the 28th"}}
	given := func(t *testing.T, q tmf648.Quote) {
		t.Helper()
		assert.Equal(t, "GlobalTech rollout, 5 sites", q.Description)
		assert.Equal(t, "CPQ-Q-77", q.ExternalID)
		assert.Equal(t, "2", q.Version)
		if assert.NotNil(t, q.InstantSyncQuote) {
			assert.False(t, *q.InstantSyncQuote)
		}
		assert.Equal(t, "2024-06-10T00:00:00Z", q.RequestedQuoteCompletionDate)
		assert.Equal(t, "2024-07-01T00:00:00+10:00", q.ExpectedFulfillmentStartDate)
		assert.Equal(t, []tmf648.Note{{ID: "1", Author: "sales", Date: "2024-06-01T09:00:00Z", Text: "priced as agreed on the 28th"}}, q.Note)
	}
	read := func(t *testing.T, l *apitest.Live, id string) tmf648.Quote {
		t.Helper()
		var q tmf648.Quote
		require.Equal(t, http.StatusOK, l.Do(t, "GET", quotesPath+"/"+id, nil, &q).Code)
		var list []tmf648.Quote
		l.Do(t, "GET", quotesPath+"?externalId=CPQ-Q-77", nil, &list)
		require.Len(t, list, 1, "the list, filtered by externalId")
		assert.Equal(t, q, list[0])
		return q
	}

	l := apitest.ServeLive(t, nil)
	var q tmf648.Quote
	w := l.Do(t, "POST", quotesPath, body, &q)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	given(t, q)
	l.Idle(t)
	q = read(t, l, q.ID)
	given(t, q)
	digest, err := tmf648.QuoteDigest(q)
	require.NoError(t, err)
	bare := q
	bare.Description, bare.ExternalID, bare.Version, bare.InstantSyncQuote, bare.Note = "", "", "", nil, nil
	bare.RequestedQuoteCompletionDate, bare.ExpectedFulfillmentStartDate = "", ""
	without, err := tmf648.QuoteDigest(bare)
	require.NoError(t, err)
	assert.Equal(t, without, digest, "what a client gives for itself is no part of what approvers sign")
	// A quote without them says what it offers, as before.
	var plain tmf648.Quote
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, workedBody(t), &plain).Code)
	assert.Equal(t, "PO-EFCG-01 for 5 sites", plain.Description)
	assert.Empty(t, plain.ExternalID)
	assert.Nil(t, plain.InstantSyncQuote)

	// §7 snapshots: a restart from a snapshot has them.
	l.Stop()
	snap, err := l.Sys.Engine.Snapshot()
	require.NoError(t, err)
	sc, err := scenarios.LoadLibrary("live/default.yaml")
	require.NoError(t, err)
	restarted, err := scenarios.New(sc.Spec, scenarios.Options{Journal: store.NewMemory()})
	require.NoError(t, err)
	require.NoError(t, restarted.Engine.Restore(snap))
	again := &apitest.Live{Sys: restarted, H: restarted.API().Handler()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- restarted.Engine.Serve(ctx) }()
	given(t, read(t, again, q.ID))
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	// §7 finished entities leave memory: an accepted quote not ordered
	// within the retention is read from the shelf with them.
	mem := store.NewMemory()
	gone := apitest.ServeLiveWith(t, scenarios.Options{Journal: mem, Log: mem, Retention: time.Hour})
	defer gone.Stop()
	require.Equal(t, http.StatusCreated, gone.Do(t, "POST", quotesPath, body, &q).Code)
	gone.Idle(t)
	var quotes int
	require.NoError(t, gone.Sys.Engine.Query(context.Background(), func() { quotes = len(gone.Sys.COM.Quotes()) }))
	require.Zero(t, quotes, "the quote left memory")
	q = read(t, gone, q.ID)
	assert.Equal(t, "accepted", q.State)
	given(t, q)

	// The limits every body is held to: an identifier 256 bytes, a text
	// 8 KiB.
	for member, value := range map[string]any{"externalId": strings.Repeat("x", tmf630.MaxName+1),
		"description": strings.Repeat("x", tmf630.MaxText+1), "version": strings.Repeat("x", tmf630.MaxText+1)} {
		b := workedBody(t)
		b[member] = value
		var e tmf630.Error
		w := gone.Do(t, "POST", quotesPath, b, &e)
		assert.Equal(t, http.StatusBadRequest, w.Code, member)
		assert.True(t, strings.HasPrefix(e.Message, member+": "), e.Message)
	}
	for _, c := range []struct {
		note any
		says string
	}{{[]any{map[string]any{"id": "1"}}, "note[0].text: required"}, {[]any{map[string]any{"text": "x", "date": "today"}}, `note[0].date: "today" is not an RFC 3339 date-time`},
		{"x", "note: want an array"}} {
		b := workedBody(t)
		b["note"] = c.note
		var e tmf630.Error
		w := gone.Do(t, "POST", quotesPath, b, &e)
		assert.Equal(t, http.StatusBadRequest, w.Code)
		assert.Contains(t, e.Message, c.says)
	}
}

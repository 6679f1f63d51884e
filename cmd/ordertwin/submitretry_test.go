package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roundTrip answers a client's requests in process.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// canned is an answer of status, with Retry-After when given, and body.
func canned(status int, retryAfter, body string) *http.Response {
	h := http.Header{"Content-Type": {"application/json"}}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

// submit sends a quote or order again, under the same Idempotency-Key,
// while a deployment answers 503 with Retry-After (a shard moving), as
// long as the answer says, for at most maxRetryFor; another refusal is
// final at once.
func TestPostAgainWhileAShardMoves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var keys []string
		c := &client{base: "http://deployment", http: &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			if len(keys) < 3 {
				return canned(http.StatusServiceUnavailable, "1", `{"message":"shard 1 is moving"}`), nil
			}
			return canned(http.StatusCreated, "", `{"id":"QT-001"}`), nil
		})}}
		began := time.Now()
		var q struct{ ID string }
		require.NoError(t, c.postAgain(context.Background(), "/tmf-api/quoteManagement/v4/quote", "K-1", map[string]string{}, &q))
		assert.Equal(t, "QT-001", q.ID)
		assert.Equal(t, []string{"K-1", "K-1", "K-1"}, keys, "the same request each time")
		assert.Equal(t, 2*time.Second, time.Since(began), "a second after each 503")
	})
	synctest.Test(t, func(t *testing.T) {
		sent := 0
		c := &client{base: "http://deployment", http: &http.Client{Transport: roundTrip(func(*http.Request) (*http.Response, error) {
			sent++
			return canned(http.StatusServiceUnavailable, "1", `{"message":"shard 1 is moving"}`), nil
		})}}
		began := time.Now()
		err := c.postAgain(context.Background(), "/tmf-api/quoteManagement/v4/quote", "K-2", map[string]string{}, &struct{}{})
		require.ErrorContains(t, err, "503 shard 1 is moving")
		assert.Equal(t, maxRetryFor, time.Since(began), "given up after maxRetryFor")
		assert.Equal(t, 31, sent)
	})
	synctest.Test(t, func(t *testing.T) {
		sent := 0
		c := &client{base: "http://deployment", http: &http.Client{Transport: roundTrip(func(*http.Request) (*http.Response, error) {
			sent++
			return canned(http.StatusBadRequest, "", `{"message":"relatedParty: no customer"}`), nil
		})}}
		err := c.postAgain(context.Background(), "/tmf-api/quoteManagement/v4/quote", "K-3", map[string]string{}, &struct{}{})
		require.ErrorContains(t, err, "400 relatedParty: no customer")
		assert.Equal(t, 1, sent, "a refusal is not sent again")
	})
}

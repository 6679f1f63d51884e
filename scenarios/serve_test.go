package scenarios

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

// The worked example served: readiness answers while the engine serves,
// and the metrics count what the running system holds.
func TestServedMetrics(t *testing.T) {
	sys, err := New(load(t, globaltech).Spec, Options{})
	require.NoError(t, err)
	srv := httptest.NewServer((&api.Server{Engine: sys.Engine, Stats: sys.Stats}).Handler())
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sys.Engine.Serve(ctx) }()
	// On the virtual clock the rollout runs to its end at once; wait for
	// the engine to have nothing left (each query waits for a step).
	for pending := -1; pending != 0; {
		require.NoError(t, sys.Engine.Query(ctx, func() { pending = sys.Engine.Pending() }))
	}
	code, _ := get(t, srv.URL+"/readyz")
	assert.Equal(t, http.StatusOK, code)
	code, body := get(t, srv.URL+"/metrics")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "ordertwin_product_orders{state=\"completed\"} 1\n")
	assert.Contains(t, body, "ordertwin_resource_order_items{state=\"completed\"} 30\n")
	assert.Contains(t, body, "ordertwin_engine_queue_depth 0\n")
	code, body = get(t, srv.URL+"/tmf-api/nothing")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, body, "no resource at /tmf-api/nothing")
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

package scenarios

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// metricsAfter runs scenario file to its end and returns its /metrics,
// each sample by its name and labels.
func metricsAfter(t *testing.T, file string) map[string]float64 {
	t.Helper()
	sys, err := New(load(t, file).Spec, Options{})
	require.NoError(t, err)
	require.NoError(t, sys.Run(context.Background()))
	w := httptest.NewRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sys.Engine.Serve(ctx) }()
	sys.API().Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	samples := map[string]float64{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z_]+(?:\{[^}]*\})?) (\S+)$`).FindAllStringSubmatch(w.Body.String(), -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		require.NoError(t, err, m[0])
		samples[m[1]] = v
	}
	return samples
}

// The worked example's metrics: every system the rollout calls has a
// latency histogram whose +Inf bucket is its count, cumulative buckets,
// and latencies as the twin's durations make them (address qualification
// answers within the hour, a CPE's shipment and ZTP take days: seed
// ROI-006, "shipped to Melbourne HQ and boots against the ZTP server"); the 30
// resource order items are counted completed, and nothing was retried
// (seed: T+0 … T+35 days, 30 ROIs).
func TestMetricsAfterWorkedExample(t *testing.T) {
	m := metricsAfter(t, globaltech)
	bucket := func(sys, le string) float64 {
		v, ok := m[`ordertwin_adapter_latency_virtual_seconds_bucket{system="`+sys+`",le="`+le+`"}`]
		require.True(t, ok, "no bucket %s of %s", le, sys)
		return v
	}
	for _, sys := range []string{"qualification", "credit", "workflow", "access", "vlan", "bng", "ipam", "ztp", "logistics", "nms", "billing"} {
		count := m[`ordertwin_adapter_latency_virtual_seconds_count{system="`+sys+`"}`]
		assert.Positive(t, count, sys)
		assert.Equal(t, count, bucket(sys, "+Inf"), "%s: +Inf counts every call", sys)
		prev := 0.0
		for _, le := range []string{"1", "10", "60", "600", "3600", "86400", "604800"} {
			assert.GreaterOrEqual(t, bucket(sys, le), prev, "%s: buckets are cumulative", sys)
			prev = bucket(sys, le)
		}
		assert.Contains(t, m, `ordertwin_adapter_latency_virtual_seconds_sum{system="`+sys+`"}`)
	}
	assert.Equal(t, 10.0, m[`ordertwin_adapter_latency_virtual_seconds_count{system="qualification"}`],
		"5 sites qualified for the quote, revalidated for the order")
	assert.Equal(t, 10.0, bucket("qualification", "3600"), "qualification answers within the hour")
	assert.Zero(t, bucket("ztp", "86400"), "a router boots on ZTP once shipped: days after the call")
	assert.Equal(t, 5.0, bucket("ztp", "604800"), "within the week")
	assert.Equal(t, 30.0, m["ordertwin_resource_order_items_completed_total"])
	assert.Contains(t, m, "go_gc_heap_live_bytes", "the live heap is reported (0 before the first collection)")
	assert.Positive(t, m["process_resident_memory_bytes"], "the resident set is reported (on Linux)")
	for name := range m {
		assert.NotRegexp(t, `^ordertwin_retries_total\{`, name, "a calm run retries nothing")
	}
}

// Transient NETCONF faults are retried by ROM's failure policy, and the
// retries are counted per system: each fault of flaky-netconf.yaml that
// fired once is one retry of its system.
func TestMetricsCountRetries(t *testing.T) {
	m := metricsAfter(t, "flaky-netconf.yaml")
	assert.Equal(t, map[string]float64{
		`ordertwin_retries_total{system="access"}`: 1,
		`ordertwin_retries_total{system="bng"}`:    1,
		`ordertwin_retries_total{system="vlan"}`:   1,
	}, retries(m))
	assert.Equal(t, 30.0, m["ordertwin_resource_order_items_completed_total"], "every site still completes")
}

func retries(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for name, v := range m {
		if regexp.MustCompile(`^ordertwin_retries_total\{`).MatchString(name) {
			out[name] = v
		}
	}
	return out
}

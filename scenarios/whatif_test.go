package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/tmf"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With no variance every run is the deterministic one: the P50 (and every
// percentile) is the worked example's timeline.
func TestWhatIfWithoutVarianceIsTheDeterministicRun(t *testing.T) {
	sc := load(t, globaltech)
	det := run(t, sc)
	w, err := sc.WhatIf(context.Background(), WhatIfOptions{Runs: 20, CV: 0})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"completed": 20}, w.Outcomes)
	assert.Equal(t, det.FinishedAt, w.Order.P50)
	assert.Equal(t, w.Order.P50, w.Order.P99)
	want := map[string]string{}
	for _, so := range det.ServiceOrders {
		want[so.Wave] = so.CompletedAt
	}
	require.Len(t, w.Waves, 3)
	for _, wv := range w.Waves {
		assert.Equal(t, want[wv.Wave], wv.P50, wv.Wave)
		assert.Equal(t, 1.0, wv.OnTime, wv.Wave)
	}
	for i, b := range w.Billing {
		assert.Equal(t, det.Billing.Sites[i].From, b.Expected, b.Site)
		assert.Equal(t, 1800.0, b.Monthly)
	}
}

// Same scenario, seed and runs: the same answer, however many workers ran.
func TestWhatIfDeterministic(t *testing.T) {
	sc := load(t, "flaky-netconf.yaml")
	a, err := sc.WhatIf(context.Background(), WhatIfOptions{Runs: 40, CV: 0.3, Workers: 1})
	require.NoError(t, err)
	b, err := sc.WhatIf(context.Background(), WhatIfOptions{Runs: 40, CV: 0.3, Workers: 4})
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

// Variance spreads the outcome: later waves carry the spread of the earlier
// ones, and some runs miss a target.
func TestWhatIfSpread(t *testing.T) {
	sc := load(t, globaltech)
	var progress []int
	w, err := sc.WhatIf(context.Background(), WhatIfOptions{Runs: 200, CV: 0.3,
		Progress: func(done, total int) { progress = append(progress, done); assert.Equal(t, 200, total) }})
	require.NoError(t, err)
	assert.Len(t, progress, 200)
	assert.Equal(t, 200, progress[len(progress)-1])
	last := w.Waves[2]
	assert.NotEqual(t, last.P50, last.P99)
	assert.Less(t, last.OnTime, 1.0)
	assert.Greater(t, last.OnTime, 0.0)
	assert.Equal(t, 200, w.Order.Completed)
}

func TestWhatIfNeedsRuns(t *testing.T) {
	_, err := load(t, globaltech).WhatIf(context.Background(), WhatIfOptions{})
	assert.ErrorContains(t, err, "runs must be positive")
}

// Change orders (modify, disconnect) are not the rollout: the order's
// figures are the rollout's, and a disconnected site bills no more.
func TestWhatIfWithChangeOrders(t *testing.T) {
	for _, file := range []string{"speed-upgrade.yaml", "remove-site.yaml"} {
		sc := load(t, file)
		det := run(t, sc)
		w, err := sc.WhatIf(context.Background(), WhatIfOptions{Runs: 4, CV: 0})
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"completed": 4}, w.Outcomes, file)
		assert.Equal(t, det.ProductOrders[0].CompletedAt, w.Order.P50, file)
		for _, b := range w.Billing {
			if file == "remove-site.yaml" && (b.Site == "MELB" || b.Site == "BNE2") {
				assert.Zero(t, b.Billed, b.Site)
			} else {
				assert.Equal(t, 4, b.Billed, "%s %s", file, b.Site)
			}
		}
	}
}

// A wave whose every site failed is not completed, nor on time: its
// service order ends partial when a service item completed before the
// site failed (here CHC2's access, before its BNG commit failed), and that
// was counted as the wave done, at the failure's time.
func TestWhatIfWaveWithNoSiteInServiceIsNotCompleted(t *testing.T) {
	sc, err := loadEdited(t, "newuser-v2-kauri-faults.yaml",
		"{code: CHC1, wave: South", "{code: CHC1, wave: Pilot",
		"target: {system: vlan, op: reserve, site: CHC2}", "target: {system: bng, op: commit, site: CHC2}")
	require.NoError(t, err)
	w, err := sc.WhatIf(context.Background(), WhatIfOptions{Runs: 2, CV: 0})
	require.NoError(t, err)
	require.Len(t, w.Waves, 2)
	south := w.Waves[1]
	require.Equal(t, "South", south.Wave)
	assert.Zero(t, south.Completed, "CHC2, South's only site, was never in service")
	assert.Zero(t, south.OnTime)
	assert.Equal(t, 2, w.Waves[0].Completed)
}

// A population's what-if takes each customer's order of each run as a
// sample, its times from its own placement: the orders were one
// distribution only in name (a wave's row was the last order's wave, its
// target judged against another order's, and every customer's S01 one
// row).
func TestWhatIfOfAPopulation(t *testing.T) {
	sc := load(t, "v2-change-storm.yaml")
	det := run(t, sc)
	w, err := sc.WhatIf(context.Background(), WhatIfOptions{Runs: 2, CV: 0})
	require.NoError(t, err)
	assert.Equal(t, 40, w.Orders)
	assert.Equal(t, map[string]int{"completed": 80}, w.Outcomes)
	assert.Equal(t, 80, w.Order.Completed)
	require.Len(t, w.Waves, 2)
	for _, wv := range w.Waves {
		assert.Equal(t, 80, wv.Completed, wv.Wave)
		assert.Equal(t, 1.0, wv.OnTime, "%s: the scenario raises no jeopardy", wv.Wave)
	}
	// The last order is placed 39 hours in: no order takes the whole run.
	finished, err := tmf.ParseOffset(det.FinishedAt)
	require.NoError(t, err)
	p99, err := tmf.ParseOffset(w.Order.P99)
	require.NoError(t, err)
	assert.LessOrEqual(t, p99, finished-39*time.Hour)
	require.Len(t, w.Billing, 200, "40 customers' five sites each")
	assert.Equal(t, "PO-00000/S01", w.Billing[0].Site)
	for _, b := range w.Billing {
		if b.Site == "PO-00012/S02" {
			assert.Zero(t, b.Billed, "disconnected")
			continue
		}
		assert.Equal(t, 2, b.Billed, b.Site)
	}
}

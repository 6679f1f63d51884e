package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The distributions of a what-if: every run that completed falls in one
// bar, the CDF climbs to the share completed, the percentiles sit on it,
// and each wave's odds are those of the summary.
func TestWhatIfDistributions(t *testing.T) {
	sc := load(t, globaltech)
	w, err := sc.WhatIf(context.Background(), WhatIfOptions{Runs: 60, CV: 0.3})
	require.NoError(t, err)
	ds := w.Distributions(12)
	require.Len(t, ds, 1+len(w.Waves))
	assert.Equal(t, "order", ds[0].Of)
	assert.Equal(t, w.Waves[len(w.Waves)-1].Target, ds[0].Target, "the order's target is its last wave's")
	for i, d := range ds {
		require.Len(t, d.Bins, 12, d.Of)
		total := 0
		for j, b := range d.Bins {
			total += b.Count
			assert.Less(t, b.From, b.To)
			if j > 0 {
				assert.Equal(t, d.Bins[j-1].To, b.From, "bars touch")
			}
		}
		assert.Equal(t, d.Completed, total, d.Of)
		require.NotEmpty(t, d.CDF)
		assert.InDelta(t, float64(d.Completed)/60, d.CDF[len(d.CDF)-1].Share, 1e-9)
		for j := 1; j < len(d.CDF); j++ {
			assert.Greater(t, d.CDF[j].At, d.CDF[j-1].At)
			assert.Greater(t, d.CDF[j].Share, d.CDF[j-1].Share)
		}
		if i > 0 {
			assert.Equal(t, w.Waves[i-1].OnTime, d.OnTime, d.Of)
			p50, err := tmf.ParseOffset(w.Waves[i-1].P50)
			require.NoError(t, err)
			assert.InDelta(t, 0.5, shareBy(d.CDF, p50.Seconds()), 0.05, "the P50 of %s is on the CDF", d.Of)
		}
	}
}

// One run, or runs all alike, give one bar.
func TestWhatIfDistributionOfAlikeRuns(t *testing.T) {
	sc := load(t, globaltech)
	w, err := sc.WhatIf(context.Background(), WhatIfOptions{Runs: 3, CV: 0})
	require.NoError(t, err)
	d := w.Distributions(20)[0]
	require.Len(t, d.Bins, 1)
	assert.Equal(t, 3, d.Bins[0].Count)
	assert.Equal(t, []CDFPoint{{At: d.Bins[0].From, Share: 1}}, d.CDF)
	assert.Equal(t, 1.0, d.OnTime)
}

// shareBy reads a CDF at a time (seconds).
func shareBy(cdf []CDFPoint, at float64) float64 {
	s := 0.0
	for _, p := range cdf {
		if p.At <= at+60 { // the percentiles are rounded to the minute
			s = p.Share
		}
	}
	return s
}

// The order's target is its last wave's that has one: a late wave (the
// held Brisbane site's Wave 3) has none, and the order then showed no
// target and none of its runs on time, while that wave showed all.
func TestWhatIfOrderTargetPassesOverALateWave(t *testing.T) {
	sc := load(t, "brisbane-capacity.yaml")
	w, err := sc.WhatIf(context.Background(), WhatIfOptions{Runs: 2, CV: 0})
	require.NoError(t, err)
	ds := w.Distributions(10)
	last := ds[len(ds)-1]
	require.Equal(t, "Wave 3", last.Of)
	assert.Empty(t, last.Target, "a late wave has no target")
	assert.Equal(t, "P45D", ds[0].Target, "Wave 2's")
	done, err := tmf.ParseOffset(w.Order.P50)
	require.NoError(t, err)
	want := 0.0
	if done <= 45*24*time.Hour {
		want = 1
	}
	assert.Equal(t, want, ds[0].OnTime)
}

package load

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exact is the ⌈q·n⌉-th smallest of sorted: the quantile a histogram
// approximates.
func exact(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.999999999) - 1
	return sorted[max(i, 0)]
}

// Every quantile is the exact one or at most 1/64 above it, never above
// the maximum; the maximum and the mean are exact.
func TestHistogramQuantiles(t *testing.T) {
	for _, c := range []struct {
		name string
		gen  func(r *rand.Rand, i int) time.Duration
	}{
		{"uniform 1 µs to 100 ms", func(r *rand.Rand, _ int) time.Duration {
			return time.Microsecond + time.Duration(r.Int64N(int64(100*time.Millisecond)))
		}},
		{"1..10000 µs", func(_ *rand.Rand, i int) time.Duration { return time.Duration(i%10000+1) * time.Microsecond }},
		{"long tail", func(r *rand.Rand, _ int) time.Duration {
			return time.Duration(r.ExpFloat64() * float64(time.Millisecond) * (1 + 100*float64(r.IntN(100)/99)))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var h Histogram
			var all []time.Duration
			var sum time.Duration
			for i := range 100_000 {
				d := c.gen(r, i)
				h.Record(d)
				all = append(all, d)
				sum += d
			}
			slices.Sort(all)
			require.Equal(t, uint64(len(all)), h.Count())
			assert.Equal(t, all[len(all)-1], h.Max())
			assert.Equal(t, sum/time.Duration(len(all)), h.Mean())
			for _, q := range []float64{0.001, 0.5, 0.9, 0.99, 0.999, 1} {
				want, got := exact(all, q), h.Quantile(q)
				assert.GreaterOrEqual(t, got, want, "q %g", q)
				assert.LessOrEqual(t, float64(got), float64(want)*(1+1.0/64), "q %g: %s for %s", q, got, want)
				assert.LessOrEqual(t, got, h.Max())
			}
		})
	}
}

// Below 128 ns every value has a bucket of its own; known data gives the
// known quantiles: of 1..100 ns, p50 is 50, p90 90, p99 99.
func TestHistogramSmallValuesExact(t *testing.T) {
	var h Histogram
	for v := 100; v >= 1; v-- {
		h.Record(time.Duration(v))
	}
	assert.Equal(t, time.Duration(50), h.Quantile(0.5))
	assert.Equal(t, time.Duration(90), h.Quantile(0.9))
	assert.Equal(t, time.Duration(99), h.Quantile(0.99))
	assert.Equal(t, time.Duration(100), h.Quantile(0.999))
	assert.Equal(t, time.Duration(1), h.Quantile(0.0001))
	assert.Len(t, h.Buckets(), 100)
}

// Known data: 99 answers of 1 ms and one of 1 s: p50 and p99 are 1 ms (to
// the bucket), p99.9 and the maximum 1 s.
func TestHistogramOutlier(t *testing.T) {
	var h Histogram
	for range 99 {
		h.Record(time.Millisecond)
	}
	h.Record(time.Second)
	for _, q := range []float64{0.5, 0.99} {
		assert.InDelta(t, float64(time.Millisecond), float64(h.Quantile(q)), float64(time.Millisecond)/64, "q %g", q)
	}
	assert.Equal(t, time.Second, h.Quantile(0.999))
	assert.Equal(t, time.Second, h.Max())
}

// Every value falls in the bucket whose bounds hold it, and buckets do not
// overlap: each begins one past the one before.
func TestHistogramBuckets(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 123456789, 1<<62 + 12345, 1<<63 - 1} {
		lo, hi := bounds(bucket(v))
		assert.True(t, lo <= v && v <= hi, "%d in [%d, %d]", v, lo, hi)
	}
	for i := 1; i < bucket(1<<63-1); i++ {
		_, prevHi := bounds(i - 1)
		lo, hi := bounds(i)
		require.Equal(t, prevHi+1, lo, "bucket %d", i)
		if i >= linear {
			require.LessOrEqual(t, float64(hi-lo+1)/float64(lo), 1.0/64, "bucket %d is too wide", i)
		} else {
			require.Equal(t, lo, hi, "below %d ns a value is its own bucket", linear)
		}
	}
}

// Merging two histograms counts what recording both would.
func TestHistogramMerge(t *testing.T) {
	var a, b, both Histogram
	for i := range 1000 {
		d := time.Duration(i*i) * time.Microsecond
		both.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(&b)
	assert.Equal(t, both.Buckets(), a.Buckets())
	assert.Equal(t, both.Quantile(0.99), a.Quantile(0.99))
	assert.Equal(t, both.Mean(), a.Mean())
	var empty Histogram
	assert.Zero(t, empty.Quantile(0.5))
	assert.Zero(t, empty.Mean())
}

package load

import (
	"math"
	"math/bits"
	"time"
)

// Histogram counts durations in log-linear buckets, as HDR histograms do:
// exact below 128 ns, then 64 buckets per power of two, so a bucket is at
// most 1/64 (1.6%) of its values wide. The zero value is empty and ready.
type Histogram struct {
	counts []uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

// subBuckets is how many buckets each power of two above linear has;
// below linear every nanosecond has its own.
const (
	subBits    = 6
	subBuckets = 1 << subBits
	linear     = 2 * subBuckets
)

// bucket is the index of v's bucket.
func bucket(v uint64) int {
	if v < linear {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1 // ≥ 1
	return linear + (shift-1)*subBuckets + int(v>>shift) - subBuckets
}

// bounds are the least and greatest values of bucket i.
func bounds(i int) (lo, hi uint64) {
	if i < linear {
		return uint64(i), uint64(i)
	}
	shift := (i-linear)/subBuckets + 1
	m := uint64((i-linear)%subBuckets + subBuckets)
	return m << shift, (m+1)<<shift - 1
}

// Record counts d (a negative d counts as 0).
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	i := bucket(uint64(d))
	if i >= len(h.counts) {
		h.counts = append(h.counts, make([]uint64, i+1-len(h.counts))...)
	}
	h.counts[i]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if len(o.counts) > len(h.counts) {
		h.counts = append(h.counts, make([]uint64, len(o.counts)-len(h.counts))...)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// Count is how many durations h counted.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the greatest duration counted, exactly.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the mean of the durations counted, exactly.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Quantile is the duration at quantile q (0 < q ≤ 1): the greatest value
// of the bucket that holds the ⌈q·n⌉-th smallest duration counted, never
// more than Max; 0 when h is empty. It is at most 1/64 above the exact one.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bounds(i)
			return min(time.Duration(hi), h.max)
		}
	}
	return h.max
}

// Bucket is one bucket of a histogram that holds durations: those up to
// UpTo (and above the bucket before it).
type Bucket struct {
	UpTo  time.Duration
	Count uint64
}

// Buckets are h's buckets that hold durations, in order.
func (h *Histogram) Buckets() []Bucket {
	var out []Bucket
	for i, c := range h.counts {
		if c > 0 {
			_, hi := bounds(i)
			out = append(out, Bucket{UpTo: time.Duration(hi), Count: c})
		}
	}
	return out
}

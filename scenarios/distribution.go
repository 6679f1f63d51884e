package scenarios

import (
	"math"
	"slices"
	"time"

	"github.com/ordertwin/ordertwin/core/tmf"
)

// Distribution is how a what-if's runs spread a completion: the order's or
// a wave's, as a histogram and a cumulative distribution, with the target
// and the share of runs that met it. Times are seconds from T+0.
type Distribution struct {
	// Of is "order" or the wave's name.
	Of     string  `json:"of"`
	Target string  `json:"target,omitempty"`
	OnTime float64 `json:"onTime"`
	// Completed counts the runs in which it completed, of Runs: with
	// several orders a run (WhatIf.Orders), each order of each run counts
	// as one, its times from its placement.
	Completed int `json:"completed"`
	Runs      int `json:"runs"`
	// Bins are the histogram: equal widths from the earliest completion to
	// the latest.
	Bins []Bin `json:"bins"`
	// CDF is, for each distinct completion time, the share of all runs
	// completed by then (it ends below 1 when some runs never complete).
	CDF []CDFPoint `json:"cdf"`
}

// Bin is a histogram bar: the runs that completed in [From, To) (the last
// bin includes To).
type Bin struct {
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	Count int     `json:"count"`
}

// CDFPoint is the share of runs completed by a time.
type CDFPoint struct {
	At    float64 `json:"at"`
	Share float64 `json:"share"`
}

// Distributions are the order's completion distribution, then each wave's,
// each as a histogram of bins bars (at least 1).
func (w *WhatIf) Distributions(bins int) []Distribution {
	bins = max(bins, 1)
	out := []Distribution{w.distribution("order", w.done[""], bins)}
	// The order's target is its last wave's that has one (a late wave has
	// none); without one, as a wave without, done is on time.
	out[0].OnTime = float64(len(w.done[""])) / float64(max(w.samples(), 1))
	for k := len(w.Waves) - 1; k >= 0; k-- {
		if t, err := tmf.ParseOffset(w.Waves[k].Target); err == nil && w.Waves[k].Target != "" {
			out[0].Target, out[0].OnTime = w.Waves[k].Target, share(w.done[""], t, w.samples())
			break
		}
	}
	for _, wave := range w.Waves {
		d := w.distribution(wave.Wave, w.done[wave.Wave], bins)
		d.Target, d.OnTime = wave.Target, wave.OnTime
		out = append(out, d)
	}
	return out
}

func (w *WhatIf) distribution(of string, done []float64, bins int) Distribution {
	d := Distribution{Of: of, Completed: len(done), Runs: w.samples(), Bins: []Bin{}, CDF: []CDFPoint{}}
	if len(done) == 0 {
		return d
	}
	xs := make([]float64, len(done))
	for i, ns := range done {
		xs[i] = ns / float64(time.Second)
	}
	slices.Sort(xs)
	lo, hi := xs[0], xs[len(xs)-1]
	width := (hi - lo) / float64(bins)
	if width == 0 { // every run alike: one bar
		bins, width = 1, 1
	}
	d.Bins = make([]Bin, bins)
	for i := range d.Bins {
		d.Bins[i] = Bin{From: lo + float64(i)*width, To: lo + float64(i+1)*width}
	}
	for i, x := range xs {
		b := min(int(math.Floor((x-lo)/width)), bins-1)
		d.Bins[b].Count++
		if i+1 == len(xs) || xs[i+1] != x {
			d.CDF = append(d.CDF, CDFPoint{At: x, Share: float64(i+1) / float64(d.Runs)})
		}
	}
	return d
}

// share is the part of runs whose completion (ns) was by target.
func share(done []float64, target time.Duration, runs int) float64 {
	n := 0
	for _, d := range done {
		if d <= float64(target) {
			n++
		}
	}
	return float64(n) / float64(runs)
}

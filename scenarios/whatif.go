package scenarios

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"gonum.org/v1/gonum/stat"
)

// WhatIfOptions tune a Monte Carlo run.
type WhatIfOptions struct {
	Runs int
	// CV is the coefficient of variation of every duration (0.25: the
	// standard deviation is a quarter of the mean); 0 makes durations exact.
	CV float64
	// Workers run in parallel; 0 means one per CPU.
	Workers int
	// Progress, when set, is told how many runs are done, in order.
	Progress func(done, total int)
}

// WhatIf is the outcome of many runs of a scenario: per wave and for the
// order, the completion offsets (P50, P90, P99), the probability of meeting
// each wave's target, and the expected billing start per site.
type WhatIf struct {
	Scenario string  `json:"scenario"`
	Seed     uint64  `json:"seed"`
	Runs     int     `json:"runs"`
	CV       float64 `json:"cv"`
	// Orders is how many rollouts a run places (a population's
	// customers each place one). With more than one, every rollout of
	// every run is a sample: its waves' and its own completion, and its
	// sites' billing start, count from its placement, and a site is named
	// ORDER/SITE.
	Orders   int            `json:"orders"`
	Outcomes map[string]int `json:"outcomes"` // rollouts by their final state
	Order    Completion     `json:"order"`
	Waves    []WaveOdds     `json:"waves"`
	Billing  []BillingOdds  `json:"billing"`
	// done are the completion offsets of each run (in nanoseconds): of
	// the order under "", of each wave under its name (Distributions).
	done map[string][]float64
}

// Completion is a distribution of completion offsets from T+0.
type Completion struct {
	Completed int    `json:"completed"` // runs in which it completed
	P50       string `json:"p50,omitempty"`
	P90       string `json:"p90,omitempty"`
	P99       string `json:"p99,omitempty"`
}

// WaveOdds is a wave's completion and the odds of meeting its target.
type WaveOdds struct {
	Wave         string `json:"wave"`
	ServiceOrder string `json:"serviceOrder"`
	Target       string `json:"target,omitempty"`
	Completion
	// OnTime is the share of runs in which the wave was done by its target.
	OnTime float64 `json:"onTime"`
}

// BillingOdds is when a site starts billing.
type BillingOdds struct {
	Site     string  `json:"site"`
	Monthly  float64 `json:"monthly"`
	Billed   int     `json:"billed"` // runs in which billing started
	Expected string  `json:"expected,omitempty"`
	P50      string  `json:"p50,omitempty"`
}

// runOutcome is what one run tells the statistics.
type runOutcome struct {
	// states are the final states of the run's rollouts; done the
	// completion of each that completed.
	states []string
	done   []time.Duration
	// waves are every wave of every rollout, in order.
	waves      []waveRun
	orders     int
	billing    map[string]time.Duration
	siteOrder  []string
	sitePrices map[string]float64
}

// waveRun is a wave of one rollout in one run. With several rollouts a
// run, its times (and those of its rollout) count from its rollout's
// placement, so that the waves of orders placed at different times are
// one distribution; with one, from T+0.
type waveRun struct {
	name, so  string
	target    time.Duration
	done      time.Duration
	completed bool
}

type waveInfo struct {
	name, so string
	target   time.Duration
}

// WhatIf runs the scenario opt.Runs times, run i with seed + i: each run
// draws its own durations and probabilistic faults. The result depends only
// on the scenario, the seed, the runs and cv — not on how many workers ran.
func (sc *Scenario) WhatIf(ctx context.Context, opt WhatIfOptions) (*WhatIf, error) {
	if opt.Runs <= 0 {
		return nil, fmt.Errorf("whatif: runs must be positive")
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	outs := make([]runOutcome, opt.Runs)
	errs := make([]error, opt.Runs)
	var next, done atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(workers, opt.Runs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= opt.Runs || ctx.Err() != nil {
					return
				}
				outs[i], errs[i] = sc.once(ctx, sc.Spec.Seed+uint64(i), opt.CV)
				if opt.Progress != nil {
					mu.Lock()
					opt.Progress(int(done.Add(1)), opt.Runs)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("whatif run %d (seed %d): %w", i+1, sc.Spec.Seed+uint64(i), err)
		}
	}
	return summarise(sc, opt, outs), nil
}

// once runs the scenario with a seed and collects its outcome.
func (sc *Scenario) once(ctx context.Context, seed uint64, cv float64) (runOutcome, error) {
	spec := sc.Spec
	spec.Seed = seed
	sys, err := New(spec, Options{})
	if err != nil {
		return runOutcome{}, err
	}
	sys.Twin.Vary(cv, engine.NewPCG(seed, "twin/durations"))
	if err := sys.Run(ctx); err != nil {
		return runOutcome{}, err
	}
	out := runOutcome{billing: map[string]time.Duration{}, sitePrices: map[string]float64{}}
	rollouts := sys.COM.Rollouts()
	several := len(rollouts) > 1
	// siteKey names a site across the run's rollouts: a population's
	// customers each have an S01.
	siteKey := func(order, site string) string {
		if several {
			return order + "/" + site
		}
		return site
	}
	placed := map[string]time.Duration{}
	for _, po := range rollouts {
		from := time.Duration(0)
		if several {
			from = po.OrderDate
		}
		placed[po.ID] = from
		out.states = append(out.states, po.State)
		if po.State == lc.Completed || po.State == lc.Partial {
			out.done = append(out.done, po.CompletionDate-from)
		}
		for _, it := range po.Items {
			k := siteKey(po.ID, it.Place.ID)
			out.siteOrder = append(out.siteOrder, k)
			out.sitePrices[k] = it.MonthlyPrice
		}
	}
	for _, p := range sys.COM.Products.All() {
		if p.Status != "terminated" { // a disconnected site bills no more
			out.billing[siteKey(p.ProductOrder, p.Place.ID)] = p.StartDate - placed[p.ProductOrder]
		}
	}
	for _, w := range sys.COM.Waves() {
		from, ok := placed[w.Order]
		if !ok {
			continue // a change order's
		}
		wr := waveRun{name: w.Name, so: w.ServiceOrder, target: w.Target}
		if w.Target > 0 {
			wr.target -= from
		}
		// A partial wave is done when a site of it is in service: one
		// whose every site failed (its service order partial only by the
		// service items that completed before) did not complete.
		inService := slices.ContainsFunc(w.Sites, func(site string) bool { _, ok := out.billing[siteKey(w.Order, site)]; return ok })
		if w.State == lc.Completed || w.State == lc.Partial && inService {
			wr.completed, wr.done = true, w.CompletedAt-from
		}
		out.waves = append(out.waves, wr)
	}
	out.orders = len(rollouts)
	return out, nil
}

func summarise(sc *Scenario, opt WhatIfOptions, outs []runOutcome) *WhatIf {
	w := &WhatIf{Scenario: sc.Name, Seed: sc.Spec.Seed, Runs: opt.Runs, CV: opt.CV, Outcomes: map[string]int{}}
	var orderDone []float64
	waves := []waveInfo{}
	sites := []string{}
	prices := map[string]float64{}
	for _, o := range outs {
		w.Orders = max(w.Orders, o.orders)
		for _, st := range o.states {
			w.Outcomes[st]++
		}
		for _, d := range o.done {
			orderDone = append(orderDone, float64(d))
		}
		for _, wr := range o.waves { // waves made late appear in some runs only
			if !slices.ContainsFunc(waves, func(x waveInfo) bool { return x.name == wr.name }) {
				waves = append(waves, waveInfo{wr.name, wr.so, wr.target})
			}
		}
		for _, s := range o.siteOrder {
			if !slices.Contains(sites, s) {
				sites = append(sites, s)
				prices[s] = o.sitePrices[s]
			}
		}
	}
	samples := w.samples()
	w.done = map[string][]float64{"": orderDone}
	w.Order = completion(orderDone)
	for _, wi := range waves {
		var done []float64
		onTime := 0
		for _, o := range outs {
			for _, wr := range o.waves {
				if wr.name != wi.name || !wr.completed {
					continue
				}
				done = append(done, float64(wr.done))
				if wr.target == 0 || wr.done <= wr.target {
					onTime++
				}
			}
		}
		w.done[wi.name] = done
		odds := WaveOdds{Wave: wi.name, ServiceOrder: wi.so, Completion: completion(done),
			OnTime: float64(onTime) / float64(samples)}
		if wi.target > 0 {
			odds.Target = offset(wi.target)
		}
		w.Waves = append(w.Waves, odds)
	}
	for _, s := range sites {
		var from []float64
		for _, o := range outs {
			if d, ok := o.billing[s]; ok {
				from = append(from, float64(d))
			}
		}
		b := BillingOdds{Site: s, Monthly: prices[s], Billed: len(from)}
		if len(from) > 0 {
			b.Expected = offset(roundMinute(stat.Mean(from, nil)))
			b.P50 = completion(from).P50
		}
		w.Billing = append(w.Billing, b)
	}
	return w
}

// samples counts the outcomes of a wave, or of the order: a run's, or
// with several orders a run each order of each run.
func (w *WhatIf) samples() int { return w.Runs * max(w.Orders, 1) }

// completion summarises completion offsets (in nanoseconds).
func completion(xs []float64) Completion {
	c := Completion{Completed: len(xs)}
	if len(xs) == 0 {
		return c
	}
	slices.Sort(xs)
	q := func(p float64) string { return offset(roundMinute(stat.Quantile(p, stat.Empirical, xs, nil))) }
	c.P50, c.P90, c.P99 = q(0.5), q(0.9), q(0.99)
	return c
}

func roundMinute(ns float64) time.Duration { return time.Duration(ns).Round(time.Minute) }

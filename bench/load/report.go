package load

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Report is what a run measured; its JSON is the report `ordertwin load
// --json` writes and --baseline reads (docs/load.md).
type Report struct {
	// Target is the server's base URL; Profile the arrivals' profile;
	// Mix the operations' weights; Seed what drew them.
	Target  string         `json:"target"`
	Profile string         `json:"profile"`
	Mix     map[string]int `json:"mix"`
	Seed    uint64         `json:"seed"`
	Started time.Time      `json:"started"`
	// Seconds is how long the run lasted: its schedule (N/rate for N
	// arrivals at a fixed rate, the profile's length when it ran out), or
	// to the last answer when that came later; a run stopped early, until
	// it stopped. The throughputs are over it.
	Seconds float64 `json:"seconds"`
	// Arrivals counts the operations due (sent or dropped).
	Arrivals int `json:"arrivals"`
	// OrdersPerSecond is the throughput: orders answered well a second.
	OrdersPerSecond float64 `json:"ordersPerSecond"`
	// Stopped says why the run stopped early (interrupted, the maximum
	// duration passed); empty when every arrival was due and answered.
	Stopped    string                      `json:"stopped,omitempty"`
	Operations map[string]*OperationReport `json:"operations"`
	// WindowSeconds is the width of the timeline's windows; window i
	// holds the requests due from i·WindowSeconds after the start.
	WindowSeconds float64  `json:"windowSeconds"`
	Timeline      []Window `json:"timeline"`
}

// OperationReport is what one operation's requests measured. Latencies are in
// milliseconds, from when each request was due to its answer, of the
// requests answered well.
type OperationReport struct {
	// OK counts the requests answered well; Errors the others by reason:
	// an HTTP status ("409"), "timeout", "transport" (no answer),
	// "cancelled" (in flight when the run stopped), "dropped" (not sent:
	// too many in flight), or what the operation says.
	OK        uint64         `json:"ok"`
	Errors    map[string]int `json:"errors,omitempty"`
	PerSecond float64        `json:"perSecond"`
	P50       float64        `json:"p50Ms"`
	P90       float64        `json:"p90Ms"`
	P99       float64        `json:"p99Ms"`
	P999      float64        `json:"p999Ms"`
	Max       float64        `json:"maxMs"`
	Mean      float64        `json:"meanMs"`
	// Histogram is the latencies' buckets that hold any: each counts the
	// latencies up to UpToMs and above the bucket before.
	Histogram []HistogramBucket `json:"histogram"`
}

// HistogramBucket is a bucket of OperationReport.Histogram.
type HistogramBucket struct {
	UpToMs float64 `json:"upToMs"`
	Count  uint64  `json:"count"`
}

// Window is what the requests due in one window of time measured, by
// operation.
type Window struct {
	Start float64                  `json:"startSeconds"`
	Ops   map[string]WindowMeasure `json:"operations"`
}

// WindowMeasure is one operation's requests in a window.
type WindowMeasure struct {
	OK     uint64  `json:"ok"`
	Errors int     `json:"errors,omitempty"`
	P50    float64 `json:"p50Ms"`
	P99    float64 `json:"p99Ms"`
	Max    float64 `json:"maxMs"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Percentiles are the quantiles reported.
func percentiles(h *Histogram) (p50, p90, p99, p999 float64) {
	return ms(h.Quantile(0.5)), ms(h.Quantile(0.9)), ms(h.Quantile(0.99)), ms(h.Quantile(0.999))
}

// reportOf is the report of what r recorded over a run of elapsed; r.mu
// held.
func (r *Recorder) reportOf(elapsed time.Duration) *Report {
	rep := &Report{Started: r.start.UTC(), Seconds: elapsed.Seconds(), Operations: map[string]*OperationReport{},
		WindowSeconds: r.window.Seconds()}
	windows := 0
	for name, o := range r.ops {
		op := &OperationReport{OK: o.all.Count(), Max: ms(o.all.Max()), Mean: ms(o.all.Mean()), Histogram: []HistogramBucket{}}
		op.P50, op.P90, op.P99, op.P999 = percentiles(&o.all)
		if elapsed > 0 {
			op.PerSecond = float64(op.OK) / elapsed.Seconds()
		}
		if len(o.errors) > 0 {
			op.Errors = maps.Clone(o.errors)
		}
		for _, b := range o.all.Buckets() {
			op.Histogram = append(op.Histogram, HistogramBucket{UpToMs: ms(b.UpTo), Count: b.Count})
		}
		rep.Operations[name] = op
		windows = max(windows, len(o.windows))
	}
	for w := range windows {
		win := Window{Start: (time.Duration(w) * r.window).Seconds(), Ops: map[string]WindowMeasure{}}
		for name, o := range r.ops {
			if w >= len(o.windows) || o.windows[w].Count()+uint64(o.failures[w]) == 0 {
				continue
			}
			h := o.windows[w]
			win.Ops[name] = WindowMeasure{OK: h.Count(), Errors: o.failures[w], P50: ms(h.Quantile(0.5)), P99: ms(h.Quantile(0.99)), Max: ms(h.Max())}
		}
		rep.Timeline = append(rep.Timeline, win)
	}
	if o, ok := rep.Operations[OrderOp]; ok {
		rep.OrdersPerSecond = o.PerSecond
	}
	return rep
}

// OrderOp is the operation whose answers are the throughput; QuoteOp is
// the request before each order, reported as an operation of its own but
// part of an order in the mix.
const (
	OrderOp = "order"
	QuoteOp = "quote"
)

// inMix says whether the run's mix has operation op (a quote, when it has
// orders); a report that does not give its mix has them all.
func (r *Report) inMix(op string) bool {
	if len(r.Mix) == 0 {
		return true
	}
	if op == QuoteOp {
		op = OrderOp
	}
	return r.Mix[op] > 0
}

// Worse is the regression of a figure of which lower is better (a p99 in
// ms; with unit, another report's figure, such as a failure run's
// unavailability in "s"), now against the baseline's b, when it is worse
// by more than threshold: a figure that was 0 is worse by any amount.
func Worse(figure string, b, now, threshold float64, unit string) (Regression, bool) {
	switch {
	case b > 0 && now > b*(1+threshold):
		return Regression{Figure: figure, Baseline: b, Now: now, Change: now/b - 1, Unit: unit}, true
	case b == 0 && now > 0:
		u := " ms"
		if unit != "" {
			u = " " + unit
		}
		return Regression{Figure: figure, Baseline: b, Now: now, Change: 1, Unit: unit,
			Why: fmt.Sprintf("%.2f%s against the baseline's 0%s", now, u, u)}, true
	}
	return Regression{}, false
}

// Failed counts the requests not answered well, of every operation.
func (r *Report) Failed() int {
	n := 0
	for _, o := range r.Operations {
		for _, c := range o.Errors {
			n += c
		}
	}
	return n
}

// WriteText writes the report as a table: a row per operation.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s, %d arrivals in %.1f s, %.1f orders/s", r.Target, r.Profile, r.Arrivals, r.Seconds, r.OrdersPerSecond)
	if r.Stopped != "" {
		fmt.Fprintf(&b, " (stopped: %s)", r.Stopped)
	}
	fmt.Fprintf(&b, "\n%-8s %8s %8s %9s %9s %9s %9s %9s  %s\n", "op", "ok", "per s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors")
	for _, name := range slices.Sorted(maps.Keys(r.Operations)) {
		o := r.Operations[name]
		var errs []string
		for _, k := range slices.Sorted(maps.Keys(o.Errors)) {
			errs = append(errs, fmt.Sprintf("%s×%d", k, o.Errors[k]))
		}
		fmt.Fprintf(&b, "%-8s %8d %8.1f %9.2f %9.2f %9.2f %9.2f %9.2f  %s\n", name, o.OK, o.PerSecond, o.P50, o.P90, o.P99, o.P999, o.Max,
			strings.Join(errs, " "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Regression is a figure of a run worse than its baseline's beyond the
// threshold.
type Regression struct {
	Figure   string  `json:"figure"` // "order p99", "throughput"
	Baseline float64 `json:"baseline"`
	Now      float64 `json:"now"`
	// Change is how much worse, as a fraction (0.25: 25%).
	Change float64 `json:"change"`
	// Unit is the figure's unit when not milliseconds or, for the
	// throughput, orders a second.
	Unit string `json:"unit,omitempty"`
	// Why says what is worse in words, when no figure does: an operation
	// with requests and none answered well.
	Why string `json:"why,omitempty"`
}

func (g Regression) String() string {
	if g.Why != "" {
		return g.Figure + ": " + g.Why
	}
	unit := " ms"
	switch {
	case g.Unit != "":
		unit = " " + g.Unit
	case g.Figure == "throughput":
		unit = " orders/s"
	}
	return fmt.Sprintf("%s %.2f%s against the baseline's %.2f%s: %.0f%% worse", g.Figure, g.Now, unit, g.Baseline, unit, 100*g.Change)
}

// Compare finds what in r is worse than in base by more than threshold (a
// fraction: 0.2 for 20%): each operation's p99 above the baseline's by
// more, an operation the baseline measured that r has no answer of, and
// the throughput below the baseline's by more. An operation r's mix
// leaves out is not compared, nor the throughput when it places no
// orders.
func Compare(base, r *Report, threshold float64) []Regression {
	var out []Regression
	for _, name := range slices.Sorted(maps.Keys(base.Operations)) {
		b := base.Operations[name]
		if b.OK == 0 {
			continue
		}
		now, ok := r.Operations[name]
		if !ok || !r.inMix(name) { // not in this run's mix
			continue
		}
		if now.OK == 0 {
			failed := 0
			for _, n := range now.Errors {
				failed += n
			}
			out = append(out, Regression{Figure: name, Baseline: b.P99, Change: 1,
				Why: fmt.Sprintf("none of its %d requests answered well (the baseline's p99 %.2f ms)", failed, b.P99)})
			continue
		}
		if g, ok := Worse(name+" p99", b.P99, now.P99, threshold, ""); ok {
			out = append(out, g)
		}
	}
	if base.OrdersPerSecond > 0 && r.inMix(OrderOp) && r.OrdersPerSecond < base.OrdersPerSecond*(1-threshold) {
		out = append(out, Regression{Figure: "throughput", Baseline: base.OrdersPerSecond, Now: r.OrdersPerSecond,
			Change: 1 - r.OrdersPerSecond/base.OrdersPerSecond})
	}
	return out
}

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
	Stopped string `json:"stopped,omitempty"`
	// GeneratorCPUSeconds is the CPU time, user and system, the process
	// that ran the load spent over the run (0 where the system does not
	// say): on a machine it shares with the server, time it took from it.
	GeneratorCPUSeconds float64                     `json:"generatorCpuSeconds,omitempty"`
	Operations          map[string]*OperationReport `json:"operations"`
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

// Failed counts the requests not answered well, of every operation.
func (r *Report) Failed() int {
	n := 0
	for _, o := range r.Operations {
		n += o.Failed()
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
	if r.GeneratorCPUSeconds > 0 && r.Seconds > 0 {
		fmt.Fprintf(&b, "; the generator took %.1f CPU s (%.2f of a core)", r.GeneratorCPUSeconds, r.GeneratorCPUSeconds/r.Seconds)
	}
	fmt.Fprintf(&b, "\n%-8s %8s %8s %9s %9s %9s %9s %9s  %s\n", "op", "ok", "per s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors")
	for _, name := range slices.Sorted(maps.Keys(r.Operations)) {
		o := r.Operations[name]
		latencies := fmt.Sprintf("%9.2f %9.2f %9.2f %9.2f %9.2f", o.P50, o.P90, o.P99, o.P999, o.Max)
		if o.OK == 0 { // none answered well: no latency measured, not latencies of 0
			latencies = fmt.Sprintf("%9s %9s %9s %9s %9s", "-", "-", "-", "-", "-")
		}
		fmt.Fprintf(&b, "%-8s %8d %8.1f %s  %s\n", name, o.OK, o.PerSecond, latencies, errorsByReason(o.Errors))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

package load

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// The bounds of a comparison with a baseline (docs/load.md, "Comparing
// with a baseline").
const (
	// TailAnswers is how many answers well an operation needs, in the
	// baseline and in the run alike, for its p99 to be compared: with
	// fewer, the p99 is one of the few slowest answers, and one slow
	// answer moves it. With a tenth as many the p90 is compared instead;
	// with fewer still, no latency (each percentile compared has at least
	// 10 answers above it).
	TailAnswers = 1000
	// LatencySlackMs is how far above the baseline's a percentile may be,
	// whatever the threshold: within a millisecond is the noise of the
	// machine, not a regression.
	LatencySlackMs = 1.0
	// ErrorShareSlack is how far above the baseline's an operation's share
	// of requests failed may be, whatever the threshold: one percentage
	// point (0 errors then 1 of thousands is not a regression).
	ErrorShareSlack = 0.01
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

// Regression is a figure of a run worse than its baseline's beyond the
// threshold.
type Regression struct {
	Figure   string  `json:"figure"` // "order p99", "read errors", "throughput"
	Baseline float64 `json:"baseline"`
	Now      float64 `json:"now"`
	// Change is how much worse, as a fraction (0.25: 25%).
	Change float64 `json:"change"`
	// Unit is the figure's unit when not milliseconds or, for the
	// throughput, orders a second ("%" for a share of requests failed).
	Unit string `json:"unit,omitempty"`
	// Why says what is worse in words, when no figure does: an operation
	// with requests and none answered well, its requests failed.
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

// Failed counts the operation's requests not answered well.
func (o *OperationReport) Failed() int {
	n := 0
	for _, c := range o.Errors {
		n += c
	}
	return n
}

// errorShare is the share of the operation's requests not answered well.
func (o *OperationReport) errorShare() float64 {
	failed := o.Failed()
	if failed == 0 {
		return 0
	}
	return float64(failed) / (float64(o.OK) + float64(failed))
}

// errorsByReason writes an operation's errors as the table does:
// "500×910 timeout×3".
func errorsByReason(errs map[string]int) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		out = append(out, fmt.Sprintf("%s×%d", k, errs[k]))
	}
	return strings.Join(out, " ")
}

// tail is the percentile of an operation's latency compared, given its
// answers well in the baseline b and the run now: the p99 when each has
// TailAnswers, the p90 when each has a tenth of that; false when fewer.
func tail(b, now *OperationReport) (name string, base, cur float64, ok bool) {
	switch n := min(b.OK, now.OK); {
	case n >= TailAnswers:
		return "p99", b.P99, now.P99, true
	case n >= TailAnswers/10:
		return "p90", b.P90, now.P90, true
	}
	return "", 0, 0, false
}

// compared are the operations of base that Compare compares with r: those
// the baseline has and r's mix has too.
func compared(base, r *Report) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(base.Operations)) {
		if _, ok := r.Operations[name]; ok && r.inMix(name) {
			out = append(out, name)
		}
	}
	return out
}

// Compare finds what in r is worse than in base by more than threshold (a
// fraction: 0.2 for 20%): an operation the baseline answered well that r
// has no good answer of; an operation's share of requests failed above
// the baseline's by more (and by more than ErrorShareSlack); its p99 above
// the baseline's by more (and by more than LatencySlackMs), the p90 when
// either has fewer than TailAnswers answers well, none with fewer than a
// tenth of that (Uncompared says so); and the throughput below the
// baseline's by more. An operation r's mix leaves out is not compared, nor
// the throughput when it places no orders.
func Compare(base, r *Report, threshold float64) []Regression {
	var out []Regression
	for _, name := range compared(base, r) {
		b, now := base.Operations[name], r.Operations[name]
		if now.OK == 0 && b.OK > 0 {
			out = append(out, Regression{Figure: name, Baseline: b.P99, Change: 1,
				Why: fmt.Sprintf("none of its %d requests answered well (%s; the baseline's p99 %.2f ms)", now.Failed(), errorsByReason(now.Errors), b.P99)})
			continue
		}
		if bs, ns := b.errorShare(), now.errorShare(); ns > bs*(1+threshold) && ns-bs > ErrorShareSlack {
			change := 1.0
			if bs > 0 {
				change = ns/bs - 1
			}
			out = append(out, Regression{Figure: name + " errors", Baseline: 100 * bs, Now: 100 * ns, Change: change, Unit: "%",
				Why: fmt.Sprintf("%d of its %d requests failed, %.1f%% (%s), against the baseline's %.1f%%",
					now.Failed(), now.Failed()+int(now.OK), 100*ns, errorsByReason(now.Errors), 100*bs)})
		}
		if q, bv, nv, ok := tail(b, now); ok && nv-bv > LatencySlackMs {
			if g, ok := Worse(name+" "+q, bv, nv, threshold, ""); ok {
				out = append(out, g)
			}
		}
	}
	if base.OrdersPerSecond > 0 && r.inMix(OrderOp) && r.OrdersPerSecond < base.OrdersPerSecond*(1-threshold) {
		out = append(out, Regression{Figure: "throughput", Baseline: base.OrdersPerSecond, Now: r.OrdersPerSecond,
			Change: 1 - r.OrdersPerSecond/base.OrdersPerSecond})
	}
	return out
}

// Uncompared says which latencies Compare leaves out, or compares at the
// p90 only, for want of answers well, and how many each run had.
func Uncompared(base, r *Report) []string {
	var out []string
	for _, name := range compared(base, r) {
		b, now := base.Operations[name], r.Operations[name]
		if now.OK == 0 && b.OK > 0 {
			continue // a regression
		}
		counts := fmt.Sprintf("%d answers well here, %d in the baseline", now.OK, b.OK)
		switch q, _, _, ok := tail(b, now); {
		case !ok:
			out = append(out, fmt.Sprintf("%s latency not compared: %s; a p90 wants %d in each, a p99 %d", name, counts, TailAnswers/10, TailAnswers))
		case q != "p99":
			out = append(out, fmt.Sprintf("%s %s compared, not its p99: %s; a p99 wants %d in each", name, q, counts, TailAnswers))
		}
	}
	return out
}

// CheckBaseline says why r cannot be a baseline: a run cut short (its
// figures are of part of its profile), or one that measured nothing (no
// request of any operation answered well: a server down, a token
// refused).
func (r *Report) CheckBaseline() error {
	if r.Stopped != "" {
		return fmt.Errorf("it was cut short (stopped: %s): its figures are of part of its profile", r.Stopped)
	}
	ok, failed := uint64(0), map[string]int{}
	for name, o := range r.Operations {
		ok += o.OK
		for reason, n := range o.Errors {
			failed[name+" "+reason] += n
		}
	}
	if ok == 0 {
		return fmt.Errorf("it measured nothing: none of its requests was answered well (%s)", cmp.Or(errorsByReason(failed), "no request at all"))
	}
	return nil
}

// Unlike says how the load r offers differs from base's, each naming
// both: its profile, its mix (the weights' proportions), its arrivals.
// Nothing when they offer the same, so that their figures compare; a
// figure base does not give (an older report) is not compared.
func Unlike(base, r *Report) []string {
	var out []string
	if base.Profile != "" && base.Profile != r.Profile {
		out = append(out, fmt.Sprintf("the profile %s, the baseline's %s", r.Profile, base.Profile))
	}
	if len(base.Mix) > 0 && !sameMix(base.Mix, r.Mix) {
		out = append(out, fmt.Sprintf("the mix %s, the baseline's %s", mixString(r.Mix), mixString(base.Mix)))
	}
	if base.Arrivals > 0 && base.Arrivals != r.Arrivals {
		out = append(out, fmt.Sprintf("%d arrivals, the baseline's %d", r.Arrivals, base.Arrivals))
	}
	return out
}

// sameMix says whether two mixes draw each operation as often: their
// weights in the same proportions (order=1 is order=100).
func sameMix(a, b map[string]int) bool {
	ta, tb := 0, 0
	for _, w := range a {
		ta += w
	}
	for _, w := range b {
		tb += w
	}
	for _, op := range slices.Concat(slices.Collect(maps.Keys(a)), slices.Collect(maps.Keys(b))) {
		if a[op]*tb != b[op]*ta {
			return false
		}
	}
	return true
}

// mixString writes a mix as --mix takes it, its operations in order of
// name and those of weight 0 left out.
func mixString(m map[string]int) string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(m)) {
		if m[op] > 0 {
			parts = append(parts, op+"="+strconv.Itoa(m[op]))
		}
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, ",")
}

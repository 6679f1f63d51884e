package chaos

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/bench/load"
)

// Hit is a fault as it happened, and what it cost.
type Hit struct {
	Fault
	// AtSeconds is when it hit, from the run's start; ForSeconds how long
	// it was held (a pause, a listener down).
	AtSeconds  float64 `json:"atSeconds"`
	ForSeconds float64 `json:"forSeconds,omitempty"`
	// RestartSeconds is how long a killed server took to listen again.
	RestartSeconds float64 `json:"restartSeconds,omitempty"`
	// UnavailableSeconds is how long, from the hit, requests failed or
	// went unanswered: from the hit to the first request answered well
	// after the last that failed charged to it (0 when none was).
	UnavailableSeconds float64 `json:"unavailableSeconds"`
	// Failed counts the requests that failed charged to this fault: each
	// to one fault, the latest that hit before it failed and can fail a
	// request (see Cost); MaxLatencyMs is the longest an answered
	// request took of those due from the hit to the next fault.
	Failed       int     `json:"failed"`
	MaxLatencyMs float64 `json:"maxLatencyMs"`
	// Answers counts, by status ("201", "503", "transport"), the answers
	// to orders and quotes given while the fault was held: what the
	// server did with a full disk.
	Answers map[string]int `json:"answers,omitempty"`
	// RecoverSeconds is, for a full disk, how long the server took to be
	// ready again once space came back; Recovered says it was.
	RecoverSeconds float64 `json:"recoverSeconds,omitempty"`
	Recovered      bool    `json:"recovered,omitempty"`
	// Process is the process of a deployment of several a kill or a
	// pause hit: com, som or rom of a split one, instance-1, instance-2…
	// of one on PostgreSQL.
	Process string `json:"process,omitempty"`
	// SpentSeconds is, for a twin fault, when it had failed every call
	// it fails (TwinCalls), from the run's start: the last moment it may
	// have hit an order; 0 when the run did not see it.
	SpentSeconds float64 `json:"spentSeconds,omitempty"`
	// Error says why the fault could not be injected.
	Error string `json:"error,omitempty"`
}

// Report is a run's JSON report (`ordertwin chaos --json`).
type Report struct {
	Seed   uint64 `json:"seed"`
	Target string `json:"target"`
	// Deployment is what served the run: its store and processes ("SQLite,
	// one process"; "PostgreSQL, 2 instances, 2 shards").
	Deployment string `json:"deployment,omitempty"`
	// Setup is what, beside the seed and the load's profile, makes the
	// run's orders and their ends what they are.
	Setup   Setup        `json:"setup"`
	Load    *load.Report `json:"load"`
	Faults  []Hit        `json:"faults"`
	Verdict Verdict      `json:"verdict"`
	// Orders counts the orders acknowledged, and the run's orders by
	// state at the end (none when the run did not get there).
	Orders      int            `json:"orders"`
	OrderStates map[string]int `json:"orderStates"`
	// Owed counts the events the hub owed the run's listener, a count
	// for each journal read (the server's, or each shard's), and Heard
	// the events the listener was sent, repeats included; none when the
	// journals were not read.
	Owed  []int `json:"owed,omitempty"`
	Heard int   `json:"heard,omitempty"`
	// Outcomes is how each order ended (by its key), for another run to
	// be compared with.
	Outcomes map[string]Outcome `json:"outcomes,omitempty"`
}

// Setup is what a run serves, and how, that decides how its orders end:
// a run is compared only with a reference of the same.
type Setup struct {
	// Scenario is the scenario served, Quoted the one whose customers
	// and sites the quotes are for: each by name and by a digest of all
	// it holds (its population, catalog and network).
	Scenario string `json:"scenario"`
	Quoted   string `json:"quoted"`
	// Scale is the server's virtual seconds a second.
	Scale float64 `json:"scale"`
}

// Differs says how a reference's setup differs from s ("" when it does
// not).
func (s Setup) Differs(ref Setup) string {
	var parts []string
	if ref.Scenario != s.Scenario {
		parts = append(parts, fmt.Sprintf("serves %s, this run %s", ref.Scenario, s.Scenario))
	}
	if ref.Quoted != s.Quoted {
		parts = append(parts, fmt.Sprintf("quotes for %s, this run for %s", ref.Quoted, s.Quoted))
	}
	if ref.Scale != s.Scale {
		parts = append(parts, fmt.Sprintf("runs at scale %g, this run at %g", ref.Scale, s.Scale))
	}
	return strings.Join(parts, "; ")
}

// States writes orders by state: "completed 38, failed 2" ("none" when
// there are none).
func States(m map[string]int) string { return counts(m, "%s %d", ", ") }

// counts writes m's counts in the order of their keys, each as format
// says, sep between ("none" when there are none).
func counts(m map[string]int, format, sep string) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, s := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf(format, s, m[s]))
	}
	return strings.Join(parts, sep)
}

// Request is one request of the run as the cost of faults counts it.
type Request struct {
	Due, Answered time.Duration // from the run's start
	OK            bool
	// Status is the answer's status ("201", "503") or why there was none
	// ("transport", "timeout").
	Status string
}

// failsRequests says whether a fault of kind k can make a request to the
// order API fail: a kill (no server), a pause (a request times out) or a
// full disk (a 503) can; a listener's fault or the twin's cannot (the
// hub's deliveries and the NETCONF calls come after the order's answer).
func failsRequests(k Kind) bool {
	switch k {
	case ListenerDown, ListenerSlow, Twin:
		return false
	}
	return true
}

// charged is the hit a request that failed at t is charged to: the
// latest that hit at or before t among those that can fail a request, or
// when none did, the latest at all (-1 before the first hit). Each
// failure is charged to one fault only: an outage that outlasts the next
// fault's hit is still the first one's, and a listener's fault is never
// charged for the kill before it.
func charged(hits []Hit, t time.Duration) int {
	latest := -1
	for i := range hits {
		if seconds(hits[i].AtSeconds) > t {
			break
		}
		if failsRequests(hits[i].Kind) || latest < 0 || !failsRequests(hits[latest].Kind) {
			latest = i
		}
	}
	return latest
}

// Cost fills each hit's cost from the run's requests (in any order): each
// failed request is charged to the fault charged names; the longest
// answer is of the requests due from the hit to the next.
func Cost(hits []Hit, requests []Request) {
	lastFail := make([]time.Duration, len(hits))
	for i := range lastFail {
		lastFail[i] = -1
	}
	for _, r := range requests {
		if r.OK {
			continue
		}
		if i := charged(hits, r.Answered); i >= 0 {
			hits[i].Failed++
			lastFail[i] = max(lastFail[i], r.Answered)
		}
	}
	for i := range hits {
		h := &hits[i]
		from := seconds(h.AtSeconds)
		until := time.Duration(1<<63 - 1)
		if i+1 < len(hits) {
			until = seconds(hits[i+1].AtSeconds)
		}
		held := from + seconds(h.ForSeconds)
		for _, r := range requests {
			if h.ForSeconds > 0 && r.Answered >= from && r.Answered < held && r.Status != "" {
				if h.Answers == nil {
					h.Answers = map[string]int{}
				}
				h.Answers[r.Status]++
			}
			if r.OK && r.Due >= from && r.Due < until {
				h.MaxLatencyMs = max(h.MaxLatencyMs, float64(r.Answered-r.Due)/float64(time.Millisecond))
			}
		}
		if lastFail[i] < 0 {
			continue
		}
		back := lastFail[i]
		for _, r := range requests {
			if r.OK && r.Answered > lastFail[i] && (back == lastFail[i] || r.Answered < back) {
				back = r.Answered
			}
		}
		h.UnavailableSeconds = (back - from).Seconds()
	}
}

// answers writes a hit's answers by status: "201×3 503×12".
func answers(m map[string]int) string { return counts(m, "%s×%d", " ") }

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// WriteText writes the faults, their cost and the verdict.
func (r *Report) WriteText(w io.Writer) error {
	var err error
	p := func(format string, a ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, a...)
		}
	}
	if r.Deployment != "" {
		p("deployment: %s\n", r.Deployment)
	}
	p("faults (seed %d):\n", r.Seed)
	p("  %-18s %8s %8s %9s %12s %7s %12s\n", "fault", "at s", "for s", "restart s", "unavailable", "failed", "max latency")
	for _, h := range r.Faults {
		name := h.Name
		if h.Process != "" {
			name += "@" + h.Process
		}
		p("  %-18s %8.2f %8.2f %9.2f %10.2f s %7d %9.0f ms", name, h.AtSeconds, h.ForSeconds, h.RestartSeconds, h.UnavailableSeconds, h.Failed, h.MaxLatencyMs)
		if h.Kind == DiskFull {
			p("  answers while full %s; ready %.2f s after space returned", answers(h.Answers), h.RecoverSeconds)
			if !h.Recovered {
				p(" (NOT READY AGAIN)")
			}
		}
		if h.Kind == Twin && h.SpentSeconds > 0 {
			p("  its %d calls failed by %.2f s", TwinCalls, h.SpentSeconds)
		}
		if h.Error != "" {
			p("  NOT INJECTED: %s", h.Error)
		}
		p("\n")
	}
	if r.OrderStates == nil {
		p("orders: %d acknowledged; how they ended was not read (the run did not get there)\n", r.Orders)
	} else {
		p("orders: %d acknowledged; at the end %s\n", r.Orders, States(r.OrderStates))
	}
	if len(r.Owed) > 0 {
		owed, total := make([]string, len(r.Owed)), 0
		for i, n := range r.Owed {
			owed[i], total = strconv.Itoa(n), total+n
		}
		by := ""
		if len(r.Owed) > 1 {
			by = " (" + strings.Join(owed, ", ") + " by shard)"
		}
		p("events: %d owed to the listener%s, %d sent to it, repeats included\n", total, by, r.Heard)
	}
	p("verdict:\n")
	for _, c := range r.Verdict.Checks {
		mark := "ok  "
		switch {
		case c.Skipped != "":
			mark = "skip"
		case !c.Pass:
			mark = "FAIL"
		}
		p("  %s %s", mark, c.Name)
		if c.Skipped != "" {
			p(" (%s)", c.Skipped)
		}
		p("\n")
		for _, d := range c.Detail {
			p("       %s\n", d)
		}
		for _, d := range c.Explained {
			p("       explained: %s\n", d)
		}
	}
	if r.Verdict.Pass {
		p("PASS\n")
	} else {
		p("FAIL\n")
	}
	return err
}

// SecondsSlack is how far above the baseline's the unavailability or the
// longest restart may be, whatever the threshold: a restart's time, and
// whether a kill met requests, vary by this much from run to run alike.
const SecondsSlack = 0.5

// Compare lists how r is worse than base by more than threshold (0.2 is
// 20%): the load's figures (load.Compare), and the faults' total
// unavailability and longest restart, each when also worse by more than
// SecondsSlack (a baseline's 0 is no exception).
func Compare(base, r *Report, threshold float64) []load.Regression {
	var out []load.Regression
	if base.Load != nil && r.Load != nil {
		out = load.Compare(base.Load, r.Load, threshold)
	}
	total := func(rep *Report, f func(Hit) float64, fold func(a, b float64) float64) float64 {
		v := 0.0
		for _, h := range rep.Faults {
			v = fold(v, f(h))
		}
		return v
	}
	sum := func(a, b float64) float64 { return a + b }
	for _, fig := range []struct {
		name string
		of   func(Hit) float64
		fold func(a, b float64) float64
	}{
		{"unavailability, all faults", func(h Hit) float64 { return h.UnavailableSeconds }, sum},
		{"longest restart", func(h Hit) float64 { return h.RestartSeconds }, func(a, b float64) float64 { return max(a, b) }},
	} {
		if g, ok := load.Worse(fig.name, total(base, fig.of, fig.fold), total(r, fig.of, fig.fold), threshold, "s"); ok && g.Now-g.Baseline > SecondsSlack {
			out = append(out, g)
		}
	}
	return out
}

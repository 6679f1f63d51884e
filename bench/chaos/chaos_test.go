package chaos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A plan is the seed's: the same seed gives the same faults; they fall in
// the run's middle, in order, never overlapping, and each kind asked for
// comes as often as the others.
func TestPlan(t *testing.T) {
	kinds := []Kind{Kill, Pause, ListenerDown}
	a, err := Plan(7, time.Minute, 21, kinds)
	require.NoError(t, err)
	b, err := Plan(7, time.Minute, 21, kinds)
	require.NoError(t, err)
	assert.Equal(t, a, b, "the same seed, the same plan")
	c, err := Plan(8, time.Minute, 21, kinds)
	require.NoError(t, err)
	assert.NotEqual(t, a, c, "another seed, another plan")
	count := map[Kind]int{}
	for i, f := range a {
		count[f.Kind]++
		assert.GreaterOrEqual(t, f.At, 3*time.Second, "after the run's first twentieth")
		assert.Less(t, f.At+f.For, 48*time.Second, "before its last fifth")
		if i > 0 {
			prev := a[i-1]
			assert.Less(t, prev.At+prev.For, f.At, "%s ends before %s", prev.Name, f.Name)
		}
		if f.Kind == Kill {
			assert.Zero(t, f.For)
		} else {
			assert.Positive(t, f.For)
		}
	}
	assert.Equal(t, map[Kind]int{Kill: 7, Pause: 7, ListenerDown: 7}, count)

	_, err = Plan(1, time.Second, 20, kinds)
	assert.ErrorContains(t, err, "at most one every 200ms")
	_, err = ParseKinds("kill,sigstop")
	assert.ErrorContains(t, err, `fault kind "sigstop": want one of kill, pause`)
	_, err = ParseKinds("kill,pause,kill")
	assert.ErrorContains(t, err, "fault kind kill given twice")
	got, err := ParseKinds("kill, pause")
	require.NoError(t, err)
	assert.Equal(t, []Kind{Kill, Pause}, got)
}

// good is the evidence of a run that lost nothing.
func good() Evidence {
	return Evidence{
		Answered: map[string][]string{"k1": {"PO-1"}, "k2": {"PO-2", "PO-2"}},
		Orders: []Order{
			{ID: "PO-1", ExternalID: "k1", State: "completed", Final: true},
			{ID: "PO-2", ExternalID: "k2", State: "inProgress", Held: "held for capacity"},
		},
		Resources: []Resource{
			{ID: "R1", Type: "VLAN", Value: "2108", State: "active"},
			{ID: "R2", Type: "VLAN", Value: "2108", State: "released"},
			{ID: "R3", Type: "QoSPolicy", Value: "BW-500", State: "active", Shared: true},
			{ID: "R4", Type: "QoSPolicy", Value: "BW-500", State: "active", Shared: true},
			{ID: "R5", Type: "OLTPort", Value: "LC2-P8", State: "reserved"},
			{ID: "R6", Type: "VLAN", Value: "2000", State: "active", Pool: "VLAN-A"},
			{ID: "R7", Type: "VLAN", Value: "2000", State: "active", Pool: "VLAN-B"},
		},
		Journal: []string{"3", "5", "8"},
		Heard:   []string{"3", "5", "4", "5", "8", "3"},
		Outcomes: map[string]Outcome{
			"k1": {State: "completed", Items: map[string]string{"SYD1": "completed", "MEL1": "completed"}},
			"k2": {State: "inProgress", Items: map[string]string{"BNE2": "held"}},
		},
		Reference: map[string]Outcome{
			"k1": {State: "completed", Items: map[string]string{"MEL1": "completed", "SYD1": "completed"}},
			"k2": {State: "inProgress", Items: map[string]string{"BNE2": "held"}},
		},
		Hits: []Hit{
			{Fault: Fault{Kind: Kill, Name: "kill-1"}, RestartSeconds: 0.3},
			{Fault: Fault{Kind: DiskFull, Name: "disk-full-2"}, Answers: map[string]int{"2xx": 3, "503": 12}, Recovered: true, RecoverSeconds: 0.2},
		},
	}
}

func failed(v Verdict) map[string][]string {
	out := map[string][]string{}
	for _, c := range v.Checks {
		if !c.Pass {
			out[c.Name] = c.Detail
		}
	}
	return out
}

// Judge passes a run that lost nothing, and names what is wrong in one
// that did: each fault of a server caught by its own check.
func TestJudge(t *testing.T) {
	v := Judge(good())
	assert.True(t, v.Pass, "%+v", v)
	assert.Len(t, v.Checks, 9)
	for _, c := range v.Checks {
		assert.Empty(t, c.Skipped, c.Name)
	}

	cases := map[string]struct {
		spoil func(*Evidence)
		check string
		says  string
	}{
		"an acknowledged order lost": {func(e *Evidence) { e.Orders = e.Orders[1:] }, CheckOnce, "k1: acknowledged as PO-1, which the server does not list: lost"},
		"an order placed twice": {func(e *Evidence) {
			e.Orders = append(e.Orders, Order{ID: "PO-3", ExternalID: "k1", State: "completed", Final: true})
		}, CheckOnce, "k1: placed 2 times (PO-1, PO-3)"},
		"a re-send answered anew":     {func(e *Evidence) { e.Answered["k2"] = []string{"PO-2", "PO-9"} }, CheckResend, "k2: first answered PO-2, then PO-9"},
		"an order stuck":              {func(e *Evidence) { e.Orders[1].Held = "" }, CheckEnded, "PO-2 (k2) is inProgress, neither ended nor held for a reason"},
		"a VLAN held twice":           {func(e *Evidence) { e.Resources[1].State = "active" }, CheckTwice, "VLAN 2108 is held by R1 and R2"},
		"a VLAN held twice in a pool": {func(e *Evidence) { e.Resources[6].Pool = "VLAN-A" }, CheckTwice, "VLAN 2000 of VLAN-A is held by R6 and R7"},
		"a reservation left":          {func(e *Evidence) { e.Orders[1].Final, e.Orders[1].State = true, "partial" }, CheckLeaked, "R5 (OLTPort LC2-P8) is still reserved, every order having ended"},
		"orders refused":              {func(e *Evidence) { e.Unanswered = []string{"15 orders: 400"} }, CheckAcked, "15 orders: 400"},
		"no order sent":               {func(e *Evidence) { e.Answered = nil; e.Orders = nil; e.Resources = nil }, CheckAcked, "the run sent no order"},
		"an event never delivered":    {func(e *Evidence) { e.Heard = []string{"3", "8"} }, CheckDelivered, "event 5 was never delivered"},
		"events out of order":         {func(e *Evidence) { e.Heard = []string{"5", "3", "8"} }, CheckDelivered, "out of order: event 1 of the journal is 3, the listener's 1 was 5"},
		"a full disk answered 500": {func(e *Evidence) { e.Hits[1].Answers["500"] = 2 }, CheckDiskFull,
			"disk-full-2: 2 answers 500 while the disk was full (want 201, or 503 the store cannot write)"},
		"a full disk unanswered": {func(e *Evidence) { e.Hits[1].Answers["timeout"] = 1 }, CheckDiskFull,
			"disk-full-2: 1 answers timeout while the disk was full (want 201, or 503 the store cannot write)"},
		"a full disk never recovered": {func(e *Evidence) { e.Hits[1].Recovered, e.Hits[1].RecoverSeconds = false, 30 }, CheckDiskFull,
			"disk-full-2: the server was not ready again 30 s after space came back"},
		"an order ended otherwise": {func(e *Evidence) {
			e.Outcomes["k1"] = Outcome{State: "failed", Items: map[string]string{"SYD1": "completed", "MEL1": "failed"}}
		}, CheckOutcome, "k1: failed, not completed; item MEL1 failed, not completed"},
		"an order rejected otherwise": {func(e *Evidence) {
			e.Outcomes["k1"] = Outcome{State: "rejected", Reason: "quote QT-1 is expired", Items: map[string]string{"SYD1": "rejected", "MEL1": "rejected"}}
		}, CheckOutcome, "k1: rejected (quote QT-1 is expired), not completed; item MEL1 rejected, not completed; item SYD1 rejected, not completed"},
		"an item missing": {func(e *Evidence) {
			e.Outcomes["k1"] = Outcome{State: "completed", Items: map[string]string{"SYD1": "completed", "PER1": "completed"}}
		}, CheckOutcome, "k1: item MEL1 missing, not completed; item PER1 completed, not there"},
		"an order the uninterrupted run did not place": {func(e *Evidence) { delete(e.Reference, "k2") }, CheckOutcome,
			"k2: inProgress here, not placed in the uninterrupted run"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ev := good()
			c.spoil(&ev)
			v := Judge(ev)
			assert.False(t, v.Pass)
			assert.Equal(t, map[string][]string{c.check: {c.says}}, failed(v))
		})
	}

	ev := good()
	ev.Journal = nil
	v = Judge(ev)
	assert.True(t, v.Pass)
	assert.Equal(t, "the run does not own the server's journal", v.Checks[6].Skipped)

	ev = good()
	ev.Hits, ev.Reference = ev.Hits[:1], nil
	v = Judge(ev)
	assert.True(t, v.Pass)
	assert.Equal(t, "the run filled no disk", v.Checks[7].Skipped)
	assert.Equal(t, "no uninterrupted run to compare with", v.Checks[8].Skipped)
}

// An order that ends otherwise than in the uninterrupted run fails the
// run, whatever the kill, pause, full disk or listener fault; a fault of
// the twin explains it, and the difference is listed all the same.
func TestOutcomeExplained(t *testing.T) {
	ev := good()
	ev.Outcomes["k1"] = Outcome{State: "failed", Items: map[string]string{"SYD1": "completed", "MEL1": "failed"}}
	for _, k := range []Kind{Kill, Pause, DiskFull, ListenerDown, ListenerSlow} {
		ev.Hits = []Hit{{Fault: Fault{Kind: k, Name: string(k) + "-1"}, Recovered: true}}
		assert.False(t, Judge(ev).Pass, "%s explains nothing", k)
	}
	ev.Hits = []Hit{{Fault: Fault{Kind: Twin, Name: "twin-1"}, Error: "refused"}}
	assert.False(t, Judge(ev).Pass, "a twin fault not injected explains nothing")
	ev.Hits = []Hit{{Fault: Fault{Kind: Kill, Name: "kill-1"}}, {Fault: Fault{Kind: Twin, Name: "twin-2"}}}
	v := Judge(ev)
	assert.True(t, v.Pass)
	c := v.Checks[8]
	assert.Equal(t, CheckOutcome, c.Name)
	assert.Empty(t, c.Detail)
	assert.Equal(t, []string{"k1: failed, not completed; item MEL1 failed, not completed", "(the twin faults twin-2 may explain these)"}, c.Explained)
}

// A fault's cost: the requests that failed from its hit to the next, how
// long until one was answered well again, and the longest answer.
func TestCost(t *testing.T) {
	s := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	hits := []Hit{{AtSeconds: 10}, {AtSeconds: 20}, {AtSeconds: 30}}
	Cost(hits, []Request{
		{Due: s(9), Answered: s(9.01), OK: true},
		{Due: s(9.9), Answered: s(10.5), OK: false}, // cut by the first
		{Due: s(10.2), Answered: s(11), OK: false},
		{Due: s(10.3), Answered: s(12.5), OK: true},
		{Due: s(12), Answered: s(12.2), OK: true},
		{Due: s(21), Answered: s(21.4), OK: true},
	})
	assert.Equal(t, 2, hits[0].Failed)
	assert.InDelta(t, 2.2, hits[0].UnavailableSeconds, 1e-9, "from the hit to 12.2 s, the first good answer after the last failure")
	assert.InDelta(t, 2200, hits[0].MaxLatencyMs, 1e-6)
	assert.Zero(t, hits[1].Failed)
	assert.Zero(t, hits[1].UnavailableSeconds)
	assert.InDelta(t, 400, hits[1].MaxLatencyMs, 1e-6)
	assert.Zero(t, hits[2].MaxLatencyMs)

	// A held fault (a full disk) counts the answers given while held.
	full := []Hit{{Fault: Fault{Kind: DiskFull}, AtSeconds: 10, ForSeconds: 1}}
	Cost(full, []Request{
		{Due: s(9.5), Answered: s(9.9), OK: true, Status: "2xx"},
		{Due: s(10.1), Answered: s(10.2), OK: true, Status: "2xx"},
		{Due: s(10.3), Answered: s(10.4), Status: "503"},
		{Due: s(10.4), Answered: s(10.5), Status: "503"},
		{Due: s(10.9), Answered: s(11.2), OK: true, Status: "2xx"},
	})
	assert.Equal(t, map[string]int{"2xx": 1, "503": 2}, full[0].Answers)
	assert.Equal(t, 2, full[0].Failed)
	assert.InDelta(t, 1.2, full[0].UnavailableSeconds, 1e-9)
}

// Each failed request is charged to one fault: the latest that hit before
// it failed and can fail a request. An outage that outlasts the next
// fault's hit stays the first one's; a listener's fault is never charged
// for a kill, before or after it.
func TestCostChargesOneFault(t *testing.T) {
	s := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	hits := []Hit{
		{Fault: Fault{Kind: ListenerDown}, AtSeconds: 1, ForSeconds: 0.5},
		{Fault: Fault{Kind: Kill}, AtSeconds: 3},
	}
	Cost(hits, []Request{
		{Due: s(1.2), Answered: s(1.21), OK: true},
		{Due: s(2.9), Answered: s(3.05), Status: "transport"}, // due before the kill, failed after it
		{Due: s(3.1), Answered: s(3.2), Status: "transport"},
		{Due: s(3.3), Answered: s(3.6), OK: true},
	})
	assert.Zero(t, hits[0].Failed, "the listener down failed nothing")
	assert.Zero(t, hits[0].UnavailableSeconds)
	assert.Equal(t, 2, hits[1].Failed)
	assert.InDelta(t, 0.6, hits[1].UnavailableSeconds, 1e-9)

	// A kill whose restart outlasts the listener fault that follows keeps
	// its outage; the pause after both is charged what fails after it.
	hits = []Hit{
		{Fault: Fault{Kind: Kill}, AtSeconds: 10},
		{Fault: Fault{Kind: ListenerDown}, AtSeconds: 11, ForSeconds: 0.5},
		{Fault: Fault{Kind: Pause}, AtSeconds: 20, ForSeconds: 3},
	}
	Cost(hits, []Request{
		{Due: s(10.5), Answered: s(10.6), Status: "transport"},
		{Due: s(11.2), Answered: s(11.3), Status: "transport"},
		{Due: s(11.4), Answered: s(11.5), OK: true},
		{Due: s(20.1), Answered: s(22.1), Status: "timeout"},
		{Due: s(22.2), Answered: s(23.5), OK: true},
	})
	assert.Equal(t, []int{2, 0, 1}, []int{hits[0].Failed, hits[1].Failed, hits[2].Failed})
	assert.InDelta(t, 1.5, hits[0].UnavailableSeconds, 1e-9)
	assert.Zero(t, hits[1].UnavailableSeconds)
	assert.InDelta(t, 3.5, hits[2].UnavailableSeconds, 1e-9)
}

// A run is worse than its baseline when its total unavailability or its
// longest restart is, by more than the threshold; one that was 0 is worse
// by any amount.
func TestCompareFaults(t *testing.T) {
	run := func(unavailable, restart float64) *Report {
		return &Report{Faults: []Hit{
			{Fault: Fault{Kind: Kill}, RestartSeconds: restart, UnavailableSeconds: unavailable},
			{Fault: Fault{Kind: DiskFull}, UnavailableSeconds: unavailable},
		}}
	}
	assert.Empty(t, Compare(run(1, 1), run(1.1, 1.1), 0.2))
	worse := Compare(run(1, 1), run(1.5, 1.5), 0.2)
	require.Len(t, worse, 2)
	assert.Equal(t, "unavailability, all faults 3.00 s against the baseline's 2.00 s: 50% worse", worse[0].String())
	assert.Equal(t, "longest restart", worse[1].Figure)

	assert.Empty(t, Compare(run(0, 0), run(0, 0), 0.2))
	worse = Compare(run(0, 0.4), run(0.95, 0.4), 0.2)
	require.Len(t, worse, 1, "no unavailability before, 0.95 s now")
	assert.Equal(t, "unavailability, all faults: 1.90 s against the baseline's 0 s", worse[0].String())
	worse = Compare(&Report{}, run(0, 0.5), 0.2)
	require.Len(t, worse, 1)
	assert.Equal(t, "longest restart", worse[0].Figure)
}

package chaos

import (
	"fmt"
	"strings"
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
		Journals: [][]string{{"3", "5", "8"}},
		Heard:    []string{"3", "5", "4", "5", "8", "3"},
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
	assert.Len(t, v.Checks, 10)
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
		"a fault not injected": {func(e *Evidence) { e.Hits[0].Error = "kill: no such process" }, CheckInjected,
			"kill-1 was not injected: kill: no such process"},
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
	ev.Journals = nil
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
	assert.Equal(t, map[string][]string{
		CheckOutcome:  {"k1: failed, not completed; item MEL1 failed, not completed"},
		CheckInjected: {"twin-1 was not injected: refused"},
	}, failed(Judge(ev)), "a twin fault not injected explains nothing, and fails the run")
	ev.Hits = []Hit{{Fault: Fault{Kind: Kill, Name: "kill-1"}, AtSeconds: 1}, {Fault: Fault{Kind: Twin, Name: "twin-2"}, AtSeconds: 5, SpentSeconds: 5.2}}
	ev.Flights = map[string]Flight{"k1": {Sent: 4 * time.Second, Ended: 9 * time.Second}, "k2": {Sent: 4100 * time.Millisecond}}
	v := Judge(ev)
	assert.True(t, v.Pass)
	c := v.Checks[8]
	assert.Equal(t, CheckOutcome, c.Name)
	assert.Empty(t, c.Detail)
	assert.Equal(t, []string{"k1: failed, not completed; item MEL1 failed, not completed (the twin fault twin-2 may have failed one of its calls)"}, c.Explained)
}

// A twin fault fails the next TwinCalls NETCONF calls to the access
// network, each one item's: it explains only an order in flight from its
// injection to its last failed call, only a difference in how items ended,
// and at most TwinCalls orders. A kill's damage in a run with twin faults
// too is not excused. (docs/load.md, "Each order's outcome against an
// uninterrupted run".)
func TestOutcomeExplainedOnlyWhereATwinFaultReached(t *testing.T) {
	s := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	completed := Outcome{State: "completed", Items: map[string]string{"S01": "completed", "S02": "completed"}}
	failedAt := func(site string) Outcome {
		o := Outcome{State: "failed", Items: map[string]string{"S01": "completed", "S02": "completed"}}
		o.Items[site] = "failed"
		return o
	}
	twin := Hit{Fault: Fault{Kind: Twin, Name: "twin-2"}, AtSeconds: 5, SpentSeconds: 5.5}
	kill := Hit{Fault: Fault{Kind: Kill, Name: "kill-1"}, AtSeconds: 2}
	evidence := func(outcomes map[string]Outcome, flights map[string]Flight, hits ...Hit) Evidence {
		ev := Evidence{Outcomes: outcomes, Reference: map[string]Outcome{}, Flights: flights, Hits: hits}
		for key := range outcomes {
			ev.Reference[key] = completed
			ev.Orders = append(ev.Orders, Order{ID: "PO-" + key, ExternalID: key, State: outcomes[key].State, Final: true})
		}
		return ev
	}
	outcome := func(ev Evidence) Check { return Judge(ev).Checks[8] }

	// The kill (at 2 s) failed k1, sent at 1 s and ended at 3 s, before
	// the twin fault: not excused. k2, in flight at 5 s, is.
	c := outcome(evidence(map[string]Outcome{"k1": failedAt("S01"), "k2": failedAt("S02")},
		map[string]Flight{"k1": {Sent: s(1), Ended: s(3)}, "k2": {Sent: s(4.9), Ended: s(7)}}, kill, twin))
	assert.False(t, c.Pass)
	assert.Equal(t, []string{"k1: failed, not completed; item S01 failed, not completed (no twin fault failed a call while it was in flight)"}, c.Detail)
	assert.Equal(t, []string{"k2: failed, not completed; item S02 failed, not completed (the twin fault twin-2 may have failed one of its calls)"}, c.Explained)

	// An order sent after the fault's last failed call: not excused.
	c = outcome(evidence(map[string]Outcome{"k3": failedAt("S01")}, map[string]Flight{"k3": {Sent: s(5.6)}}, twin))
	assert.Equal(t, []string{"k3: failed, not completed; item S01 failed, not completed (no twin fault failed a call while it was in flight)"}, c.Detail)
	// … unless its reason names the fault.
	hit := failedAt("S01")
	hit.Reason = "chaos: NETCONF session dropped (fault twin-2) (after 3 attempts)"
	c = outcome(evidence(map[string]Outcome{"k3": hit}, map[string]Flight{"k3": {Sent: s(5.6)}}, twin))
	assert.True(t, c.Pass, "%v", c.Detail)

	// Five orders in flight differ, the fault failed three calls: two of
	// them are not explained.
	outcomes, flights := map[string]Outcome{}, map[string]Flight{}
	for i := 1; i <= 5; i++ {
		key := fmt.Sprintf("k%d", i)
		outcomes[key], flights[key] = failedAt("S01"), Flight{Sent: s(4.5)}
	}
	c = outcome(evidence(outcomes, flights, twin))
	assert.False(t, c.Pass)
	assert.Len(t, c.Explained, TwinCalls)
	require.Len(t, c.Detail, 2)
	assert.Contains(t, c.Detail[0], "(more orders differ than the twin faults of its time failed calls: 3 each)")

	// An order with other items than the reference's (another scenario's
	// reference): no twin fault changes which items an order has.
	other := Outcome{State: "completed", Items: map[string]string{"S01": "completed", "S02": "completed", "S03": "completed"}}
	c = outcome(evidence(map[string]Outcome{"k1": other}, map[string]Flight{"k1": {Sent: s(5)}}, twin))
	assert.Equal(t, []string{"k1: item S03 completed, not there (a twin fault changes how items end, not which an order has, nor whether it is placed)"}, c.Detail)

	// Two twin faults explain three orders each: k1 to k3 in reach of
	// both, k4 to k6 sent after twin-2's last failed call; the first three
	// go to twin-2 so that twin-1 has a call for each of the others.
	first := Hit{Fault: Fault{Kind: Twin, Name: "twin-1"}, AtSeconds: 1, SpentSeconds: 9}
	outcomes, flights = map[string]Outcome{}, map[string]Flight{}
	for i := 1; i <= 6; i++ {
		key := fmt.Sprintf("k%d", i)
		outcomes[key], flights[key] = failedAt("S02"), Flight{Sent: s(4.8)}
		if i > 3 {
			flights[key] = Flight{Sent: s(6)}
		}
	}
	c = outcome(evidence(outcomes, flights, first, twin))
	assert.True(t, c.Pass, "%v", c.Detail)
	require.Len(t, c.Explained, 6)
	for i, e := range c.Explained {
		assert.Equal(t, i < 3, strings.Contains(e, "twin-2"), e)
	}
}

// A settle time that ran out before the orders could end says so, and
// suggests a longer one: the orders still under way are not the server's
// fault, their events not yet delivered are not lost, and their ends are
// not compared. The run does not pass: it proved nothing about them.
func TestSettleRanOut(t *testing.T) {
	ev := good()
	ev.Orders[1].Held = ""
	ev.Orders[1].State = "acknowledged"
	ev.Outcomes["k2"] = Outcome{State: "acknowledged", Items: map[string]string{"BNE2": "acknowledged"}}
	ev.Heard = []string{"3", "5"}
	ev.Unsettled = 2 * time.Second
	v := Judge(ev)
	assert.False(t, v.Pass)
	assert.Equal(t, map[string][]string{CheckEnded: {
		"the settle time (2s) ran out before 1 orders could end: give a longer --settle",
		"PO-2 (k2) is acknowledged: not ended yet",
	}}, failed(v))
	assert.Equal(t, []string{"1 events had not reached the listener when the settle time (2s) ran out: not judged"}, v.Checks[6].Explained)
	assert.Equal(t, []string{"k2: acknowledged, not compared: it had not ended when the settle time ran out"}, v.Checks[8].Explained)

	ev.Unsettled = 0 // the same orders, the settle time not run out: the server's fault
	assert.Equal(t, []string{"PO-2 (k2) is acknowledged, neither ended nor held for a reason"}, failed(Judge(ev))[CheckEnded])
	assert.Equal(t, []string{"event 8 was never delivered"}, failed(Judge(ev))[CheckDelivered])
}

// A deployment of several shards owes each shard's journal: an event id
// is one shard's, and the hub keeps the order of each shard's events, not
// of the deployment's (two shards' engines commit apart). Interleaved
// shards pass; a shard's events out of its order, or one never
// delivered, fail naming the shard.
func TestDeliveredPerShard(t *testing.T) {
	ev := good()
	ev.Journals = [][]string{{"0", "2", "4"}, {"1", "3"}}
	ev.Heard = []string{"1", "0", "3", "2", "1", "4"}
	assert.True(t, Judge(ev).Pass)

	ev.Heard = []string{"0", "3", "2", "1", "4"}
	assert.Equal(t, []string{"out of order: event 1 of the journal of shard 1 is 1, the listener's 1 was 3"}, failed(Judge(ev))[CheckDelivered])
	ev.Heard = []string{"0", "1", "2", "4"}
	assert.Equal(t, []string{"event 3 of shard 1 was never delivered"}, failed(Judge(ev))[CheckDelivered])
}

// A reference's setup is compared with the run's: another scenario (by
// its digest), another one quoted for, another scale, each named.
func TestSetupDiffers(t *testing.T) {
	run := Setup{Scenario: `"Population" (digest 01)`, Quoted: `"Population" (digest 01)`, Scale: 1e6}
	assert.Empty(t, run.Differs(run))
	ref := run
	ref.Scenario, ref.Quoted, ref.Scale = `"Population" (digest 02)`, `"Population" (digest 02)`, 1000
	assert.Equal(t, `serves "Population" (digest 02), this run "Population" (digest 01); `+
		`quotes for "Population" (digest 02), this run for "Population" (digest 01); runs at scale 1000, this run at 1e+06`, run.Differs(ref))
}

// The report writes orders by state in words, and an interrupted run's
// acknowledged orders without the ends it did not read.
func TestReportOrders(t *testing.T) {
	var b strings.Builder
	r := &Report{Orders: 42, OrderStates: map[string]int{"failed": 2, "completed": 40}}
	require.NoError(t, r.WriteText(&b))
	assert.Contains(t, b.String(), "orders: 42 acknowledged; at the end completed 40, failed 2\n")
	b.Reset()
	r = &Report{Orders: 12}
	require.NoError(t, r.WriteText(&b))
	assert.Contains(t, b.String(), "orders: 12 acknowledged; how they ended was not read (the run did not get there)\n")
	assert.Equal(t, "none", States(nil))
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
// longest restart is, by more than the threshold and by more than half a
// second (a restart's noise); one that was 0 is worse by any amount above
// that.
func TestCompareFaults(t *testing.T) {
	run := func(unavailable, restart float64) *Report {
		return &Report{Faults: []Hit{
			{Fault: Fault{Kind: Kill}, RestartSeconds: restart, UnavailableSeconds: unavailable},
			{Fault: Fault{Kind: DiskFull}, UnavailableSeconds: unavailable},
		}}
	}
	assert.Empty(t, Compare(run(1, 1), run(1.1, 1.1), 0.2))
	worse := Compare(run(1, 1), run(1.6, 1.6), 0.2)
	require.Len(t, worse, 2)
	assert.Equal(t, "unavailability, all faults 3.20 s against the baseline's 2.00 s: 60% worse", worse[0].String())
	assert.Equal(t, "longest restart", worse[1].Figure)
	assert.Empty(t, Compare(run(0.05, 0.12), run(0.2, 0.17), 0.2), "a run alike: 41% and more, but within half a second")

	assert.Empty(t, Compare(run(0, 0), run(0, 0), 0.2))
	worse = Compare(run(0, 0.4), run(0.95, 0.4), 0.2)
	require.Len(t, worse, 1, "no unavailability before, 0.95 s now")
	assert.Equal(t, "unavailability, all faults: 1.90 s against the baseline's 0 s", worse[0].String())
	worse = Compare(&Report{}, run(0, 0.6), 0.2)
	require.Len(t, worse, 1)
	assert.Equal(t, "longest restart", worse[0].Figure)
}

package scenarios

import (
	"testing"

	"github.com/ordertwin/ordertwin/twin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func withFaults(t *testing.T, rules ...twin.FaultRule) *Report {
	t.Helper()
	sc := load(t, globaltech)
	sc.Expect = nil
	sc.Spec.Faults = rules
	return run(t, sc)
}

// Faults as data reach the core through the twin, and the report lists
// every rule with its hits.
func TestFaultApprovalRejected(t *testing.T) {
	r := withFaults(t, twin.FaultRule{Name: "cfo-says-no", Kind: twin.ApprovalReject,
		Target: twin.FaultTarget{System: "workflow", Stage: "commercial"}, Message: "discount not authorised"})
	assert.Equal(t, "rejected", r.Quote.State)
	assert.Equal(t, "commercial review: discount not authorised", r.Quote.Reason)
	assert.Equal(t, "rejected", r.Outcome)
	assert.Equal(t, []FaultRow{{Name: "cfo-says-no", Kind: "approvalReject", Hits: 1}}, r.Faults)
}

func TestFaultCreditRefused(t *testing.T) {
	r := withFaults(t, twin.FaultRule{Name: "credit", Kind: twin.CreditRefuse, Target: twin.FaultTarget{System: "credit"},
		Message: "account under review"})
	assert.Equal(t, "rejected", r.Outcome)
	assert.Equal(t, "credit check: account under review", r.ProductOrders[0].Items[0].StateReason)
}

// A pilot probe that measures over the Gold thresholds holds the later
// waves (seed: the pilot gate includes SLA validation).
func TestFaultPilotSLABreach(t *testing.T) {
	r := withFaults(t, twin.FaultRule{Name: "pilot-breach", Kind: twin.SLABreach,
		Target:  twin.FaultTarget{System: "nms", Op: "commit", Site: "MELB"},
		Measure: &twin.Measurement{LatencyMs: 18, LossPct: 0.2, Availability: 99.5}})
	assert.Equal(t, "inProgress", r.Outcome)
	require.Len(t, r.ServiceOrders, 1)
	assert.Equal(t, 1, r.Faults[0].Hits)
	// The held gate raises a jeopardy at once; the waves behind it miss
	// their targets, and each raises one then (TMF641 v4.1 jeopardyAlert).
	assert.Equal(t, []JeopardyRow{
		{At: "P5D", Entity: "PO-2024-01203/Pilot", Type: "slaValidation", Message: "SLA validation failed: MELB: latency 18ms over 10ms"},
		{At: "P14D", Entity: "PO-2024-01203/Pilot", Type: "deadline", Message: "SO-PILOT is held at its target P14D"},
		{At: "P30D", Entity: "PO-2024-01203/Wave 1", Type: "deadline", Message: "SO-WAVE1 is scheduled at its target P30D"},
		{At: "P45D", Entity: "PO-2024-01203/Wave 2", Type: "deadline", Message: "SO-WAVE2 is scheduled at its target P45D"},
	}, r.Jeopardies)
}

// A hard NETCONF error on one site's VLAN fails that site's items, with the
// fault named in the reason; the rule counts one hit.
func TestFaultHardError(t *testing.T) {
	r := withFaults(t, twin.FaultRule{Name: "bng-reject", Kind: twin.Hard,
		Target: twin.FaultTarget{System: "vlan", Op: "reserve", Site: "MELB"}})
	roi := r.ResourceOrders[0].Items[1]
	assert.Equal(t, "failed", roi.State)
	assert.Contains(t, roi.StateReason, "fault bng-reject")
	assert.Equal(t, 1, r.Faults[0].Hits)
}

// faultHits expectations name rules of the scenario.
func TestFaultHitsExpectation(t *testing.T) {
	e := &Expectations{FaultHits: map[string]int{"nope": 1}}
	assert.ErrorContains(t, e.check(nil), `no fault rule "nope"`)
	r := &Report{Faults: []FaultRow{{Name: "x", Hits: 2}}}
	out := (&Expectations{FaultHits: map[string]int{"x": 3}}).Evaluate(r)
	assert.Equal(t, []string{"faultHits.x: want 3, got 2"}, out.Failed)
}

// Permanent failure of a site (docs/architecture.md, issue: failure handling): the
// failure policy compensates it — its reserved and committed resources are
// released, its items fail with the reason — and the other sites carry on.
// Wave 1 ends partial with one site in service, so Wave 2 still goes; the
// order ends partial once everything is final.
func TestSiteCompensated(t *testing.T) {
	r := withFaults(t, twin.FaultRule{Name: "syd1-vlan", Kind: twin.Hard,
		Target: twin.FaultTarget{System: "vlan", Op: "reserve", Site: "SYD1"}})
	assert.Equal(t, "partial", r.Outcome)
	assert.Equal(t, "P35D", r.FinishedAt)
	for _, it := range r.ProductOrders[0].Items {
		if it.Site == "SYD1" {
			assert.Equal(t, "failed", it.State)
			assert.Contains(t, it.StateReason, "fault syd1-vlan")
		} else {
			assert.Equal(t, "completed", it.State, it.Site)
		}
	}
	assert.Equal(t, 7200.0, r.Billing.Monthly, "four sites bill")
	for _, res := range r.Resources {
		if res.Site == "SYD1" {
			assert.Equal(t, "released", res.State, "%s %s leaks", res.Type, res.Value)
		} else {
			assert.Equal(t, "active", res.State)
		}
	}
	states := map[string]string{}
	for _, so := range r.ServiceOrders {
		states[so.Name] = so.State
	}
	assert.Equal(t, map[string]string{"SO-PILOT": "completed", "SO-WAVE1": "partial", "SO-WAVE2": "completed"}, states)
	assert.True(t, r.hasRow(StateExpect{Entity: "RO-002", State: "compensating"}))
}

// Transient errors are retried with backoff; when the retries run out the
// site is compensated.
func TestRetriesExhausted(t *testing.T) {
	r := withFaults(t, twin.FaultRule{Name: "olt-down", Kind: twin.Down,
		Target: twin.FaultTarget{System: "access", Site: "MELB"}})
	retries := 0
	for _, row := range r.Timeline {
		if row.Kind == "retry" {
			retries++
			assert.Equal(t, "ROI-001", row.Entity)
		}
	}
	assert.Equal(t, 3, retries, "4 attempts in all")
	assert.Equal(t, 4, r.Faults[0].Hits)
	roi := r.ResourceOrders[0].Items[0]
	assert.Equal(t, "failed", roi.State)
	assert.Equal(t, "element down (fault olt-down) (after 4 attempts)", roi.StateReason)
	// Failures at T+4h, T+4h10m and T+4h30m; the next try 10m, 20m, 40m later.
	assert.True(t, r.hasRow(StateExpect{Entity: "ROI-001", State: "attempt 4", At: "PT4H30M"}))
	assert.True(t, r.hasRow(StateExpect{Entity: "RO-001", State: "compensating", At: "PT5H10M"}))
}

// A CE router that fails its ZTP boot is booted again (transient: retry),
// without being shipped again.
func TestZTPBootRetried(t *testing.T) {
	r := withFaults(t, twin.FaultRule{Name: "no-config", Kind: twin.ZTPBootFailure, Target: twin.FaultTarget{Site: "MELB"}, First: 1})
	assert.Equal(t, "completed", r.Outcome)
	assert.Equal(t, 1, r.Faults[0].Hits)
	cpe := r.ResourceOrders[0].Items[5]
	assert.Equal(t, "completed", cpe.State)
	assert.Equal(t, "P5DT1H10M", cpe.CompletedAt, "the boot failed at T+5d, retried 10m later, booted in 1h")
	shipped := 0
	for _, row := range r.Timeline {
		if row.Entity == "SHP-006" && row.State == "inTransit" {
			shipped++
		}
	}
	assert.Equal(t, 1, shipped, "shipped once")
}

// A rule with a trigger waits for it (docs/architecture.md §6: "after: SO-PILOT
// completed"): the pilot's VLANs are untouched, Wave 1's fail.
func TestFaultAfterTrigger(t *testing.T) {
	r := withFaults(t, twin.FaultRule{Name: "after-pilot", Kind: twin.Hard, After: "SO-PILOT completed",
		Target: twin.FaultTarget{System: "vlan", Op: "reserve"}, First: 1})
	assert.Equal(t, 1, r.Faults[0].Hits)
	assert.Equal(t, "completed", site(r, "MELB").State)
	failed := 0
	for _, it := range r.ProductOrders[0].Items {
		if it.State == "failed" {
			failed++
			assert.Contains(t, it.StateReason, "fault after-pilot")
			assert.Contains(t, []string{"SYD1", "SYD2"}, it.Site)
		}
	}
	assert.Equal(t, 1, failed)
}

func TestFaultAfterMustNameAState(t *testing.T) {
	assert.ErrorContains(t, twin.CheckFaults([]twin.FaultRule{{Name: "x", Kind: twin.Hard, After: "SO-PILOT"}}), `after "SO-PILOT"`)
}

// A CE router that arrives damaged is written off and replaced.
func TestDamagedCPE(t *testing.T) {
	r := withFaults(t, twin.FaultRule{Name: "dropped", Kind: twin.DamagedCPE, Target: twin.FaultTarget{Site: "BNE1"}, First: 1})
	assert.Equal(t, "completed", r.Outcome)
	assert.True(t, r.hasRow(StateExpect{Entity: "ROI-024 shipment", State: "damaged"}))
	assert.True(t, r.hasRow(StateExpect{Entity: "ROI-024", State: "replacement 1"}))
	lost := 0
	for _, res := range r.Resources {
		if res.Site == "BNE1" && res.Type == "CPE" && res.State == "lost" {
			lost++
		}
	}
	assert.Equal(t, 1, lost)
}

// A site held for capacity has a deadline, its wave's target: still held
// then (nobody built the capacity), it raises a jeopardy alert; built in
// time, it raises none.
func TestHeldSiteDeadline(t *testing.T) {
	sc := load(t, "brisbane-capacity.yaml")
	sc.Expect = nil
	sc.Spec.Events = nil // network planning never builds the line card
	r := run(t, sc)
	assert.Equal(t, "inProgress", r.Outcome)
	var held []JeopardyRow
	for _, j := range r.Jeopardies {
		if j.Entity == "POI-005" {
			held = append(held, j)
		}
	}
	require.Len(t, held, 1)
	assert.Equal(t, "P45D", held[0].At)
	assert.Equal(t, "deadline", held[0].Type)
	assert.Contains(t, held[0].Message, "BNE2 is still held at its wave's target P45D (resource exhaustion")
	assert.Contains(t, held[0].Message, "TASK-001 is requested")

	r = run(t, load(t, "brisbane-capacity.yaml"))
	for _, j := range r.Jeopardies {
		assert.NotEqual(t, "POI-005", j.Entity, "capacity came at P25D, before the target")
	}
}

// A resource order item still in progress at its step's catalog deadline
// raises a jeopardy alert (and changes nothing: the site completes).
func TestStepDeadline(t *testing.T) {
	r := withFaults(t, twin.FaultRule{Name: "slow-bng", Kind: twin.Latency, Factor: 40,
		Target: twin.FaultTarget{System: "bng", Op: "commit", ResourceType: "QoSPolicy", Site: "MELB"}})
	assert.Equal(t, "completed", r.Outcome)
	var alerts []JeopardyRow
	for _, j := range r.Jeopardies {
		if j.Type == "deadline" {
			alerts = append(alerts, j)
		}
	}
	require.Len(t, alerts, 1)
	assert.Equal(t, "ROI-004", alerts[0].Entity)
	assert.Equal(t, "P1DT5H", alerts[0].At, "the QoS step started at T+5h, with the bearer done; its deadline is 24h")
	assert.Equal(t, "ROI-004 (RFS:QoS-Policy, MELB) is still inProgress P1D after it started", alerts[0].Message)
}

// An event with a trigger happens its `at` after an entity reaches a state:
// here network planning builds the line card 10 days after its task is
// raised. A trigger that never comes leaves the event out.
func TestEventAfterTrigger(t *testing.T) {
	sc := load(t, "brisbane-capacity.yaml")
	sc.Expect = nil
	require.Len(t, sc.Spec.Events, 1)
	sc.Spec.Events[0].At, sc.Spec.Events[0].After = 10*day, "TASK-001 requested"
	r := run(t, sc)
	assert.Equal(t, "completed", r.Outcome)
	assert.True(t, r.hasRow(StateExpect{Entity: "network", State: "expanded", At: "P10DT2H"}))
	assert.True(t, r.hasRow(StateExpect{Entity: "TASK-001", State: "fulfilled", At: "P10DT2H"}))

	sc = load(t, "brisbane-capacity.yaml")
	sc.Expect = nil
	sc.Spec.Events[0].After = "TASK-009 requested"
	r = run(t, sc)
	assert.Equal(t, "inProgress", r.Outcome, "no line card: BNE2 stays held")
	assert.False(t, r.hasRow(StateExpect{Entity: "network", State: "expanded"}))
}

func TestEventAfterMustNameAState(t *testing.T) {
	_, err := EventSpec{At: "P1D", Kind: "remediate", Wave: "Pilot", After: "SO-PILOT"}.build(nil)
	assert.ErrorContains(t, err, `after "SO-PILOT": want an entity and a state`)
}

// A line card for a slot that is taken is not built, and the timeline
// says why: in the network file, the scenario is refused at load; taken by
// an expansion since (an earlier event, an operator's), the event is
// refused when it comes, naming the slot, and the run goes on.
func TestLineCardForATakenSlot(t *testing.T) {
	sc := load(t, "brisbane-capacity.yaml")
	_, err := EventSpec{At: "P25D", Kind: "addLineCard", OLT: "OLT-BNE-07", Slot: 1, Ports: 16}.build(sc.Spec.Network)
	assert.ErrorContains(t, err, "slot: OLT-BNE-07 has a line card in slot 1 already (the network's)")

	sc = load(t, "brisbane-capacity.yaml")
	sc.Expect = nil
	again := sc.Spec.Events[0]
	again.At += day
	sc.Spec.Events = append(sc.Spec.Events, again)
	r := run(t, sc)
	assert.Equal(t, "completed", r.Outcome)
	network := networkRows(r)
	require.Len(t, network, 2)
	assert.Equal(t, "expanded", network[0].State)
	assert.Equal(t, TimelineRow{At: "P26D", Entity: "network", Kind: "network", System: "Network", State: "refused",
		Reason: "OLT-BNE-07 already has a line card in slot 2; the event builds nothing (line card LC2 (16 ports) added to OLT-BNE-07)"}, network[1])
}

// An expansion the network fails (a hard fault on planning's expand) is a
// network row "failed" with the twin's reason, not an input refused: the
// site stays held, the order in progress.
func TestLineCardTheNetworkFailsToBuild(t *testing.T) {
	sc := load(t, "brisbane-capacity.yaml")
	sc.Expect = nil
	sc.Spec.Faults = []twin.FaultRule{{Name: "no-card", Kind: twin.Hard, Target: twin.FaultTarget{System: "planning", Op: "expand"},
		Message: "the line card is faulty"}}
	r := run(t, sc)
	require.Equal(t, 1, r.Faults[0].Hits)
	rows := networkRows(r)
	require.Len(t, rows, 2)
	assert.Equal(t, "expanded", rows[0].State)
	assert.Equal(t, "failed", rows[1].State)
	assert.Contains(t, rows[1].Reason, "the network's expansion failed: ")
	assert.Contains(t, rows[1].Reason, "the line card is faulty")
	assert.Equal(t, "inProgress", r.Outcome, "no line card: BNE2 stays held")
}

// networkRows are the timeline's rows of the network and of inputs refused.
func networkRows(r *Report) []TimelineRow {
	var rows []TimelineRow
	for _, row := range r.Timeline {
		if row.Entity == "network" || row.Kind == "refused" {
			rows = append(rows, row)
		}
	}
	return rows
}

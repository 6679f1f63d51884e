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

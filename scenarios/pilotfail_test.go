package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/operator"
)

// A pilot that fails leaves no order hanging: the gate of the wave behind
// it goes on the worklist (gateBlocked, with a jeopardy), and what people
// decide by the gate policy's deadline ends it (docs/architecture.md,
// "Gates": a gate that can no longer open).
func TestBlockedGateWorklistAndDecisions(t *testing.T) {
	const gate = "PO-2024-01203/Wave 1"
	day := 24 * time.Hour

	t.Run("on the worklist until its deadline", func(t *testing.T) {
		sc := load(t, "pilot-fails.yaml")
		s, err := New(sc.Spec, Options{Clock: &cutClock{day}})
		require.NoError(t, err)
		if err := s.Engine.Run(context.Background()); err != nil {
			require.ErrorIs(t, err, errCut)
		}
		var item *operator.Item
		for _, it := range s.COM.Worklist() {
			if it.Kind == operator.GateBlocked {
				item = &it
			}
		}
		require.NotNil(t, item, "the blocked gate is on the worklist")
		assert.Equal(t, gate, item.ID)
		assert.Equal(t, "gate can no longer open: SO-PILOT ended failed with 0 of 1 sites in service", item.Reason)
		assert.Equal(t, []string{operator.Release, operator.CancelWaves, operator.Assign, operator.Note}, item.Actions)
		assert.True(t, item.HasDeadline)
		assert.Equal(t, 4*time.Hour+3*day, item.Deadline, "the catalog's gate policy: 72h from the pilot's failure")
		require.Len(t, s.COM.Jeopardies(), 1)
		assert.Equal(t, "gateBlocked", s.COM.Jeopardies()[0].Type)
	})

	decide := func(t *testing.T, kind string) *Report {
		c := acted{file: "pilot-fails.yaml", at: day, act: operator.Action{Key: "k1", Kind: kind, Item: gate, By: "olivia"}}
		s := newActed(t, c, Options{Timeline: true})
		require.NoError(t, s.Run(context.Background()))
		require.Len(t, s.COM.Actions(), 1)
		assert.Empty(t, s.COM.Worklist(), "nothing left to decide")
		return s.Report()
	}

	t.Run("released: the rollout goes on without the pilot", func(t *testing.T) {
		r := decide(t, operator.Release)
		assert.Equal(t, "partial", r.Outcome, "the pilot's site failed, the four others are in service")
		assert.Equal(t, 4*1800.0, r.Billing.Monthly)
		assert.Len(t, r.ServiceOrders, 3)
		assert.Contains(t, rowsOf(r, gate), "released at P1D: gate released by olivia")
	})

	t.Run("cancelled: the order ends at once", func(t *testing.T) {
		r := decide(t, operator.CancelWaves)
		assert.Equal(t, "failed", r.Outcome)
		assert.Equal(t, "P1D", r.FinishedAt)
		assert.Zero(t, r.Billing.Monthly)
		assert.Len(t, r.ServiceOrders, 1)
		for _, po := range r.ProductOrders {
			for _, it := range po.Items[1:] {
				assert.Equal(t, "cancelled", it.State, it.ID)
			}
		}
	})
}

// rowsOf lists an entity's timeline rows as "state at when: reason".
func rowsOf(r *Report, entity string) []string {
	var rows []string
	for _, row := range r.Timeline {
		if row.Entity == entity {
			rows = append(rows, row.State+" at "+row.At+": "+row.Reason)
		}
	}
	return rows
}

// A share of sites no longer within reach blocks its gate too: Wave 1 of
// v2-gates-manual-release ends partial with one of its three sites in
// service, the Regional wave waits for two; released by a person all the
// same, it goes only when someone decides, and with no decision it is
// cancelled and the order ends partial with the sites it has.
func TestShareOutOfReachBlocksTheGate(t *testing.T) {
	sc, err := loadEdited(t, "v2-gates-manual-release.yaml", "expect:", `faults:
  - {name: adl-refuses, kind: hard, target: {system: access, op: reserve, area: ADL-CITY-01}}
expect:`)
	require.NoError(t, err)
	sc.Expect = nil
	s, err := New(sc.Spec, Options{Timeline: true})
	require.NoError(t, err)
	require.NoError(t, s.Run(context.Background()))
	r := s.Report()
	assert.Equal(t, "partial", r.Outcome)
	require.Len(t, s.COM.Jeopardies(), 1)
	j := s.COM.Jeopardies()[0]
	assert.Equal(t, "gateBlocked", j.Type)
	assert.Contains(t, j.Message, "SO-WAVE1 ended partial with 1 of 3 sites in service")
	assert.Len(t, r.ServiceOrders, 2, "SO-REGIONAL never went")
	assert.Equal(t, 2*2950.0, r.Billing.Monthly, "PER1 and PER2 in service, billed")
	for _, po := range r.ProductOrders {
		for _, it := range po.Items[4:] {
			assert.Equal(t, "cancelled", it.State, it.ID)
		}
	}
}

// A scenario's release event releases a blocked gate as a person's
// action on the worklist does.
func TestReleaseEventOnABlockedGate(t *testing.T) {
	sc, err := loadEdited(t, "pilot-fails.yaml", "expect:", `events:
  - {at: P2D, kind: release, wave: Wave 1, by: rollout manager}
expect:`)
	require.NoError(t, err)
	sc.Expect = nil
	s, err := New(sc.Spec, Options{Timeline: true})
	require.NoError(t, err)
	require.NoError(t, s.Run(context.Background()))
	r := s.Report()
	assert.Equal(t, "partial", r.Outcome)
	assert.Equal(t, 4*1800.0, r.Billing.Monthly)
	assert.Contains(t, rowsOf(r, "PO-2024-01203/Wave 1"), "released at P2D: gate released by rollout manager")
}

// With no decision on the blocked gate, the sites that never started are
// cancelled with the waves behind it: a site held for capacity too, and its
// planning task. It stayed held, the order in progress for ever, and the
// capacity it waited for (here at P25D) released a late wave behind the
// cancelled ones, as if their gate had passed.
func TestBlockedGateCancelsHeldSites(t *testing.T) {
	sc, err := loadEdited(t, "pilot-fails.yaml",
		"customer:\n", "occupancy:\n  - {olt: OLT-BNE-07, slot: 1, occupied: \"1-15\"}\nevents:\n  - {at: P25D, kind: addLineCard, olt: OLT-BNE-07, slot: 2, ports: 16}\n\ncustomer:\n")
	require.NoError(t, err)
	r := run(t, sc)
	assert.Equal(t, "failed", r.Outcome)
	for _, po := range r.ProductOrders {
		for _, it := range po.Items[1:] {
			assert.Equal(t, "cancelled", it.State, "%s (%s)", it.ID, it.Site)
		}
	}
	assert.Len(t, r.ServiceOrders, 1, "only the pilot's went to SOM")
	for _, row := range r.Timeline {
		assert.NotContains(t, row.Reason, "gate passed", "%s %s", row.Entity, row.State)
	}
	var task []string
	for _, row := range r.Timeline {
		if row.Kind == "task" {
			task = append(task, row.State)
		}
	}
	assert.Equal(t, []string{"requested", "cancelled"}, task)
}

// An order cancelled while its pilot is held on its SLA check ends with the
// sites it has, and the held wave ends with it: it stayed held on the
// worklist, took a later remediation (held → completed on an ended order)
// and missed its target after the order had ended. The waves behind it are
// cancelled last first, so none is released on the way.
func TestCancelledOrderClosesItsHeldWave(t *testing.T) {
	sc, err := loadEdited(t, "pilot-sla-breach.yaml",
		"  - {at: P8D, kind: remediate, wave: Pilot}", "  - {at: P6D, kind: cancel}\n  - {at: P8D, kind: remediate, wave: Pilot}",
		"  finishedAt: P38D\n  billingMonthly: 9000\n  counts: {serviceOrders: 3, resourceOrderItems: 30, productInstances: 5}\n", "")
	require.NoError(t, err)
	r := run(t, sc)
	assert.Equal(t, "completed", r.Outcome, "MELB in service, the other sites cancelled")
	assert.Equal(t, []string{
		"scheduled at PT2H: ",
		"released at PT2H: first wave",
		"inProgress at PT3H: ",
		"held at P5D: SLA validation failed: MELB: latency 18ms over 10ms",
		"slaValidation at P5D: SLA validation failed: MELB: latency 18ms over 10ms",
		"completed at P6D: the order ended completed with the wave held: its SLA was not validated",
	}, rowsOf(r, "PO-2024-01203/Pilot"))
	for _, row := range r.Timeline {
		assert.NotContains(t, row.Reason, "gate passed", "%s %s at %s", row.Entity, row.State, row.At)
	}
	assert.Len(t, r.ServiceOrders, 1)
}

// A jeopardy about one wait of a wave leaves the worklist with it: the
// blocked gate's, once the gate is released, does not come back when the
// wave later holds on its SLA check (only that check's jeopardy does).
func TestResolvedJeopardyStaysOffTheWorklist(t *testing.T) {
	sc, err := loadEdited(t, "pilot-fails.yaml", "expect:", `  - name: syd1-latency
    kind: slaBreach
    target: {system: nms, site: SYD1}
    measure: {latencyMs: 18, lossPct: 0.004, availability: 99.99}
events:
  - {at: P2D, kind: release, wave: Wave 1, by: rollout manager}
expect:`)
	require.NoError(t, err)
	sc.Expect = nil
	s, err := New(sc.Spec, Options{Clock: &cutClock{40 * 24 * time.Hour}})
	require.NoError(t, err)
	if err := s.Engine.Run(context.Background()); err != nil {
		require.ErrorIs(t, err, errCut)
	}
	var kinds []string
	for _, it := range s.COM.Worklist() {
		kinds = append(kinds, it.Kind+" "+it.State)
	}
	assert.Equal(t, []string{"gateHeld held", "jeopardy slaValidation", "jeopardy deadline"}, kinds, "its target missed while held")
}

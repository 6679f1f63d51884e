package scenarios

import (
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func withEvents(t *testing.T, events ...Event) *Report {
	t.Helper()
	sc := load(t, globaltech)
	sc.Expect = nil
	sc.Spec.Events = events
	return run(t, sc)
}

func cancelAt(at time.Duration, site string) Event {
	return Event{At: at, Cancel: &com.Cancel{Site: site, Reason: "branch closing"}, Note: "cancel " + site}
}

func site(r *Report, code string) POIRow {
	for _, it := range r.ProductOrders[0].Items {
		if it.Site == code {
			return it
		}
	}
	return POIRow{}
}

const day = 24 * time.Hour

// A site whose wave is not released yet is withdrawn from it: nothing
// reached SOM, nothing to release; the wave goes with the other site.
func TestCancelPendingSite(t *testing.T) {
	r := withEvents(t, cancelAt(10*day, "BNE2"))
	assert.Equal(t, "cancelled", site(r, "BNE2").State)
	assert.Equal(t, "completed", r.Outcome, "the remaining scope completed")
	require.Len(t, r.ServiceOrders, 3)
	assert.Equal(t, []string{"BNE1"}, r.ServiceOrders[2].Sites)
	assert.Equal(t, 7200.0, r.Billing.Monthly)
	assert.Equal(t, 4, r.Counts.ResourceOrders)
}

// A site being provisioned is cancelled through SOM and ROM (TMF
// cancellation: assessingCancellation → pendingCancellation → cancelled);
// everything it reserved or committed is released.
func TestCancelSiteInFlight(t *testing.T) {
	r := withEvents(t, cancelAt(10*day, "SYD1"))
	assert.Equal(t, "cancelled", site(r, "SYD1").State)
	assert.Equal(t, "completed", site(r, "SYD2").State)
	assert.Equal(t, "completed", r.Outcome)
	for _, ro := range r.ResourceOrders {
		if ro.Site == "SYD1" {
			assert.Equal(t, "cancelled", ro.State)
		}
	}
	for _, res := range r.Resources {
		if res.Site == "SYD1" {
			assert.Equal(t, "released", res.State, "%s %s leaks", res.Type, res.Value)
		}
	}
	for _, state := range []string{"assessingCancellation", "pendingCancellation", "cancelled"} {
		assert.True(t, r.hasRow(StateExpect{Entity: "POI-002", State: state, At: "P10D"}), state)
	}
	assert.Equal(t, "completed", r.ServiceOrders[1].State, "SO-WAVE1 completes with the other site")
}

// Cancelling the whole order mid-rollout: active sites are past the point
// of no return (refused), the others are cancelled and released; the order
// ends with the scope that went live.
func TestCancelOrderMidRollout(t *testing.T) {
	r := withEvents(t, cancelAt(21*day, ""))
	for code, want := range map[string]string{"MELB": "completed", "SYD1": "completed", "SYD2": "completed", "BNE1": "cancelled", "BNE2": "cancelled"} {
		assert.Equal(t, want, site(r, code).State, code)
	}
	assert.True(t, r.hasRow(StateExpect{Entity: "POI-001", State: "refused", Reason: "past the point of no return: MELB is active (it needs a disconnect order)"}))
	assert.Equal(t, "completed", r.Outcome)
	assert.Equal(t, "cancelled", r.ServiceOrders[2].State)
	for _, res := range r.Resources {
		if res.Site == "BNE1" || res.Site == "BNE2" {
			assert.Equal(t, "released", res.State)
		}
	}
	assert.Equal(t, 5400.0, r.Billing.Monthly)
}

// Before anything is active the whole order is cancelled.
func TestCancelOrderEarly(t *testing.T) {
	r := withEvents(t, cancelAt(3*time.Hour, ""))
	assert.Equal(t, "cancelled", r.Outcome)
	assert.Equal(t, "cancelled", r.ServiceOrders[0].State)
	for _, res := range r.Resources {
		assert.Equal(t, "released", res.State)
	}
	assert.Equal(t, 0.0, r.Billing.Monthly)
}

// After the order completed there is nothing to cancel.
func TestCancelTooLate(t *testing.T) {
	r := withEvents(t, cancelAt(40*day, ""))
	assert.Equal(t, "completed", r.Outcome)
	assert.True(t, r.hasRow(StateExpect{Entity: "PO-2024-01203", State: "refused", Reason: "the order is completed"}))
}

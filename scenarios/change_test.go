package scenarios

import (
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func changeAt(at time.Duration, site, speed string) Event {
	return Event{At: at, Change: &com.Change{Site: site, Speed: speed}, Note: "change " + site}
}

// An active site gets a TMF622 modify order: its QoS policy changes
// (BW-1000-1000-GOLD-ENT replaces BW-500-500-GOLD-ENT) and so does its price.
func TestChangeActiveSite(t *testing.T) {
	r := withEvents(t, changeAt(6*day, "MELB", "1G-sym"))
	require.Len(t, r.ProductOrders, 2)
	mod := r.ProductOrders[1]
	assert.Equal(t, "PO-2024-01203-M1", mod.ID)
	assert.Equal(t, "completed", mod.State)
	qos := map[string]string{}
	for _, res := range r.Resources {
		if res.Site == "MELB" && res.Type == "QoSPolicy" {
			qos[res.Value] = res.State
		}
	}
	assert.Equal(t, map[string]string{"BW-500-500-GOLD-ENT": "replaced", "BW-1000-1000-GOLD-ENT": "active"}, qos)
	assert.Equal(t, 2400.0, r.ProductInstances[0].Monthly)
	assert.Equal(t, 9600.0, r.Billing.Monthly)
	names := []string{}
	for _, so := range r.ServiceOrders {
		names = append(names, so.Name)
	}
	assert.Contains(t, names, "SO-MODIFY-MELB")
}

// A site whose wave has not started is amended in place: it is provisioned
// at the new speed from the start.
func TestChangePendingSite(t *testing.T) {
	r := withEvents(t, changeAt(6*day, "BNE1", "1G-sym"))
	require.Len(t, r.ProductOrders, 1, "no modify order")
	assert.True(t, r.hasRow(StateExpect{Entity: "POI-004", State: "amended"}))
	for _, res := range r.Resources {
		if res.Site == "BNE1" && res.Type == "QoSPolicy" {
			assert.Equal(t, "BW-1000-1000-GOLD-ENT", res.Value)
		}
	}
	assert.Equal(t, 9600.0, r.Billing.Monthly)
}

// A site being provisioned is past the point of no return for an
// amendment: the change follows as a modify order once it is active. A
// second change meanwhile is refused (one change in flight per order).
func TestChangeInFlightSiteAndOneAtATime(t *testing.T) {
	r := withEvents(t, changeAt(10*day, "SYD1", "1G-sym"), changeAt(11*day, "BNE2", "1G-sym"))
	assert.True(t, r.hasRow(StateExpect{Entity: "POI-002", State: "deferred", At: "P10D"}))
	assert.True(t, r.hasRow(StateExpect{Entity: "POI-005", State: "refused", At: "P11D",
		Reason: "one change in flight per order: SYD1 is being changed"}))
	require.Len(t, r.ProductOrders, 2)
	assert.Equal(t, "completed", r.ProductOrders[1].State)
	assert.Equal(t, "P20D", r.ServiceOrders[2].SubmittedAt, "the modify goes when SYD1 is active")
	assert.Equal(t, 9600.0, r.Billing.Monthly)

	// A speed the offering has not is refused for it, change in flight or
	// not: it was refused for the change in flight, and told only after.
	r = withEvents(t, changeAt(10*day, "SYD1", "1G-sym"), changeAt(11*day, "BNE2", "10G-sym"))
	assert.True(t, r.hasRow(StateExpect{Entity: "POI-005", State: "refused", At: "P11D",
		Reason: `speed "10G-sym" is not offered with PO-EFCG-01`}))
}

// Version 2: a change of another site goes on while one is in flight
// (several in flight per order, one a site); a second change of the same
// site is refused, saying why.
func TestSeveralChangesInFlight(t *testing.T) {
	sc := load(t, globaltech)
	sc.Expect = nil
	sc.Spec.Orders[0].Quote.ChangesPerSite = true
	sc.Spec.Events = []Event{changeAt(10*day, "SYD1", "1G-sym"), changeAt(11*day, "SYD2", "1G-sym"), changeAt(12*day, "SYD1", "100M-sym")}
	r := run(t, sc)
	assert.True(t, r.hasRow(StateExpect{Entity: "POI-002", State: "deferred", At: "P10D"}))
	assert.True(t, r.hasRow(StateExpect{Entity: "POI-003", State: "deferred", At: "P11D"}), "SYD2's change is in flight with SYD1's")
	assert.True(t, r.hasRow(StateExpect{Entity: "POI-002", State: "refused", At: "P12D",
		Reason: "one change in flight per site: a change of SYD1 is in flight; send this one when it has ended"}))
	require.Len(t, r.ProductOrders, 3)
	assert.Equal(t, "completed", r.ProductOrders[1].State)
	assert.Equal(t, "completed", r.ProductOrders[2].State)
	assert.Equal(t, 10200.0, r.Billing.Monthly, "two sites at 2400, three at 1800")
}

// A site added mid-rollout joins its wave when the wave has not been
// released; into a released wave's place it goes in a late wave.
func TestAddSite(t *testing.T) {
	add := func(at time.Duration, code, wave string) Event {
		return Event{At: at, AddSite: &com.AddSite{Site: com.Site{Code: code, Name: "Brisbane Office 3",
			Address: "Level 3, 71 Eagle Street, Brisbane QLD 4000", Wave: wave}}}
	}
	// BNE2's address hosts a second site; its wave (Wave 2) is not released at P10D.
	r := withEvents(t, add(10*day, "BNE3", "Wave 2"))
	assert.Equal(t, "completed", r.Outcome)
	assert.Equal(t, 6, r.Counts.ProductOrderItems)
	assert.Equal(t, []string{"BNE1", "BNE2", "BNE3"}, r.ServiceOrders[2].Sites)
	assert.Equal(t, 10800.0, r.Billing.Monthly)

	// Wave 1 is released at P5D: a site for it at P6D goes in a late wave.
	r = withEvents(t, add(6*day, "BNE3", "Wave 1"))
	assert.Equal(t, "completed", r.Outcome)
	require.Len(t, r.ServiceOrders, 4)
	assert.Equal(t, "SO-WAVE3", r.ServiceOrders[3].Name)
	assert.Equal(t, []string{"BNE3"}, r.ServiceOrders[3].Sites)
}

// A change to what a site already has changes nothing: refused, whether
// the site is pending (an amendment would reprice it from the rate card)
// or active (a modify order would rebuild its QoS).
func TestChangeToWhatTheSiteHasIsRefused(t *testing.T) {
	r := withEvents(t, changeAt(day, "BNE1", "500M-sym"), changeAt(6*day, "MELB", "500M-sym"))
	require.Len(t, r.ProductOrders, 1, "no modify order")
	assert.True(t, r.hasRow(StateExpect{Entity: "POI-004", State: "refused", At: "P1D",
		Reason: "BNE1 already has 500M-sym Gold: a change must change its speed or its SLA tier"}))
	assert.True(t, r.hasRow(StateExpect{Entity: "POI-001", State: "refused", At: "P6D",
		Reason: "MELB already has 500M-sym Gold: a change must change its speed or its SLA tier"}))
	assert.Equal(t, 9000.0, r.Billing.Monthly, "the quote's prices")
}

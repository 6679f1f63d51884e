package scenarios

import (
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/twin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func removeAt(at time.Duration, site string) Event {
	return Event{At: at, Remove: &com.Remove{Site: site, Reason: "office closed"}, Note: "remove " + site}
}

func product(r *Report, site string) ProductRow {
	for _, p := range r.ProductInstances {
		if p.Site == site {
			return p
		}
	}
	return ProductRow{}
}

// An active site removed mid-rollout gets a TMF622 disconnect order: every
// resource of its services goes back, last built first, the product
// instance is terminated and billing stops; the rollout carries on.
func TestRemoveActiveSite(t *testing.T) {
	r := withEvents(t, removeAt(6*day, "MELB"))
	assert.Equal(t, "completed", r.Outcome)
	require.Len(t, r.ProductOrders, 2)
	d := r.ProductOrders[1]
	assert.Equal(t, "PO-2024-01203-D1", d.ID)
	assert.Equal(t, "completed", d.State)
	require.Len(t, d.Items, 1)
	assert.Equal(t, "completed", d.Items[0].State)
	assert.Equal(t, "terminated", product(r, "MELB").Status)
	for _, s := range r.ServiceInstances {
		if s.Site == "MELB" {
			assert.Equal(t, "terminated", s.State, s.ID)
		}
	}
	var melb []ResourceRow
	for _, res := range r.Resources {
		if res.Site == "MELB" {
			melb = append(melb, res)
			assert.Equal(t, "terminated", res.State, "%s %s", res.Type, res.Value)
		}
	}
	assert.Len(t, melb, 6)
	// The disconnect's resource order gives back the CE router's
	// dependants before the bearer they run on.
	dis := r.ResourceOrders[3]
	require.Equal(t, "MELB", dis.Site)
	done := map[string]string{}
	for _, it := range dis.Items {
		done[it.RFS] = it.CompletedAt
		assert.Equal(t, "completed", it.State)
	}
	assert.Len(t, done, 6)
	assert.Equal(t, 7200.0, r.Billing.Monthly, "MELB stopped, the other four bill")

	// The port went back to the OLT: a new site at the same address gets it.
	melb2 := Event{At: 8 * day, AddSite: &com.AddSite{Site: com.Site{Code: "MELB2", Name: "Melbourne HQ (new tenant)",
		Address: "Level 12, 120 Collins Street, Melbourne VIC 3000", Wave: "Wave 2"}}}
	r = withEvents(t, removeAt(6*day, "MELB"), melb2)
	bearer := ""
	for _, res := range r.Resources {
		if res.Site == "MELB2" && res.Type == "OLTPort" {
			bearer = res.Value
		}
	}
	assert.Equal(t, "OLT-SOUTH-03 LC2 Port 8", bearer)
	// So does the router, to stock: it is staged, shipped and booted anew
	// (about 4 days 20 hours from the start of MELB2's resource order at
	// T+20d 2h), not taken as already at the site.
	for _, ro := range r.ResourceOrders {
		for _, it := range ro.Items {
			if ro.Site == "MELB2" && it.RFS == "RFS:CE-Router" {
				assert.Equal(t, "ISR-4431 S/N: FDO2340567", it.Resource)
				assert.Equal(t, "P24DT22H", it.CompletedAt)
			}
		}
	}
	assert.Equal(t, 9000.0, r.Billing.Monthly, "MELB stopped, MELB2 and the other four bill")

	// Removing it again is refused, and so is changing it.
	r = withEvents(t, removeAt(6*day, "MELB"), removeAt(8*day, "MELB"), changeAt(9*day, "MELB", "1G-sym"))
	assert.True(t, r.hasRow(StateExpect{Entity: "POI-001", State: "refused", At: "P8D", Reason: "MELB is disconnected"}))
	assert.True(t, r.hasRow(StateExpect{Entity: "POI-001", State: "refused", At: "P9D", Reason: "MELB is disconnected"}))
	assert.Len(t, r.ProductOrders, 2, "no modify order")
}

// A site not yet active is taken out of its order: cancelled, with its
// capacity hold released, while its wave goes on with the others.
func TestRemovePendingSite(t *testing.T) {
	r := withEvents(t, removeAt(7*day, "BNE2"))
	assert.Equal(t, "cancelled", site(r, "BNE2").State)
	assert.Equal(t, "office closed", site(r, "BNE2").StateReason)
	require.Len(t, r.ProductOrders, 1, "no disconnect order")
	assert.Equal(t, 7200.0, r.Billing.Monthly)
}

// A disconnect whose release keeps failing fails, and says why; the site
// stays in service and billed.
func TestRemoveFails(t *testing.T) {
	sc := load(t, globaltech)
	sc.Expect = nil
	sc.Spec.Events = []Event{removeAt(6*day, "MELB")}
	sc.Spec.Faults = []twin.FaultRule{{Name: "ipam-stuck", Kind: twin.Hard,
		Target: twin.FaultTarget{System: "ipam", Op: "release", Site: "MELB"}}}
	r := run(t, sc)
	require.Len(t, r.ProductOrders, 2)
	assert.Equal(t, "failed", r.ProductOrders[1].State)
	assert.Contains(t, r.ProductOrders[1].Items[0].StateReason, "fault ipam-stuck")
	assert.Equal(t, "active", product(r, "MELB").Status)
	assert.Equal(t, 9000.0, r.Billing.Monthly)
}

package com_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/scenarios"
)

// changedEarly is the worked example with changes placed right after the
// order, while its quote is still in approval: before contract validation.
func changedEarly(t *testing.T, edit func(sc *scenarios.Scenario), changes ...com.Change) *scenarios.Report {
	t.Helper()
	return worked(t, func(sc *scenarios.Scenario) {
		for k, ch := range changes {
			sc.Spec.Events = append(sc.Spec.Events, scenarios.Event{At: time.Duration(30+10*k) * time.Minute, Change: &ch})
		}
		if edit != nil {
			edit(sc)
		}
	})
}

// Seed, Step 2, "Contract Validation" with the seed's "pending sites (order
// amendment)": a site amended before validation is validated as amended.
// Its new tier is the one it is checked for, and its new price is in the
// contract value, so the order is not rejected; it rolls out as changed
// and is billed at the rate card's price for its new speed.
func TestChangeBeforeValidationIsValidatedAsAmended(t *testing.T) {
	r := changedEarly(t, nil,
		com.Change{Site: "BNE1", Speed: "1G-sym"},
		com.Change{Site: "MELB", Speed: "1G-sym", Tier: "Platinum"})

	assert.Equal(t, "completed", r.Outcome)
	require.Len(t, r.ProductOrders, 1)
	for _, it := range r.ProductOrders[0].Items {
		assert.Equal(t, "completed", it.State, it.Site)
		assert.Empty(t, it.StateReason, it.Site)
	}
	assert.Equal(t, 324000.0, r.Quote.TCV, "the quote keeps its value")
	bySite := map[string]float64{}
	for _, b := range r.Billing.Sites {
		bySite[b.Site] = b.Monthly
	}
	assert.Equal(t, map[string]float64{"MELB": 2400, "SYD1": 1800, "SYD2": 1800, "BNE1": 2400, "BNE2": 1800}, bySite)
	qos := map[string]string{}
	for _, res := range r.Resources {
		if res.Type == "QoSPolicy" {
			qos[res.Site] = res.Value
		}
	}
	assert.Equal(t, "BW-1000-1000-PLAT-ENT", qos["MELB"])
	assert.Equal(t, "BW-1000-1000-GOLD-ENT", qos["BNE1"])
	assert.Equal(t, "BW-500-500-GOLD-ENT", qos["BNE2"])
}

// The credit check is of the order as amended: two sites upgraded to 1 Gbps
// add 2 × 600 × 36 to the $324,000, which a $350,000 limit does not cover.
func TestChangeBeforeValidationIsCreditCheckedAsAmended(t *testing.T) {
	r := changedEarly(t, func(sc *scenarios.Scenario) { sc.Spec.Network.Credit[0].Limit = 350000 },
		com.Change{Site: "BNE1", Speed: "1G-sym"},
		com.Change{Site: "MELB", Speed: "1G-sym"})

	assert.Equal(t, "rejected", r.Outcome)
	for _, it := range r.ProductOrders[0].Items {
		assert.Equal(t, "credit check: order value 367200 exceeds the remaining limit 350000", it.StateReason, it.Site)
	}
}

package com_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
)

// Seed, Step 2, "Phased Service Order Creation": COM creates the three
// service orders of the rollout plan at decomposition; the pilot's is
// submitted at once, SO-WAVE1 and SO-WAVE2 are held "scheduled" pending the
// pilot (entity map: all three exist). Seed timeline, T+1 hr: "PO:
// approved". The product order carries both, from planning on.
func TestOrderCarriesPlanFromPlanning(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	sys, err := scenarios.New(sc.Spec, scenarios.Options{})
	require.NoError(t, err)
	ctx := context.Background()

	require.NoError(t, sys.Engine.RunUntil(ctx, 30*time.Minute))
	po := sys.COM.Order("PO-2024-01203")
	require.NotNil(t, po)
	assert.Nil(t, po.Approval, "the quote is still in approval")
	assert.Nil(t, sys.COM.Plan(po.ID), "nothing planned before validation")

	require.NoError(t, sys.Engine.RunUntil(ctx, 3*time.Hour))
	assert.Equal(t, &tmf.OrderApproval{Quote: "QT-001", At: time.Hour}, po.Approval)
	day := 24 * time.Hour
	assert.Equal(t, []tmf.PlannedWave{
		{Name: "Pilot", ServiceOrder: "SO-PILOT", ServiceOrderID: "SO-001", State: "inProgress", Sites: []string{"MELB"},
			Target: 14 * day, ReleasedAt: 2 * time.Hour},
		{Name: "Wave 1", ServiceOrder: "SO-WAVE1", State: "scheduled", Sites: []string{"SYD1", "SYD2"}, Target: 30 * day},
		{Name: "Wave 2", ServiceOrder: "SO-WAVE2", State: "scheduled", Sites: []string{"BNE1", "BNE2"}, Target: 45 * day},
	}, sys.COM.Plan(po.ID))

	require.NoError(t, sys.Engine.Run(ctx))
	plan := sys.COM.Plan(po.ID)
	require.Len(t, plan, 3)
	for k, want := range []struct {
		id              string
		released, ended time.Duration
	}{{"SO-001", 2 * time.Hour, 5 * day}, {"SO-002", 5 * day, 20 * day}, {"SO-003", 20 * day, 35 * day}} {
		assert.Equal(t, want.id, plan[k].ServiceOrderID, plan[k].Name)
		assert.Equal(t, "completed", plan[k].State, plan[k].Name)
		assert.Equal(t, want.released, plan[k].ReleasedAt, plan[k].Name)
		assert.Equal(t, want.ended, plan[k].CompletedAt, plan[k].Name)
	}
}

// A wave made late (seed what-if: Brisbane Office 2 into SO-WAVE3) joins
// the plan scheduled when its site's capacity is held, and is released when
// the wave before it completes.
func TestLateWaveJoinsThePlanScheduled(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/brisbane-capacity.yaml")
	require.NoError(t, err)
	sys, err := scenarios.New(sc.Spec, scenarios.Options{})
	require.NoError(t, err)
	ctx := context.Background()
	day := 24 * time.Hour

	require.NoError(t, sys.Engine.RunUntil(ctx, 26*day))
	plan := sys.COM.Plan("PO-2024-01203")
	require.Len(t, plan, 4)
	assert.Equal(t, tmf.PlannedWave{Name: "Wave 3", ServiceOrder: "SO-WAVE3", State: "scheduled", Sites: []string{"BNE2"}}, plan[3])

	require.NoError(t, sys.Engine.Run(ctx))
	plan = sys.COM.Plan("PO-2024-01203")
	assert.Equal(t, "completed", plan[3].State)
	assert.Equal(t, 35*day, plan[3].ReleasedAt)
}

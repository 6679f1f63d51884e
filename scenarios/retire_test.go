package scenarios

import (
	"context"
	"slices"
	"testing"
	"time"

	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snapshotScenarios are the scenario files the snapshot and retention
// tests run: the worked example and faults, planning, an SLA breach,
// changes, removals, cancellations, triggers, refusals.
var snapshotScenarios = []string{"globaltech-5site.yaml", "flaky-netconf.yaml", "cpe-lost.yaml", "brisbane-capacity.yaml",
	"pilot-sla-breach.yaml", "speed-upgrade.yaml", "remove-site.yaml", "cancel-mid-rollout.yaml", "meridian-8site.yaml",
	"newuser-removal-and-triggers.yaml", "newuser-harbourview-faults.yaml", "approval-rejected.yaml", "credit-refused.yaml",
	"v2-bank-mixed-tiers.yaml", "v2-gates-manual-release.yaml", "v2-changes-in-flight.yaml", "pilot-fails.yaml"}

// §7 finished orders leave memory: with a retention, every finished
// resource order leaves ROM once its retention has passed, and nothing
// else changes: the journal is the one a run that keeps them writes,
// record for record, and each is on the store's shelf as ROM shows it
// (its resources as they were when it left: the inventory has them as
// they are); the resource inventory is the same, its resources leaving
// memory with the orders holding them.
func TestRetiredResourceOrders(t *testing.T) {
	for _, file := range snapshotScenarios {
		t.Run(file, func(t *testing.T) {
			keep, gone, j := keptAndRetired(t, file)

			left := map[string]bool{}
			for _, ro := range gone.ROM.Orders() {
				left[ro.ID] = true
			}
			retired := 0
			for _, ro := range keep.ROM.Orders() {
				if !lc.IsFinal(lc.ResourceOrder, ro.State) {
					assert.True(t, left[ro.ID], "%s is not finished: it stays", ro.ID)
					continue
				}
				d, ok, err := j.Shelved(rom.ShelfKind, ro.ID)
				require.NoError(t, err)
				require.True(t, ok, "%s is on the shelf", ro.ID)
				shelved, err := rom.Shelved(d.Body)
				require.NoError(t, err)
				assert.Equal(t, withoutResourceStates(*ro), withoutResourceStates(*shelved), "%s on the shelf", ro.ID)
				if !left[ro.ID] {
					retired++
				}
			}
			if len(keep.ROM.Orders()) > 0 {
				assert.NotZero(t, retired, "orders left memory")
			}
			assert.Equal(t, sum(keep.Stats().ResourceOrderItems), sum(gone.Stats().ResourceOrderItems), "the metrics count the retired items")
			assert.Equal(t, keep.resources(), gone.resources(), "the resource inventory, from memory and the shelf")
			held := map[string]bool{}
			for _, ro := range gone.ROM.Orders() {
				for _, it := range ro.Items {
					if it.Resource != nil {
						held[it.Resource.ID] = true
					}
					held[it.Characteristics.Get("replaces")] = true
				}
			}
			for _, res := range gone.ROM.Resources.All() {
				assert.True(t, held[res.ID], "%s stays in memory only while an order in memory holds it", res.ID)
			}
		})
	}
}

// keptAndRetired runs the scenario file twice: keeping every finished
// order, and letting them leave memory an hour after they end; it
// requires the same journal of both, and returns the two systems and the
// second's store, where the orders that left are shelved.
func keptAndRetired(t *testing.T, file string) (keep, gone *System, shelf *store.Memory) {
	t.Helper()
	sc, err := Load(file)
	require.NoError(t, err)
	keep, err = New(sc.Spec, Options{})
	require.NoError(t, err)
	require.NoError(t, keep.Engine.Run(context.Background()))
	shelf = store.NewMemory()
	gone, err = New(sc.Spec, Options{Journal: shelf, Retention: time.Hour})
	require.NoError(t, err)
	require.NoError(t, gone.Engine.Run(context.Background()))
	require.Equal(t, keep.Journal.(*store.Memory).Records(), shelf.Records(), "the same journal, record for record")
	return keep, gone, shelf
}

// withoutResourceStates is ro without the states of its items'
// resources, which change after the order ends (released, terminated,
// replaced).
func withoutResourceStates(ro tmf.ResourceOrder) tmf.ResourceOrder {
	ro.Items = slices.Clone(ro.Items)
	for i := range ro.Items {
		if res := ro.Items[i].Resource; res != nil {
			c := *res
			c.State, c.UsageState = "", ""
			ro.Items[i].Resource = &c
		}
	}
	return ro
}

func sum(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

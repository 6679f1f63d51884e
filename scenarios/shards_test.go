package scenarios

import (
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/twin"
)

// The change storm (forty customers' orders, then changes and a removal
// aimed by selector) run as three shards of a deployment, each a system
// of its own placing the orders of the customers its shard owns and
// taking the customer events of those orders, their twins on one ledger:
// every order is placed once, in one shard, and ends as in the run of the
// whole; the shards number their ids apart; no resource is in use in two
// shards (docs/architecture.md §7, "Scale-out").
func TestShardsSplitTheScenario(t *testing.T) {
	sc := load(t, "v2-change-storm.yaml")
	whole, err := New(sc.Spec, Options{})
	require.NoError(t, err)
	require.NoError(t, whole.Run(context.Background()))
	want := map[string]int{}
	for _, po := range whole.COM.Orders() {
		want[outcomeKey(po)]++
	}
	wantInUse := inUseOf(whole)

	const shards = 3
	ledger := twin.NewMemoryLedger()
	got := map[string]int{}
	ids := map[string]bool{}
	inUse := map[string]int{} // resource value → shard
	for k := range shards {
		sys, err := New(sc.Spec, Options{Ledger: ledger, IDs: tmf.IDSpace{Shards: shards, Shard: k},
			Shard: func(customer string) bool { return postgres.ShardOf(customer, shards) == k }})
		require.NoError(t, err)
		require.NoError(t, sys.Run(context.Background()))
		orders := sys.COM.Orders()
		assert.NotEmpty(t, orders, "shard %d has customers", k)
		for _, po := range orders {
			assert.False(t, ids[po.ID], "order %s in two shards", po.ID)
			ids[po.ID] = true
			got[outcomeKey(po)]++
			for _, p := range po.RelatedParty {
				if p.Role == "customer" {
					assert.Equal(t, k, postgres.ShardOf(p.ID, shards), "order %s is its customer's shard's", po.ID)
				}
			}
		}
		for _, so := range sys.SOM.Orders() {
			s, ok := tmf.ShardOf(so.ID, shards)
			assert.True(t, ok && s == k, "service order %s numbered in shard %d's space", so.ID, k)
		}
		for key, n := range inUseOf(sys) {
			assert.Equal(t, 1, n, "%s is in use %d times in shard %d", key, n, k)
			if other, twice := inUse[key]; twice {
				t.Errorf("%s is in use in shards %d and %d", key, other, k)
			}
			inUse[key] = k
		}
	}
	assert.Len(t, ids, 85, "40 orders, 44 changes (the 45th asks what its site has: refused) and a removal")
	assert.Equal(t, want, got, "each order ends as in the run of the whole")
	assert.Len(t, inUse, len(wantInUse), "as many resources in use as in the run of the whole")
	t.Logf("%d orders over %d shards, %d resources in use", len(ids), shards, len(inUse))
}

// outcomeKey is what must not depend on the shards of an order: its id
// (a change's or a removal's: its order's and -M or -D, the count of
// changes that numbers it left out) and its state.
func outcomeKey(po *tmf.ProductOrder) string {
	return changeNumber.ReplaceAllString(po.ID, "-$1") + " " + po.State
}

// changeNumber is the number of a change's (-M7) or a removal's (-D3)
// order.
var changeNumber = regexp.MustCompile(`-([MD])[0-9]+$`)

// inUseOf counts the resources in use in a system by type and id:
// not a QoS policy (a template, bound by many) nor a probe (named for its
// site).
func inUseOf(s *System) map[string]int {
	out := map[string]int{}
	for _, r := range s.ROM.Resources.All() {
		switch {
		case r.State == "released" || r.State == "terminated" || r.State == "replaced" || r.State == "lost":
		case r.ResourceType == "QoSPolicy" || r.ResourceType == "TWAMPProbe":
		default:
			out[r.ResourceType+" "+r.ID]++
		}
	}
	return out
}

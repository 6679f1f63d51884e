package twin

import (
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A rule injected while the twin runs counts its window from then, fires
// like a configured one, and lives on in a snapshot: a twin built from the
// configuration alone and restored from it has the rule, with its hits.
func TestInjectLiveCountsFromNowAndIsSnapshotted(t *testing.T) {
	tw := faulty(t, FaultRule{Name: "configured", Kind: Transient, Target: FaultTarget{System: "ipam"}})
	rule := FaultRule{Name: "vlan-down", Kind: Down, Target: FaultTarget{System: "vlan"}, Until: "PT2H"}
	require.NoError(t, tw.InjectLive(10*time.Hour, rule, 1, engine.NewPCG))

	a := call(t, tw, 11*time.Hour, reserveReq("ROI-001/reserve/1", melbHQ, "VLAN"))
	require.NotNil(t, a.res.Err, "within two hours of the injection")
	assert.Contains(t, a.res.Err.Message, "fault vlan-down")
	b := call(t, tw, 13*time.Hour, reserveReq("ROI-002/reserve/1", melbHQ, "VLAN"))
	assert.Nil(t, b.res.Err, "the window closed two hours after the injection")

	saved, err := tw.Snapshot()
	require.NoError(t, err)
	restored := faulty(t, FaultRule{Name: "configured", Kind: Transient, Target: FaultTarget{System: "ipam"}})
	require.NoError(t, restored.Restore(saved))
	assert.Equal(t, []Hits{{Name: "configured", Kind: Transient}, {Name: "vlan-down", Kind: Down, Hits: 1}}, restored.FaultHits())
	again, err := restored.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, saved, again)
}

// A live rule must be valid, newly named and wait for no trigger; a
// refused one changes nothing.
func TestInjectLiveRefuses(t *testing.T) {
	tw := faulty(t, FaultRule{Name: "configured", Kind: Transient, Target: FaultTarget{System: "ipam"}})
	for _, c := range []struct {
		rule FaultRule
		want string
	}{
		{FaultRule{Name: "configured", Kind: Hard}, "has a fault rule of that name"},
		{FaultRule{Name: "x", Kind: "meteor"}, `unknown kind "meteor"`},
		{FaultRule{Name: "y", Kind: Hard, After: "SO-PILOT completed"}, "waits for no trigger"},
		{FaultRule{Kind: Hard}, "no name"},
	} {
		err := tw.InjectLive(0, c.rule, 1, engine.NewPCG)
		require.Error(t, err, c.rule.Name)
		assert.Contains(t, err.Error(), c.want)
	}
	assert.Len(t, tw.FaultHits(), 1)
}

// A rule lifted fires no more, whatever its window, keeps its name and
// its hits, and stays lifted in a snapshot; a name the twin has no rule
// of is refused.
func TestLiftEndsARule(t *testing.T) {
	tw := faulty(t, FaultRule{Name: "configured", Kind: Transient, Target: FaultTarget{System: "ipam"}})
	rule := FaultRule{Name: "vlan-down", Kind: Down, Target: FaultTarget{System: "vlan"}}
	require.NoError(t, tw.InjectLive(0, rule, 1, engine.NewPCG))
	a := call(t, tw, time.Hour, reserveReq("ROI-001/reserve/1", melbHQ, "VLAN"))
	require.NotNil(t, a.res.Err, "the rule fires for ever until lifted")

	require.NoError(t, tw.Lift("vlan-down"))
	b := call(t, tw, 2*time.Hour, reserveReq("ROI-002/reserve/1", melbHQ, "VLAN"))
	assert.Nil(t, b.res.Err, "a lifted rule fires no more")
	has, lifted := tw.Lifted("vlan-down")
	assert.True(t, has)
	assert.True(t, lifted)
	require.ErrorIs(t, tw.InjectLive(3*time.Hour, rule, 1, engine.NewPCG), ErrFaultNameTaken, "a lifted rule keeps its name")
	require.ErrorIs(t, tw.Lift("nothing"), ErrNoSuchFault)
	require.NoError(t, tw.Lift("configured"), "a configured rule is lifted as well")

	saved, err := tw.Snapshot()
	require.NoError(t, err)
	restored := faulty(t, FaultRule{Name: "configured", Kind: Transient, Target: FaultTarget{System: "ipam"}})
	require.NoError(t, restored.Restore(saved))
	assert.Equal(t, []Hits{{Name: "configured", Kind: Transient, Lifted: true}, {Name: "vlan-down", Kind: Down, Hits: 1, Lifted: true}}, restored.FaultHits())
	c := call(t, restored, 4*time.Hour, reserveReq("ROI-003/reserve/1", melbHQ, "VLAN"))
	assert.Nil(t, c.res.Err, "lifted after the restore too")
}

package twin

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Two twins of one network, as two shards run them, on one ledger: each
// VLAN either hands out is one the other did not, and together they hand
// out the pool once, as one twin would; a VLAN one gives back is free for
// the other; a twin rebuilt and asked again by a key gets the answer the
// key first got.
func TestTwinsOnOneLedger(t *testing.T) {
	one := newTwin(t, auEast(t))
	alone := 0
	for ; ; alone++ {
		if a := call(t, one, 0, reserveReq(fmt.Sprintf("ROI-%d/reserve/1", alone), melbHQ, "VLAN")); a.res.Err != nil {
			require.ErrorIs(t, a.res.Err, port.ErrCapacityExhausted)
			break
		}
	}
	require.Greater(t, alone, 10)

	ledger := NewMemoryLedger()
	twins := []*Twin{newTwin(t, auEast(t)), newTwin(t, auEast(t))}
	for _, tw := range twins {
		tw.UseLedger(ledger)
	}
	seen := map[string]string{}
	var first *tmfResource
	for i := 0; ; i++ {
		key := fmt.Sprintf("ROI-%d/reserve/1", i)
		a := call(t, twins[i%2], 0, reserveReq(key, melbHQ, "VLAN"))
		if a.res.Err != nil {
			require.ErrorIs(t, a.res.Err, port.ErrCapacityExhausted)
			assert.Equal(t, alone, i, "the two twins together hand out the pool once")
			break
		}
		v := a.res.Resource.Value
		require.NotContains(t, seen, v, "%s handed out twice: to %s and %s", v, seen[v], key)
		seen[v] = key
		if i == 0 {
			first = &tmfResource{key: key, res: *a.res.Resource}
		}
	}
	// The first VLAN given back by the twin that took it: the other takes it.
	require.Nil(t, call(t, twins[0], 0, releaseReq("ROI-0/release/1", melbHQ, &first.res)).res.Err)
	a := call(t, twins[1], 0, reserveReq("ROI-new/reserve/1", melbHQ, "VLAN"))
	require.Nil(t, a.res.Err)
	assert.Equal(t, first.res.Value, a.res.Resource.Value)
	// A twin rebuilt (a shard taken over), asked by the first key: the
	// first answer, though another key holds that VLAN now.
	again := newTwin(t, auEast(t))
	again.UseLedger(ledger)
	a = call(t, again, 0, reserveReq(first.key, melbHQ, "VLAN"))
	require.Nil(t, a.res.Err)
	assert.Equal(t, first.res.Value, a.res.Resource.Value)
}

// Capacity held at revalidation by one twin is not handed out by the
// other: revalidating every site an area has ports for, on one twin,
// leaves the other none to hold or take for a site of its own.
func TestTwinsHoldOnOneLedger(t *testing.T) {
	ledger := NewMemoryLedger()
	a, b := newTwin(t, auEast(t)), newTwin(t, auEast(t))
	a.UseLedger(ledger)
	b.UseLedger(ledger)
	held := 0
	for ; held < 1000; held++ {
		req := qualifyReq(fmt.Sprintf("POI-%d/revalidate/1", held), port.Revalidate, site{code: fmt.Sprintf("S%d", held), address: melbHQ.address})
		if r := call(t, a, 0, req); r.res.Err != nil {
			require.ErrorIs(t, r.res.Err, port.ErrCapacityExhausted)
			break
		}
	}
	require.Less(t, held, 1000, "the area's ports run out")
	require.Positive(t, held)
	other := site{code: "OTHER", address: melbHQ.address}
	r := call(t, b, 0, qualifyReq("POI-x/revalidate/1", port.Revalidate, other))
	require.NotNil(t, r.res.Err, "the other twin finds every port held")
	assert.ErrorIs(t, r.res.Err, port.ErrCapacityExhausted)
	r = call(t, b, 0, reserveReq("ROI-x/reserve/1", other, "OLTPort"))
	require.NotNil(t, r.res.Err, "nor can it take one without a hold")
	assert.ErrorIs(t, r.res.Err, port.ErrCapacityExhausted)
	r = call(t, a, 0, reserveReq("ROI-0/reserve/1", site{code: "S0", address: melbHQ.address}, "OLTPort"))
	assert.Nil(t, r.res.Err, "a holder takes its port")

	// Held for capacity, the other twin's site asks network planning: it
	// waits for capacity built, though this twin counts ports free (the
	// other's holds are in the ledger): answered at once, the site would
	// be revalidated, refused and ask again, without end.
	var rec recorder
	b.Call(0, planReq("TASK-001", other), &rec)
	assert.Empty(t, rec.finals(), "planning waits for capacity built")
}

// tmfResource is a resource a key reserved.
type tmfResource struct {
	key string
	res tmf.Resource
}

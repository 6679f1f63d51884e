package twin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
)

// Take is the reserve of an address served from the pool, by the pool's
// name: the same allocator, the same answer; Give is the release.
func TestTakeAndGiveAreReserveAndRelease(t *testing.T) {
	for _, c := range []struct{ resourceType, pool, value string }{
		{"VLAN", "ENT-MEL", "VLAN 2108"},
		{"IPv4Subnet", "SOUTH-ENT", "10.88.12.0/29"},
	} {
		inProcess, served := newTwin(t, auEast(t)), newTwin(t, auEast(t))
		want := call(t, inProcess, 0, reserveReq("ROI-002/reserve/1", melbHQ, c.resourceType)).res.Resource
		got, err := served.Take(c.resourceType, c.pool)
		require.Nil(t, err)
		assert.Equal(t, c.value, got.Value)
		w := *want
		w.Place = got.Place // Take knows no address
		assert.Equal(t, &w, got)

		next, err := served.Take(c.resourceType, c.pool)
		require.Nil(t, err)
		assert.NotEqual(t, got.Value, next.Value)
		assert.True(t, served.Give(got.ID))
		assert.False(t, served.Give(got.ID), "given back once")
		again, err := served.Take(c.resourceType, c.pool)
		require.Nil(t, err)
		assert.Equal(t, got.Value, again.Value, "the first free again")

		// A release through the port gives back what Take took.
		call(t, served, 0, releaseReq("ROI-002/release/1", melbHQ, again))
		assert.False(t, served.Give(again.ID))
	}
}

func TestTakeNamesWhatIsWrong(t *testing.T) {
	tw := newTwin(t, auEast(t))
	for _, c := range []struct{ resourceType, pool, code string }{
		{"VLAN", "ENT-NOWHERE", "unknownPool"},
		{"IPv4Subnet", "ENT-MEL", "unknownPool"},
		{"OLTPort", "ENT-MEL", "unknownResourceType"},
	} {
		_, err := tw.Take(c.resourceType, c.pool)
		require.NotNil(t, err)
		assert.Equal(t, port.Invalid, err.Class)
		assert.Equal(t, c.code, err.Code)
	}
	full := newTwin(t, edit(t, auEast(t), `occupied: "2100-2107"`, `occupied: "2100-2199"`))
	_, err := full.Take("VLAN", "ENT-MEL")
	require.NotNil(t, err)
	assert.ErrorIs(t, err, port.ErrCapacityExhausted)
}

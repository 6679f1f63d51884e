package twin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
)

// oltUse and poolUse find an OLT's and a pool's use by id.
func oltUse(t *testing.T, u Use, id string) OLTUse {
	t.Helper()
	for _, o := range u.OLTs {
		if o.ID == id {
			return o
		}
	}
	require.Failf(t, "no such OLT", "%s", id)
	return OLTUse{}
}

func exchangeUse(t *testing.T, u Use, id string) ExchangeUse {
	t.Helper()
	for _, x := range u.Exchanges {
		if x.ID == id {
			return x
		}
	}
	require.Failf(t, "no such exchange", "%s", id)
	return ExchangeUse{}
}

// Use counts the network file's occupancy and what the core reserves:
// Brisbane's OLT-BNE-07 with ports 1-13 of 16 in use, then the worked
// example's two Brisbane sites reserve one port each, and a release
// gives one back (seed: "OLT port capacity … reserved at each exchange").
func TestUseCountsReservedPorts(t *testing.T) {
	tw := bneOccupied(t, "1-13")
	before := oltUse(t, tw.Use(), "OLT-BNE-07")
	assert.Equal(t, 13, before.Cards[0].Used)
	assert.Equal(t, 16, before.Cards[0].Ports)

	first := *reserve(t, tw, "bearer-bne1", bne1, "OLTPort") // the twin reuses its answers
	reserve(t, tw, "bearer-bne2", bne2, "OLTPort")
	u := tw.Use()
	after := oltUse(t, u, "OLT-BNE-07")
	assert.Equal(t, before.Used+2, after.Used)
	assert.Equal(t, before.Ports, after.Ports)
	x := exchangeUse(t, u, after.Exchange)
	assert.GreaterOrEqual(t, x.OLTUsed, after.Used, "the exchange counts the ports of its areas' OLTs")

	releaseOK(t, tw, "release-bne1", bne1, &first)
	assert.Equal(t, before.Used+1, oltUse(t, tw.Use(), "OLT-BNE-07").Used)

	// Revalidation holds free capacity for a site: the exchange shows it.
	require.Nil(t, call(t, tw, 0, qualifyReq("reval-bne1", port.Revalidate, bne1)).res.Err)
	assert.Equal(t, 1, exchangeUse(t, tw.Use(), after.Exchange).Held)
}

// The pilot site's VLAN and subnet are taken from the enterprise pools of
// its serving area (seed: "VLAN 2108 from the enterprise VLAN pool",
// "10.88.12.0/29 allocated"): each pool counts one more in use.
func TestUseCountsPools(t *testing.T) {
	tw := newTwin(t, auEast(t))
	pool := func(u Use, list func(Use) []PoolUse, id string) PoolUse {
		for _, p := range list(u) {
			if p.ID == id {
				return p
			}
		}
		require.Failf(t, "no such pool", "%s", id)
		return PoolUse{}
	}
	vlans := func(u Use) []PoolUse { return u.VLANPools }
	ips := func(u Use) []PoolUse { return u.IPPools }
	before := tw.Use()
	vlan := reserve(t, tw, "vlan-melb", melbHQ, "VLAN")
	subnet := reserve(t, tw, "ip-melb", melbHQ, "IPv4Subnet")
	assert.Equal(t, "VLAN 2108", vlan.Value)
	assert.Equal(t, "10.88.12.0/29", subnet.Value)
	after := tw.Use()
	v0, v1 := pool(before, vlans, "ENT-MEL"), pool(after, vlans, "ENT-MEL")
	assert.Equal(t, "enterprise", v1.Kind)
	assert.Equal(t, v0.Used+1, v1.Used)
	assert.Equal(t, v0.Size, v1.Size)
	assert.Less(t, v1.Used, v1.Size)
	i0, i1 := pool(before, ips, "SOUTH-ENT"), pool(after, ips, "SOUTH-ENT")
	assert.Equal(t, i0.Used+1, i1.Used)
	assert.Positive(t, i1.Size)
}

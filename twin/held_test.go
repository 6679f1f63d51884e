package twin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The twin finds what it reserved by the resource's id alone — a CE
// router's serial, a VLAN, a subnet, an OLT port, a P2P handoff — and
// nothing else: not a slot in use from the start, not another spelling of
// an id, not a resource it gave back, not one it wrote off.
func TestHeldByID(t *testing.T) {
	tw := newTwin(t, auEast(t))
	var ids []string
	for _, c := range []struct {
		s   site
		typ string
	}{{melbHQ, "OLTPort"}, {melbHQ, "VLAN"}, {melbHQ, "IPv4Subnet"}, {melbHQ, "CPE"}, {syd1, "P2PHandoff"}} {
		ids = append(ids, reserve(t, tw, c.typ, c.s, c.typ).ID)
	}
	assert.Equal(t, []string{"OLT-SOUTH-03-LC2-P8", "ENT-MEL-VLAN-2108", "SOUTH-ENT-10.88.12.0/29", "FDO2340567", "SYD-EX-01-P2P-31"}, ids)
	for _, id := range ids {
		rel, ok := tw.held(id)
		require.True(t, ok, id)
		assert.True(t, rel.slots.used[rel.i], id)
	}
	olt, _ := tw.held("OLT-SOUTH-03-LC2-P8")
	assert.Same(t, &tw.areas["SOUTH-03"].capacity, olt.capacity, "a port counts in its serving area")
	p2p, _ := tw.held("SYD-EX-01-P2P-31")
	assert.Same(t, &tw.exchanges["SYD-EX-01"].capacity, p2p.capacity, "a handoff in its exchange")

	for _, id := range []string{
		"OLT-SOUTH-03-LC2-P7",     // in use from the start
		"SYD-EX-01-P2P-1",         // in use from the start
		"ENT-MEL-VLAN-02108",      // another spelling
		"SOUTH-ENT-10.88.12.1/29", // not a subnet's address
		"ENT-MEL-VLAN-2109",       // free
		"NOWHERE-VLAN-2108", "OLT-NOWHERE-LC2-P8", "FDO0000000", "BW-500-500-GOLD-ENT-ROI-004", "",
	} {
		_, ok := tw.held(id)
		assert.False(t, ok, id)
	}
	require.True(t, tw.Give("ENT-MEL-VLAN-2108"))
	assert.False(t, tw.Give("ENT-MEL-VLAN-2108"), "given back once")
	tw.writeOff("FDO2340567")
	_, ok := tw.held("FDO2340567")
	assert.False(t, ok, "written off")
	assert.False(t, tw.Give("FDO2340567"), "a router written off does not come back to stock")
}

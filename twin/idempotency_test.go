package twin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
)

// Reference: core/port, "an adapter that sees a key again must treat it as
// the same call and give the same answer": a repeated reserve gives the same
// resource and allocates once.
func TestReserveIsIdempotent(t *testing.T) {
	tests := []struct {
		site         site
		resourceType string
		value, next  string
	}{
		{melbHQ, "OLTPort", "OLT-SOUTH-03 LC2 Port 8", "OLT-SOUTH-03 LC2 Port 9"},
		{syd1, "P2PHandoff", "SYD-EX-01 P2P Port 31", "SYD-EX-01 P2P Port 32"},
		{melbHQ, "VLAN", "VLAN 2108", "VLAN 2109"},
		{melbHQ, "IPv4Subnet", "10.88.12.0/29", "10.88.12.8/29"},
		{melbHQ, "CPE", "ISR-4431 S/N: FDO2340567", "ISR-4431 S/N: FDO2340568"},
		{melbHQ, "QoSPolicy", "BW-500-500-GOLD-ENT", "BW-500-500-GOLD-ENT"},
		{melbHQ, "TWAMPProbe", "Probe-ENT-1102-MELB", "Probe-ENT-1102-MELB"},
	}
	for _, tt := range tests {
		t.Run(tt.resourceType, func(t *testing.T) {
			tw := newTwin(t, auEast(t))
			key := "ROI-001/reserve/1"
			first := call(t, tw, 0, reserveReq(key, tt.site, tt.resourceType))
			again := call(t, tw, hours(1), reserveReq(key, tt.site, tt.resourceType))
			require.Nil(t, first.res.Err)
			assert.Equal(t, tt.value, first.res.Resource.Value)
			assert.Equal(t, first.res, again.res, "the same key gives the same answer")
			assert.Equal(t, hours(1), again.at, "a repeated call is answered when it is made")
			assert.Equal(t, tt.next, reserve(t, tw, "ROI-001/reserve/2", tt.site, tt.resourceType).Value,
				"the repeated call allocated nothing")
		})
	}
}

// A repeated revalidation holds once, and a repeated qualification gives
// the same token.
func TestQualifyIsIdempotent(t *testing.T) {
	tw := bneOccupied(t, "1-14") // two free ports
	first := call(t, tw, 0, qualifyReq("POI-005/revalidate/1", port.Revalidate, bne2))
	again := call(t, tw, 0, qualifyReq("POI-005/revalidate/1", port.Revalidate, bne2))
	require.Nil(t, first.res.Err)
	assert.Equal(t, first.res, again.res)
	assert.Equal(t, 1, freeCapacity(t, tw, "q", bne1), "one port held, not two")

	q1 := call(t, tw, 0, qualifyReq("quote/qualify/1", port.Qualify, melbHQ))
	q2 := call(t, tw, 0, qualifyReq("quote/qualify/1", port.Qualify, melbHQ))
	assert.Equal(t, q1.res.Qualification.Token, q2.res.Qualification.Token)
}

// A refusal is an answer too: repeating the key repeats it, even when the
// capacity has come back since; a new attempt (new key) asks again.
func TestErrorsAreRemembered(t *testing.T) {
	tw := bneOccupied(t, "1-16")
	key := "POI-005/revalidate/1"
	requireExhausted(t, call(t, tw, 0, qualifyReq(key, port.Revalidate, bne2)), "no OLT capacity at serving exchange")
	requireExhausted(t, call(t, tw, 0, qualifyReq(key, port.Revalidate, bne2)), "no OLT capacity at serving exchange")
}

// A repeated credit check counts the order's exposure once.
func TestCreditCheckIsIdempotent(t *testing.T) {
	tw := newTwin(t, auEast(t))
	check := creditReq("PO-2024-01203/check/1", account, 324000)
	first := call(t, tw, 0, check)
	again := call(t, tw, 0, check)
	assert.True(t, first.res.Approved)
	assert.Equal(t, first.res, again.res)
	// 324000 + 176000 is exactly the limit: still within it.
	assert.True(t, call(t, tw, 0, creditReq("PO-2/check/1", account, 176000)).res.Approved)
}

// Without a key there is no idempotency: every call is a new one.
func TestEmptyKeyIsNotRemembered(t *testing.T) {
	tw := newTwin(t, auEast(t))
	a := call(t, tw, 0, reserveReq("", melbHQ, "VLAN"))
	b := call(t, tw, 0, reserveReq("", melbHQ, "VLAN"))
	assert.Equal(t, "VLAN 2108", a.res.Resource.Value)
	assert.Equal(t, "VLAN 2109", b.res.Resource.Value)
}

// Commit and release repeated with the same key answer the same.
func TestCommitAndReleaseAreIdempotent(t *testing.T) {
	tw := newTwin(t, auEast(t))
	r := reserve(t, tw, "ROI-001/reserve/1", melbHQ, "OLTPort")
	c1 := call(t, tw, hours(4), commitReq("ROI-001/commit/1", melbHQ, r))
	c2 := call(t, tw, hours(6), commitReq("ROI-001/commit/1", melbHQ, r))
	assert.Equal(t, c1.res, c2.res)
	assert.Equal(t, hours(5), c1.at)

	releaseOK(t, tw, "ROI-001/release/1", melbHQ, r)
	releaseOK(t, tw, "ROI-001/release/1", melbHQ, r)
	assert.Equal(t, 9, freeCapacity(t, tw, "q", melbHQ))
}

// A call repeated while its work is still under way is the same call: its
// answer cannot come before the work is done. Reference: core/port,
// Adapter: the final answer comes "at a time not earlier than now" — and
// for a retry, not earlier than the original's either.
func TestRepeatedCallIsNotAnsweredEarly(t *testing.T) {
	tw := newTwin(t, auEast(t))
	cpe := reserve(t, tw, "ROI-006/reserve/1", melbHQ, "CPE")
	first := call(t, tw, hours(4), commitReq("ROI-006/commit/1", melbHQ, cpe))
	again := call(t, tw, hours(10), commitReq("ROI-006/commit/1", melbHQ, cpe))
	assert.Equal(t, first.at, again.at, "the router is installed at T+120h, not when the call is repeated")

	tw2 := newTwin(t, auEast(t))
	probe := reserve(t, tw2, "ROI-005/reserve/1", melbHQ, "TWAMPProbe")
	var rec1, rec2 recorder
	tw2.Call(hours(7), commitReq("ROI-005/commit/1", melbHQ, probe), &rec1)
	tw2.Call(hours(8), commitReq("ROI-005/commit/1", melbHQ, probe), &rec2)
	assert.Empty(t, rec2.answers, "no probe is active before its CE router is up")
}

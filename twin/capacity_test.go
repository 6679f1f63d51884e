package twin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/port"
)

// bneOccupied is au-east.yaml with OLT-BNE-07 LC1 ports 1-n in use.
func bneOccupied(t *testing.T, n string) *Twin {
	t.Helper()
	return newTwin(t, edit(t, auEast(t), `{slot: 1, ports: 16, occupied: "1-13"}`,
		`{slot: 1, ports: 16, occupied: "`+n+`"}`))
}

// requireExhausted checks the answer is the capacity error of the worked
// example's what-if.
func requireExhausted(t *testing.T, a answer, why string) {
	t.Helper()
	require.NotNil(t, a.res.Err, "want a capacity error")
	assert.Equal(t, port.Exhausted, a.res.Err.Class)
	assert.Equal(t, "capacityExhausted", a.res.Err.Code)
	assert.Equal(t, "resource exhaustion — "+why, a.res.Err.Message)
	assert.ErrorIs(t, a.res.Err, port.ErrCapacityExhausted)
	assert.NotErrorIs(t, a.res.Err, port.ErrTransient)
}

// Reference: worked example, What-If: "Brisbane Office 2 (POI-005) fails
// feasibility revalidation — no OLT capacity at the serving exchange", held
// with reason "resource exhaustion — no OLT capacity at serving exchange",
// while Brisbane Office 1 proceeds.
func TestRevalidateHoldsCapacity(t *testing.T) {
	tw := bneOccupied(t, "1-15") // one free port in BNE-CBD

	a := call(t, tw, hours(2), qualifyReq("reval-bne1", port.Revalidate, bne1))
	require.Nil(t, a.res.Err)
	assert.Equal(t, 0, a.res.Qualification.FreeCapacity, "bne1 holds the last port")
	assert.Equal(t, hours(2)+hours(1)/2, a.at, "qualification.revalidate takes 30m")

	a = call(t, tw, hours(2), qualifyReq("reval-bne2", port.Revalidate, bne2))
	requireExhausted(t, a, "no OLT capacity at serving exchange")
	assert.Nil(t, a.res.Qualification)
	assert.Equal(t, hours(2)+hours(1)/2, a.at, "a failed revalidation takes as long")

	// A quote-time qualification of the held-out site does not fail, it
	// just is not approved.
	a = call(t, tw, hours(3), qualifyReq("qual-bne2", port.Qualify, bne2))
	require.Nil(t, a.res.Err)
	assert.False(t, a.res.Approved)
	assert.Equal(t, 0, a.res.Qualification.FreeCapacity)

	// The holder still qualifies and gets the port.
	a = call(t, tw, hours(3), qualifyReq("qual-bne1", port.Qualify, bne1))
	require.Nil(t, a.res.Err)
	assert.True(t, a.res.Approved, "a site holding capacity qualifies")
	assert.Equal(t, "OLT-BNE-07 LC1 Port 16", reserve(t, tw, "bearer-bne1", bne1, "OLTPort").Value)

	requireExhausted(t, call(t, tw, hours(4), reserveReq("bearer-bne2", bne2, "OLTPort")),
		"no OLT capacity at serving exchange")
}

// A site holding capacity gets its port even when other orders have used
// up the rest; those other orders cannot take the held port.
func TestHeldCapacityIsReservedForTheHolder(t *testing.T) {
	tw := bneOccupied(t, "1-14") // two free ports

	require.Nil(t, call(t, tw, 0, qualifyReq("reval-bne1", port.Revalidate, bne1)).res.Err)
	// bne2 has no hold: it may take the one port that is not held...
	assert.Equal(t, "OLT-BNE-07 LC1 Port 15", reserve(t, tw, "bne2-a", bne2, "OLTPort").Value)
	// ...but not the held one.
	requireExhausted(t, call(t, tw, 0, reserveReq("bne2-b", bne2, "OLTPort")), "no OLT capacity at serving exchange")
	requireExhausted(t, call(t, tw, 0, qualifyReq("reval-bne2", port.Revalidate, bne2)),
		"no OLT capacity at serving exchange")

	assert.Equal(t, "OLT-BNE-07 LC1 Port 16", reserve(t, tw, "bne1-a", bne1, "OLTPort").Value)
	// The hold is used up by the reserve.
	requireExhausted(t, call(t, tw, 0, reserveReq("bne1-b", bne1, "OLTPort")), "no OLT capacity at serving exchange")
}

// Revalidating again while holding does not hold twice; the reserve turns
// the hold into a port without counting it twice.
func TestRevalidateHoldsOnce(t *testing.T) {
	tw := newTwin(t, auEast(t)) // 9 free ports in SOUTH-03
	for _, key := range []string{"reval-1", "reval-2", "reval-3"} {
		a := call(t, tw, 0, qualifyReq(key, port.Revalidate, melbHQ))
		require.Nil(t, a.res.Err)
		assert.True(t, a.res.Approved)
		assert.Equal(t, 8, a.res.Qualification.FreeCapacity, key)
	}
	assert.Equal(t, 8, freeCapacity(t, tw, "q1", melbHQ))
	reserve(t, tw, "bearer", melbHQ, "OLTPort")
	assert.Equal(t, 8, freeCapacity(t, tw, "q2", melbHQ), "the held port became the reserved one")
	require.Nil(t, call(t, tw, 0, qualifyReq("reval-4", port.Revalidate, melbHQ)).res.Err)
	assert.Equal(t, 7, freeCapacity(t, tw, "q3", melbHQ), "a new revalidation holds anew")
}

// P2P Ethernet sites hold the exchange's handoff capacity.
func TestRevalidateHoldsP2PCapacity(t *testing.T) {
	tw := newTwin(t, edit(t, auEast(t), `p2pPorts: 48, p2pOccupied: "1-30"`, `p2pPorts: 48, p2pOccupied: "1-47"`))
	a := call(t, tw, 0, qualifyReq("reval-syd1", port.Revalidate, syd1))
	require.Nil(t, a.res.Err)
	assert.Equal(t, "P2P-Ethernet", a.res.Qualification.Technology)
	requireExhausted(t, call(t, tw, 0, qualifyReq("reval-syd2", port.Revalidate, syd2)),
		"no P2P handoff capacity at exchange")
	requireExhausted(t, call(t, tw, 0, reserveReq("bearer-syd2", syd2, "P2PHandoff")),
		"no P2P handoff capacity at exchange")
	assert.Equal(t, "SYD-EX-01 P2P Port 48", reserve(t, tw, "bearer-syd1", syd1, "P2PHandoff").Value)
}

// Capacity given back by a release can be held by the next revalidation.
func TestReleasedCapacityCanBeHeld(t *testing.T) {
	tw := bneOccupied(t, "1-15")
	port16 := reserve(t, tw, "bearer-bne1", bne1, "OLTPort")
	requireExhausted(t, call(t, tw, 0, qualifyReq("reval-bne2-1", port.Revalidate, bne2)),
		"no OLT capacity at serving exchange")
	releaseOK(t, tw, "release-bne1", bne1, port16)
	a := call(t, tw, 0, qualifyReq("reval-bne2-2", port.Revalidate, bne2))
	require.Nil(t, a.res.Err)
	assert.Equal(t, "OLT-BNE-07 LC1 Port 16", reserve(t, tw, "bearer-bne2", bne2, "OLTPort").Value)
}

// A GPON address in an area without OLTs has no capacity at all.
func TestRevalidateAreaWithoutOLT(t *testing.T) {
	tw := newTwin(t, edit(t, auEast(t), `{address: "Level 20, 1 Martin Place, Sydney NSW 2000", area: SYD-CBD, technology: P2P-Ethernet}`,
		`{address: "Level 20, 1 Martin Place, Sydney NSW 2000", area: SYD-CBD, technology: GPON}`))
	requireExhausted(t, call(t, tw, 0, qualifyReq("reval", port.Revalidate, syd1)), "no OLT capacity at serving exchange")
	requireExhausted(t, call(t, tw, 0, reserveReq("bearer", syd1, "OLTPort")), "no OLT capacity at serving exchange")
}

// Qualification of an address the address book does not know fails,
// naming the address.
func TestQualifyUnknownAddress(t *testing.T) {
	for _, op := range []port.Op{port.Qualify, port.Revalidate} {
		t.Run(string(op), func(t *testing.T) {
			tw := newTwin(t, auEast(t))
			nowhere := site{code: "PER", address: "1 St Georges Terrace, Perth WA 6000"}
			a := call(t, tw, hours(1), qualifyReq("q", op, nowhere))
			require.NotNil(t, a.res.Err)
			assert.Equal(t, port.Invalid, a.res.Err.Class)
			assert.Equal(t, "unknownAddress", a.res.Err.Code)
			assert.Contains(t, a.res.Err.Message, `"1 St Georges Terrace, Perth WA 6000"`)
			assert.Contains(t, a.res.Err.Error(), "1 St Georges Terrace, Perth WA 6000")
			assert.NotErrorIs(t, a.res.Err, port.ErrCapacityExhausted)
			assert.Nil(t, a.res.Qualification)
			assert.False(t, a.res.Approved)
		})
	}
}

// A revalidation that holds the last free port succeeded, so it is
// approved, like every later qualification of the holder.
func TestRevalidateLastPortIsApproved(t *testing.T) {
	tw := bneOccupied(t, "1-15")
	a := call(t, tw, 0, qualifyReq("reval-bne1", port.Revalidate, bne1))
	require.Nil(t, a.res.Err)
	assert.True(t, a.res.Approved, "the revalidation holds the port for bne1")
}

// Reserving the bearer of the other technology must not debit the wrong
// capacity: a P2P handoff at a GPON address takes an exchange port, so the
// serving area keeps its OLT capacity and the exchange loses one.
func TestReserveDebitsCapacityOfResourceType(t *testing.T) {
	tw := newTwin(t, auEast(t))
	before := freeCapacity(t, tw, "q1", bne1) // 3 OLT ports
	a := call(t, tw, 0, reserveReq("handoff", bne1, "P2PHandoff"))
	if a.res.Err == nil {
		assert.Equal(t, before, freeCapacity(t, tw, "q2", bne1), "no OLT port was taken")
	} else {
		assert.Equal(t, port.Invalid, a.res.Err.Class, "or the mismatch is refused as invalid")
	}
}

// Capacity held at revalidation belongs to a site, not to its building:
// with one free port, the second of two sites at one address is exhausted
// (held for planning, like a site in another building), and only the
// holder's reserve may take the held port.
func TestHoldBelongsToSiteNotAddress(t *testing.T) {
	tw := bneOccupied(t, "1-15") // one free port in BNE-CBD
	floor15 := site{code: "T15", address: bne1.address}
	floor22 := site{code: "T22", address: bne1.address}

	require.Nil(t, call(t, tw, 0, qualifyReq("reval-t15", port.Revalidate, floor15)).res.Err)
	requireExhausted(t, call(t, tw, 0, qualifyReq("reval-t22", port.Revalidate, floor22)),
		"no OLT capacity at serving exchange")
	requireExhausted(t, call(t, tw, 0, reserveReq("bearer-t22", floor22, "OLTPort")),
		"no OLT capacity at serving exchange")
	assert.Equal(t, "OLT-BNE-07 LC1 Port 16", reserve(t, tw, "bearer-t15", floor15, "OLTPort").Value)
}

// holdReleaseReq is COM's release of what a site's revalidation held: the
// site ends without being built (cancelled, failed, rejected).
func holdReleaseReq(key string, s site) *port.Request {
	return &port.Request{Key: key, System: port.Qualification, Op: port.Release, Item: keyItem(key),
		Customer: customer, Site: s.code, Place: s.place()}
}

// heldFor is the capacity held since revalidation, over every exchange.
func heldFor(tw *Twin) int {
	n := 0
	for _, x := range tw.Use().Exchanges {
		n += x.Held
	}
	return n
}

// Reference: docs/architecture.md §5, "a failed or cancelled site gives
// back everything it held". A site that ends without being built gives
// back the capacity its revalidation held: another site may hold it then.
// Giving back again, or for a site that holds none (its bearer's reserve
// used the hold up), gives back nothing. The release never fails, whatever
// fault rule targets qualification, and counts in no rule.
func TestReleaseGivesBackHeldCapacity(t *testing.T) {
	tw := bneOccupied(t, "1-15") // one free port in BNE-CBD
	require.NoError(t, tw.Inject([]FaultRule{{Name: "qualification down", Kind: Down, Target: FaultTarget{System: "qualification"}, From: "PT1H"}}, 1, engine.NewPCG))
	require.Nil(t, call(t, tw, 0, qualifyReq("POI-004/revalidate/1", port.Revalidate, bne1)).res.Err)
	requireExhausted(t, call(t, tw, 0, qualifyReq("POI-005/revalidate/1", port.Revalidate, bne2)), "no OLT capacity at serving exchange")
	require.Equal(t, 1, heldFor(tw))

	a := call(t, tw, hours(2), holdReleaseReq("POI-004/release", bne1))
	require.Nil(t, a.res.Err, "a fault on qualification does not fail a release")
	assert.Equal(t, hours(2), a.at, "given back at once")
	assert.Zero(t, heldFor(tw))
	assert.Equal(t, 0, tw.FaultHits()[0].Hits, "nor counts in its rule")
	require.Nil(t, call(t, tw, 0, qualifyReq("POI-005/revalidate/2", port.Revalidate, bne2)).res.Err, "the next site holds it")

	require.Nil(t, call(t, tw, 0, holdReleaseReq("POI-004/release", bne1)).res.Err)
	require.Nil(t, call(t, tw, 0, holdReleaseReq("POI-009/release", bne1)).res.Err)
	assert.Equal(t, 1, heldFor(tw), "a site holding none gives back nothing")
	requireExhausted(t, call(t, tw, 0, reserveReq("bearer-bne1", bne1, "OLTPort")), "no OLT capacity at serving exchange")
	assert.Equal(t, "OLT-BNE-07 LC1 Port 16", reserve(t, tw, "bearer-bne2", bne2, "OLTPort").Value, "bne2's hold stays its own")
	require.Nil(t, call(t, tw, 0, holdReleaseReq("POI-005/release", bne2)).res.Err)
	assert.Zero(t, heldFor(tw))
	assert.Equal(t, 0, freeCapacity(t, tw, "q", bne2), "a hold used up by the reserve is not given back again")
}

// On a ledger (the twins of several shards), the unit a site held is
// given back there too: another shard's site holds it then.
func TestReleaseGivesBackHeldCapacityOnALedger(t *testing.T) {
	ledger := NewMemoryLedger()
	one, other := bneOccupied(t, "1-15"), bneOccupied(t, "1-15")
	one.UseLedger(ledger)
	other.UseLedger(ledger)
	require.Nil(t, call(t, one, 0, qualifyReq("POI-004/revalidate/1", port.Revalidate, bne1)).res.Err)
	requireExhausted(t, call(t, other, 0, qualifyReq("POI-005/revalidate/1", port.Revalidate, bne2)), "no OLT capacity at serving exchange")
	require.Nil(t, call(t, one, 0, holdReleaseReq("POI-004/release", bne1)).res.Err)
	require.Nil(t, call(t, other, 0, qualifyReq("POI-005/revalidate/2", port.Revalidate, bne2)).res.Err, "the unit is given back in the ledger")
	assert.Equal(t, "OLT-BNE-07 LC1 Port 16", reserve(t, other, "bearer-bne2", bne2, "OLTPort").Value)
}

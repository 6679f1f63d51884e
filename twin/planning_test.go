package twin

import (
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func planReq(key string, s site) *port.Request {
	return &port.Request{Key: key, System: port.Planning, Op: port.Plan, Item: key, Customer: customer, Site: s.code, Place: s.place()}
}

// Network planning answers a request for capacity when a line card is added
// to the site's OLT (seed what-if: capacity becomes available, then
// SO-WAVE3).
func TestPlanningAnsweredByExpansion(t *testing.T) {
	tw := bneOccupied(t, "1-16")
	var rec recorder
	tw.Call(hours(2), planReq("TASK-001", bne2), &rec)
	assert.Empty(t, rec.answers, "no capacity yet: the task waits")

	a := call(t, tw, hours(600), &port.Request{Key: "expand", System: port.Planning, Op: port.Expand,
		Characteristics: Expansion("OLT-BNE-07", 2, 16, "1-3")})
	require.Nil(t, a.res.Err)
	require.Len(t, rec.answers, 1)
	assert.Equal(t, hours(600), rec.answers[0].at)
	assert.True(t, rec.answers[0].res.Final)

	r := reserve(t, tw, "ROI-025/reserve/1", bne2, "OLTPort")
	assert.Equal(t, "OLT-BNE-07 LC2 Port 4", r.Value, "the new card's first free port")
}

// With capacity free, planning answers at once.
func TestPlanningWithCapacity(t *testing.T) {
	tw := newTwin(t, auEast(t))
	a := call(t, tw, time.Hour, planReq("TASK-001", bne2))
	assert.Equal(t, time.Hour, a.at)
}

// Handoff ports added at an exchange answer P2P sites' requests.
func TestPlanningP2P(t *testing.T) {
	tw := newTwin(t, edit(t, auEast(t), `p2pPorts: 48, p2pOccupied: "1-30"`, `p2pPorts: 48, p2pOccupied: "1-48"`))
	var rec recorder
	tw.Call(0, planReq("TASK-001", syd1), &rec)
	assert.Empty(t, rec.answers)
	call(t, tw, hours(5), &port.Request{Key: "x", System: port.Planning, Op: port.Expand, Characteristics: HandoffExpansion("SYD-EX-01", 8)})
	require.Len(t, rec.answers, 1)
	r := reserve(t, tw, "ROI-007/reserve/1", syd1, "P2PHandoff")
	assert.Equal(t, "SYD-EX-01 P2P Port 49", r.Value)
}

// A bad expansion is refused, naming what is wrong, and changes nothing.
func TestExpansionErrors(t *testing.T) {
	tw := newTwin(t, auEast(t))
	for _, c := range []struct {
		build []string
		want  string
	}{
		{[]string{"OLT-NOPE", "2", "16"}, `no OLT "OLT-NOPE"`},
		{[]string{"OLT-BNE-07", "1", "16"}, "already has a line card in slot 1"},
		{[]string{"OLT-BNE-07", "2", "0"}, "positive number of ports"},
	} {
		req := &port.Request{Key: "expand-" + c.build[0] + c.build[1] + c.build[2], System: port.Planning, Op: port.Expand,
			Characteristics: Expansion(c.build[0], atoi(c.build[1]), atoi(c.build[2]), "")}
		a := call(t, tw, 0, req)
		require.NotNil(t, a.res.Err, c.want)
		assert.Contains(t, a.res.Err.Message, c.want)
	}
	assert.Equal(t, 3, freeCapacity(t, tw, "q", bne1), "nothing was added")
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = 10*n + int(r-'0')
	}
	return n
}

// A port reserved before a line card is added goes back to its own card
// when released (the card it was on stays where it was).
func TestReleaseAfterExpansion(t *testing.T) {
	tw := bneOccupied(t, "1-15")
	r := reserve(t, tw, "ROI-001/reserve/1", bne1, "OLTPort")
	require.Equal(t, "OLT-BNE-07 LC1 Port 16", r.Value)
	a := call(t, tw, hours(1), &port.Request{Key: "expand", System: port.Planning, Op: port.Expand,
		Characteristics: Expansion("OLT-BNE-07", 2, 16, "")})
	require.Nil(t, a.res.Err)
	releaseOK(t, tw, "ROI-001/release/1", bne1, r)
	again := reserve(t, tw, "ROI-002/reserve/1", bne1, "OLTPort")
	assert.Equal(t, "OLT-BNE-07 LC1 Port 16", again.Value, "the port released is free again, lowest first")
}

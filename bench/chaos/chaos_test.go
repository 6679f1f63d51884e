package chaos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A plan is the seed's: the same seed gives the same faults; they fall in
// the run's middle, in order, never overlapping, and each kind asked for
// comes as often as the others.
func TestPlan(t *testing.T) {
	kinds := []Kind{Kill, Pause, ListenerDown}
	a, err := Plan(7, time.Minute, 21, kinds)
	require.NoError(t, err)
	b, err := Plan(7, time.Minute, 21, kinds)
	require.NoError(t, err)
	assert.Equal(t, a, b, "the same seed, the same plan")
	c, err := Plan(8, time.Minute, 21, kinds)
	require.NoError(t, err)
	assert.NotEqual(t, a, c, "another seed, another plan")
	count := map[Kind]int{}
	for i, f := range a {
		count[f.Kind]++
		assert.GreaterOrEqual(t, f.At, 3*time.Second, "after the run's first twentieth")
		assert.Less(t, f.At+f.For, 48*time.Second, "before its last fifth")
		if i > 0 {
			prev := a[i-1]
			assert.Less(t, prev.At+prev.For, f.At, "%s ends before %s", prev.Name, f.Name)
		}
		if f.Kind == Kill {
			assert.Zero(t, f.For)
		} else {
			assert.Positive(t, f.For)
		}
	}
	assert.Equal(t, map[Kind]int{Kill: 7, Pause: 7, ListenerDown: 7}, count)

	_, err = Plan(1, time.Second, 20, kinds)
	assert.ErrorContains(t, err, "at most one every 200ms")
	_, err = ParseKinds("kill,sigstop")
	assert.ErrorContains(t, err, `fault kind "sigstop": want one of kill, pause`)
}

// good is the evidence of a run that lost nothing.
func good() Evidence {
	return Evidence{
		Answered: map[string][]string{"k1": {"PO-1"}, "k2": {"PO-2", "PO-2"}},
		Orders: []Order{
			{ID: "PO-1", ExternalID: "k1", State: "completed", Final: true},
			{ID: "PO-2", ExternalID: "k2", State: "inProgress", Held: "held for capacity"},
		},
		Resources: []Resource{
			{ID: "R1", Type: "VLAN", Value: "2108", State: "active"},
			{ID: "R2", Type: "VLAN", Value: "2108", State: "released"},
			{ID: "R3", Type: "QoSPolicy", Value: "BW-500", State: "active", Shared: true},
			{ID: "R4", Type: "QoSPolicy", Value: "BW-500", State: "active", Shared: true},
			{ID: "R5", Type: "OLTPort", Value: "LC2-P8", State: "reserved"},
			{ID: "R6", Type: "VLAN", Value: "2000", State: "active", Pool: "VLAN-A"},
			{ID: "R7", Type: "VLAN", Value: "2000", State: "active", Pool: "VLAN-B"},
		},
		Journal: []string{"3", "5", "8"},
		Heard:   []string{"3", "5", "4", "5", "8", "3"},
	}
}

func failed(v Verdict) map[string][]string {
	out := map[string][]string{}
	for _, c := range v.Checks {
		if !c.Pass {
			out[c.Name] = c.Detail
		}
	}
	return out
}

// Judge passes a run that lost nothing, and names what is wrong in one
// that did: each fault of a server caught by its own check.
func TestJudge(t *testing.T) {
	v := Judge(good())
	assert.True(t, v.Pass, "%+v", v)
	assert.Len(t, v.Checks, 7)

	cases := map[string]struct {
		spoil func(*Evidence)
		check string
		says  string
	}{
		"an acknowledged order lost": {func(e *Evidence) { e.Orders = e.Orders[1:] }, CheckOnce, "k1: acknowledged as PO-1, which the server does not list: lost"},
		"an order placed twice": {func(e *Evidence) {
			e.Orders = append(e.Orders, Order{ID: "PO-3", ExternalID: "k1", State: "completed", Final: true})
		}, CheckOnce, "k1: placed 2 times (PO-1, PO-3)"},
		"a re-send answered anew":     {func(e *Evidence) { e.Answered["k2"] = []string{"PO-2", "PO-9"} }, CheckResend, "k2: first answered PO-2, then PO-9"},
		"an order stuck":              {func(e *Evidence) { e.Orders[1].Held = "" }, CheckEnded, "PO-2 (k2) is inProgress, neither ended nor held for a reason"},
		"a VLAN held twice":           {func(e *Evidence) { e.Resources[1].State = "active" }, CheckTwice, "VLAN 2108 is held by R1 and R2"},
		"a VLAN held twice in a pool": {func(e *Evidence) { e.Resources[6].Pool = "VLAN-A" }, CheckTwice, "VLAN 2000 of VLAN-A is held by R6 and R7"},
		"a reservation left":          {func(e *Evidence) { e.Orders[1].Final, e.Orders[1].State = true, "partial" }, CheckLeaked, "R5 (OLTPort LC2-P8) is still reserved, every order having ended"},
		"orders refused":              {func(e *Evidence) { e.Unanswered = []string{"15 orders: 400"} }, CheckAcked, "15 orders: 400"},
		"no order sent":               {func(e *Evidence) { e.Answered = nil; e.Orders = nil; e.Resources = nil }, CheckAcked, "the run sent no order"},
		"an event never delivered":    {func(e *Evidence) { e.Heard = []string{"3", "8"} }, CheckDelivered, "event 5 was never delivered"},
		"events out of order":         {func(e *Evidence) { e.Heard = []string{"5", "3", "8"} }, CheckDelivered, "out of order: event 1 of the journal is 3, the listener's 1 was 5"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ev := good()
			c.spoil(&ev)
			v := Judge(ev)
			assert.False(t, v.Pass)
			assert.Equal(t, map[string][]string{c.check: {c.says}}, failed(v))
		})
	}

	ev := good()
	ev.Journal = nil
	v = Judge(ev)
	assert.True(t, v.Pass)
	assert.Equal(t, "the run does not own the server's journal", v.Checks[6].Skipped)
}

// A fault's cost: the requests that failed from its hit to the next, how
// long until one was answered well again, and the longest answer.
func TestCost(t *testing.T) {
	s := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	hits := []Hit{{AtSeconds: 10}, {AtSeconds: 20}, {AtSeconds: 30}}
	Cost(hits, []Request{
		{Due: s(9), Answered: s(9.01), OK: true},
		{Due: s(9.9), Answered: s(10.5), OK: false}, // cut by the first
		{Due: s(10.2), Answered: s(11), OK: false},
		{Due: s(10.3), Answered: s(12.5), OK: true},
		{Due: s(12), Answered: s(12.2), OK: true},
		{Due: s(21), Answered: s(21.4), OK: true},
	})
	assert.Equal(t, 2, hits[0].Failed)
	assert.InDelta(t, 2.2, hits[0].UnavailableSeconds, 1e-9, "from the hit to 12.2 s, the first good answer after the last failure")
	assert.InDelta(t, 2200, hits[0].MaxLatencyMs, 1e-6)
	assert.Zero(t, hits[1].Failed)
	assert.Zero(t, hits[1].UnavailableSeconds)
	assert.InDelta(t, 400, hits[1].MaxLatencyMs, 1e-6)
	assert.Zero(t, hits[2].MaxLatencyMs)
}

package twin

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// caller is a caller of the twin known by name, as the engine's repliers
// are (port.Named): it keeps every answer.
type caller struct {
	name string
	recorder
}

func (c *caller) ReplyTo() string { return c.name }

// callers are the callers of one twin, by name.
type callers map[string]*caller

func newCallers() callers {
	cs := callers{}
	for _, name := range []string{"COM", "ROM", "Network"} {
		cs[name] = &caller{name: name}
	}
	return cs
}

func (cs callers) find(name string) port.Replier {
	if c, ok := cs[name]; ok {
		return c
	}
	return nil
}

// snapshotFaults fire before and after every cut point of snapshotScript:
// a rule on its own random stream, a counting rule, and one armed by a
// trigger.
var snapshotFaults = []FaultRule{
	{Name: "flaky-vlan", Kind: Transient, Target: FaultTarget{System: "vlan", Op: "reserve"}, Probability: 0.5},
	{Name: "slow-ipam", Kind: Latency, Target: FaultTarget{System: "ipam"}, Every: 2, Factor: 3},
	{Name: "bng-after-pilot", Kind: Hard, Target: FaultTarget{System: "bng", Op: "reserve"}, After: "SO-PILOT completed",
		Until: "P2D"},
}

// world is a twin, its callers, and what they were given (the resources
// a caller commits and releases later).
type world struct {
	t   *testing.T
	tw  *Twin
	cs  callers
	got map[string]*tmf.Resource
}

// snapshotWorld builds a twin as scenarios.New would: the worked example's
// network with Brisbane's OLT full, fault rules, varied durations, and its
// callers. It remembers answers (a twin behind protocol front-ends).
func snapshotWorld(t *testing.T) *world {
	tw := bneOccupied(t, "1-16")
	require.NoError(t, tw.Inject(snapshotFaults, 7, engine.NewPCG))
	tw.Vary(0.25, engine.NewPCG(7, "twin/durations"))
	cs := newCallers()
	tw.Callers(cs.find)
	return &world{t: t, tw: tw, cs: cs, got: map[string]*tmf.Resource{}}
}

// call sends req from a caller at a time; with keep, the resource of its
// final answer is kept under that name.
func (w *world) call(at time.Duration, from string, req *port.Request, keep string) {
	w.tw.Call(at, req, w.cs[from])
	if keep == "" {
		return
	}
	answers := w.cs[from].answers
	for i := len(answers) - 1; i >= 0; i-- {
		if a := answers[i].res; a.Final && a.Key == req.Key && a.Resource != nil {
			w.got[keep] = a.Resource
			return
		}
	}
	w.got[keep] = nil // failed (a fault): what uses it is not sent
}

// snapshotScript is the life of a few orders: qualification and hold,
// credit, reservations, a probe waiting for its CE router, planning
// waiting for capacity, billing, a trigger, then the router coming up,
// the capacity built, releases and more reservations.
var snapshotScript = []func(w *world){
	func(w *world) { w.call(0, "COM", qualifyReq("QT-1/qualify/1", port.Qualify, melbHQ), "") },
	func(w *world) { w.call(hours(1), "COM", qualifyReq("PO-1/revalidate/1", port.Revalidate, melbHQ), "") },
	func(w *world) { w.call(hours(1), "COM", creditReq("PO-1/check/1", account, 120000), "") },
	func(w *world) {
		for _, rt := range []string{"OLTPort", "QoSPolicy", "TWAMPProbe", "CPE"} {
			w.call(hours(2), "ROM", reserveReq("ROI-"+rt+"/reserve/1", melbHQ, rt), rt)
		}
	},
	func(w *world) {
		for i := range 6 {
			w.call(hours(2), "ROM", reserveReq(fmt.Sprintf("ROI-V%d/reserve/1", i), melbHQ, "VLAN"), fmt.Sprintf("VLAN%d", i))
			w.call(hours(2), "ROM", reserveReq(fmt.Sprintf("ROI-I%d/reserve/1", i), melbHQ, "IPv4Subnet"), "")
		}
	},
	func(w *world) { w.call(hours(2), "ROM", reserveReq("ROI-P2P/reserve/1", syd1, "P2PHandoff"), "P2P") },
	func(w *world) {
		// The probe waits for the CE router; the same call again waits too.
		for range 2 {
			w.call(hours(3), "ROM", commitReq("ROI-TWAMPProbe/commit/1", melbHQ, w.got["TWAMPProbe"]), "")
		}
	},
	func(w *world) { w.call(hours(3), "ROM", planReq("TASK-BNE2", bne2), "") },
	func(w *world) {
		w.call(hours(4), "COM", &port.Request{Key: "POI-1/activate/1", System: port.Billing, Op: port.Activate,
			Item: "POI-1", Site: "MELB", Place: melbHQ.place(), Amount: 1800}, "")
	},
	func(w *world) { w.tw.Witness(hours(5), "SO-PILOT", "pilot", "completed") },
	func(w *world) { w.call(hours(6), "ROM", reserveReq("ROI-Q2/reserve/1", bne1, "QoSPolicy"), "") },
	func(w *world) { w.call(hours(7), "ROM", commitReq("ROI-CPE/commit/1", melbHQ, w.got["CPE"]), "") },
	func(w *world) { w.call(hours(8), "ROM", releaseReq("ROI-P2P/release/1", syd1, w.got["P2P"]), "") },
	func(w *world) {
		w.call(hours(600), "Network", &port.Request{Key: "expand", System: port.Planning, Op: port.Expand,
			Characteristics: Expansion("OLT-BNE-07", 2, 16, "1-3")}, "")
	},
	func(w *world) {
		for i := range 6 {
			if r := w.got[fmt.Sprintf("VLAN%d", i)]; r != nil {
				w.call(hours(601), "ROM", releaseReq(fmt.Sprintf("ROI-V%d/release/1", i), melbHQ, r), "")
			}
		}
	},
	func(w *world) {
		for i := range 4 {
			w.call(hours(602), "ROM", reserveReq(fmt.Sprintf("ROI-W%d/reserve/1", i), syd2, "VLAN"), "")
			w.call(hours(602), "ROM", reserveReq(fmt.Sprintf("ROI-J%d/reserve/1", i), bne2, "IPv4Subnet"), "")
		}
	},
	func(w *world) {
		w.call(hours(603), "ROM", reserveReq("ROI-P2P2/reserve/1", syd2, "P2PHandoff"), "")
		w.call(hours(603), "ROM", reserveReq("ROI-BNE/reserve/1", bne2, "OLTPort"), "")
		w.call(hours(603), "ROM", reserveReq("ROI-Q3/reserve/1", bne2, "QoSPolicy"), "")
	},
	func(w *world) {
		// Calls repeated: the remembered answers.
		w.call(hours(604), "ROM", reserveReq("ROI-OLTPort/reserve/1", melbHQ, "OLTPort"), "")
		w.call(hours(604), "COM", creditReq("PO-1/check/1", account, 120000), "")
		w.call(hours(604), "COM", qualifyReq("QT-2/qualify/1", port.Qualify, bne2), "")
	},
}

// Restore then Snapshot gives the same bytes, and the restored twin
// answers every later call as the saved one does, at every cut point of a
// run with faults firing, a probe and a planning request waiting.
func TestSnapshotRestoreAnswersAlike(t *testing.T) {
	for cut := 1; cut < len(snapshotScript); cut++ {
		t.Run(fmt.Sprintf("cut %d", cut), func(t *testing.T) {
			a := snapshotWorld(t)
			for _, step := range snapshotScript[:cut] {
				step(a)
			}
			saved, err := a.tw.Snapshot()
			require.NoError(t, err)

			b := snapshotWorld(t)
			require.NoError(t, b.tw.Restore(saved))
			again, err := b.tw.Snapshot()
			require.NoError(t, err)
			require.Equal(t, saved, again, "Restore then Snapshot gives the same bytes")
			assert.Equal(t, a.tw.FaultHits(), b.tw.FaultHits())
			assert.Equal(t, a.tw.Billing(), b.tw.Billing())

			// b's callers were given what a's were (they commit it later).
			for k, r := range a.got {
				b.got[k] = r
			}
			seen := map[string]int{}
			for name, c := range a.cs {
				seen[name] = len(c.answers)
			}
			for _, step := range snapshotScript[cut:] {
				step(a)
				step(b)
			}
			for name, c := range a.cs {
				after := append([]answer(nil), c.answers[seen[name]:]...)
				assert.Equal(t, after, b.cs[name].answers, "the answers to %s after the cut", name)
			}
			assert.Equal(t, a.tw.FaultHits(), b.tw.FaultHits())
			assert.Equal(t, a.tw.Billing(), b.tw.Billing())
			endA, err := a.tw.Snapshot()
			require.NoError(t, err)
			endB, err := b.tw.Snapshot()
			require.NoError(t, err)
			assert.Equal(t, endA, endB, "the same state at the end")
		})
	}
}

// The script is worth cutting: every fault fires, the probe and the
// planning request wait across cut points, and they are answered later
// to the callers that asked.
func TestSnapshotScriptExercisesTheTwin(t *testing.T) {
	w := snapshotWorld(t)
	for _, step := range snapshotScript[:8] {
		step(w)
	}
	assert.Len(t, w.tw.waiting, 1, "the probe waits for its CE router")
	assert.Len(t, w.tw.planning, 1, "Brisbane's planning request waits for capacity")
	for _, step := range snapshotScript[8:] {
		step(w)
	}
	for _, h := range w.tw.FaultHits() {
		assert.Positive(t, h.Hits, "fault %s fired", h.Name)
	}
	probe := 0
	for _, a := range w.cs["ROM"].finals() {
		if a.res.Key == "ROI-TWAMPProbe/commit/1" {
			probe++
		}
	}
	assert.Equal(t, 2, probe, "the probe is answered to both calls once the router is up")
	assert.Empty(t, w.tw.waiting)
	assert.Empty(t, w.tw.planning)
	require.NotEmpty(t, w.cs["ROM"].finals())
}

// A snapshot that does not fit the twin — not a snapshot, of another
// network, with other fault rules, without a spread, with callers the twin
// cannot find — is refused, naming what does not fit, and the twin is as
// it was.
func TestRestoreRefusesWhatDoesNotFit(t *testing.T) {
	w := snapshotWorld(t)
	for _, step := range snapshotScript[:8] {
		step(w)
	}
	state, err := w.tw.Snapshot()
	require.NoError(t, err)

	other := func(t *testing.T, network []byte) *Twin {
		tw := newTwin(t, network)
		require.NoError(t, tw.Inject(snapshotFaults, 7, engine.NewPCG))
		tw.Vary(0.25, engine.NewPCG(7, "twin/durations"))
		tw.Callers(newCallers().find)
		return tw
	}
	full := edit(t, auEast(t), `{slot: 1, ports: 16, occupied: "1-13"}`, `{slot: 1, ports: 16, occupied: "1-16"}`)
	for _, c := range []struct {
		name  string
		twin  func(t *testing.T) *Twin
		state []byte
		want  string
	}{
		{"garbage", func(t *testing.T) *Twin { return snapshotWorld(t).tw }, []byte("not a snapshot"), "decode"},
		{"truncated", func(t *testing.T) *Twin { return snapshotWorld(t).tw }, state[:len(state)/2], "decode"},
		{"another network", func(t *testing.T) *Twin { return other(t, edit(t, full, "name: au-east", "name: au-east-2")) }, state,
			"network"},
		{"another pool", func(t *testing.T) *Twin {
			return other(t, edit(t, full, `{id: ENT-BNE, kind: enterprise, range: "2300-2399"`, `{id: ENT-BNE, kind: enterprise, range: "2300-2398"`))
		}, state, "VLAN pools ENT-BNE"},
		{"more line cards", func(t *testing.T) *Twin {
			return other(t, edit(t, full, `{slot: 2, ports: 16, occupied: "1-7"}`, "{slot: 2, ports: 16, occupied: \"1-7\"}\n      - {slot: 3, ports: 8}"))
		}, state, "OLT-SOUTH-03"},
		{"other fault rules", func(t *testing.T) *Twin {
			tw := newTwin(t, full)
			require.NoError(t, tw.Inject(snapshotFaults[:2], 7, engine.NewPCG))
			tw.Vary(0.25, engine.NewPCG(7, "twin/durations"))
			tw.Callers(newCallers().find)
			return tw
		}, state, "fault rules"},
		{"no spread", func(t *testing.T) *Twin {
			tw := newTwin(t, full)
			require.NoError(t, tw.Inject(snapshotFaults, 7, engine.NewPCG))
			tw.Callers(newCallers().find)
			return tw
		}, state, "durations vary"},
		{"forgets answers", func(t *testing.T) *Twin {
			tw := snapshotWorld(t).tw
			tw.Forget()
			return tw
		}, state, "remembers answers"},
		{"a resource in a free slot", func(t *testing.T) *Twin { return snapshotWorld(t).tw },
			resaved(t, state, func(s *saved) {
				for k := range s.VLANs {
					if i := slices.Index(s.VLANs[k].Slots.Mine, true); i >= 0 {
						s.VLANs[k].Slots.Used[i] = false
						return
					}
				}
				t.Fatal("no VLAN reserved")
			}), "is the twin's but free"},
		{"no callers", func(t *testing.T) *Twin {
			tw := snapshotWorld(t).tw
			tw.Callers(func(string) port.Replier { return nil })
			return tw
		}, state, `owes "ROM" an answer`},
	} {
		t.Run(c.name, func(t *testing.T) {
			tw := c.twin(t)
			tw.Call(0, reserveReq("ROI-X/reserve/1", melbHQ, "OLTPort"), &recorder{})
			before, err := tw.Snapshot()
			require.NoError(t, err)
			err = tw.Restore(c.state)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			after, err := tw.Snapshot()
			require.NoError(t, err)
			assert.Equal(t, before, after, "a refused snapshot changes nothing")
		})
	}
}

// A caller the twin cannot name after a restart makes Snapshot fail,
// saying so, rather than lose whom an answer is owed.
func TestSnapshotNeedsNamedCallers(t *testing.T) {
	tw := newTwin(t, auEast(t))
	r := reserve(t, tw, "ROI-TWAMPProbe/reserve/1", melbHQ, "TWAMPProbe")
	tw.Call(0, commitReq("ROI-TWAMPProbe/commit/1", melbHQ, r), &recorder{})
	_, err := tw.Snapshot()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no name")
}

// resaved is the snapshot state edited by edit.
func resaved(t *testing.T, state []byte, edit func(s *saved)) []byte {
	t.Helper()
	var s saved
	require.NoError(t, gob.NewDecoder(bytes.NewReader(state)).Decode(&s))
	edit(&s)
	var b bytes.Buffer
	require.NoError(t, gob.NewEncoder(&b).Encode(&s))
	return b.Bytes()
}

// A snapshot of an earlier build lists its reserved resources one by one
// (its slots do not say which are the twin's): it restores to the same
// twin, whose snapshot then marks them in the slots.
func TestRestoreTheListOfAnEarlierBuild(t *testing.T) {
	w := snapshotWorld(t)
	for _, step := range snapshotScript[:8] {
		step(w)
	}
	state, err := w.tw.Snapshot()
	require.NoError(t, err)
	listed := 0
	legacy := resaved(t, state, func(s *saved) {
		list := func(pool, capacity string, slots *savedSlots) {
			for i, mine := range slots.Mine {
				if mine {
					s.Resources = append(s.Resources, savedResource{ID: fmt.Sprintf("%s/%d", pool, i), Pool: pool, Slot: i, Capacity: capacity})
				}
			}
			slots.Mine = nil
		}
		for k := range s.Areas {
			for _, o := range s.Areas[k].OLTs {
				for c := range o.Cards {
					list(fmt.Sprintf("olt %s LC%d", o.ID, o.Cards[c].Slot), "area "+s.Areas[k].ID, &o.Cards[c].Ports)
				}
			}
		}
		for k := range s.Exchanges {
			list("p2p "+s.Exchanges[k].ID, "exchange "+s.Exchanges[k].ID, &s.Exchanges[k].P2P)
		}
		for _, pools := range []struct {
			kind  string
			saved []savedPool
		}{{"vlan", s.VLANs}, {"ip", s.IPs}, {"cpe", s.Stock}} {
			for k := range pools.saved {
				list(pools.kind+" "+pools.saved[k].ID, "", &pools.saved[k].Slots)
			}
		}
		listed = len(s.Resources)
	})
	require.Positive(t, listed)
	again := snapshotWorld(t).tw
	require.NoError(t, again.Restore(legacy))
	got, err := again.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, state, got)
}

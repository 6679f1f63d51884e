package twin

import (
	"encoding/json"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func faulty(t *testing.T, rules ...FaultRule) *Twin {
	t.Helper()
	tw := newTwin(t, auEast(t))
	require.NoError(t, tw.Inject(rules, 1, engine.NewPCG))
	return tw
}

// Occurrence rules (docs/architecture.md §6): first N, every Nth, the k-th, and each
// rule counts its hits.
func TestFaultOccurrence(t *testing.T) {
	target := FaultTarget{System: "vlan", Op: "reserve"}
	for _, c := range []struct {
		rule FaultRule
		want []bool // per call: failed?
	}{
		{FaultRule{Name: "first2", Kind: Transient, Target: target, First: 2}, []bool{true, true, false, false, false, false}},
		{FaultRule{Name: "every3", Kind: Transient, Target: target, Every: 3}, []bool{false, false, true, false, false, true}},
		{FaultRule{Name: "4th", Kind: Hard, Target: target, Nth: 4}, []bool{false, false, false, true, false, false}},
		{FaultRule{Name: "all", Kind: Exhausted, Target: target}, []bool{true, true, true, true, true, true}},
	} {
		t.Run(c.rule.Name, func(t *testing.T) {
			tw := faulty(t, c.rule)
			hits := 0
			for i, want := range c.want {
				a := call(t, tw, 0, reserveReq("ROI-"+string(rune('a'+i))+"/reserve/1", melbHQ, "VLAN"))
				assert.Equal(t, want, a.res.Err != nil, "call %d", i+1)
				if want {
					hits++
					assert.Contains(t, a.res.Err.Message, "fault "+c.rule.Name)
				}
			}
			assert.Equal(t, []Hits{{Name: c.rule.Name, Kind: c.rule.Kind, Hits: hits}}, tw.FaultHits())
		})
	}
}

// A probability draws from the rule's own seeded stream: same seed, same
// hits.
func TestFaultProbabilityIsSeeded(t *testing.T) {
	rule := FaultRule{Name: "flaky", Kind: Transient, Target: FaultTarget{System: "vlan"}, Probability: 0.3}
	run := func() []Hits {
		tw := faulty(t, rule)
		for i := range 200 {
			call(t, tw, 0, reserveReq("ROI-"+time.Duration(i).String()+"/reserve/1", melbHQ, "VLAN"))
		}
		return tw.FaultHits()
	}
	a, b := run(), run()
	assert.Equal(t, a, b)
	assert.InDelta(t, 60, a[0].Hits, 25)
}

// A failing call answers after its usual time, having allocated nothing.
func TestFaultFailsWithoutEffect(t *testing.T) {
	tw := faulty(t, FaultRule{Name: "olt-down", Kind: Down, Target: FaultTarget{System: "access", Area: "SOUTH-03"},
		From: "PT1H", Until: "PT3H"})
	a := call(t, tw, 2*time.Hour, reserveReq("ROI-001/reserve/1", melbHQ, "OLTPort"))
	require.NotNil(t, a.res.Err)
	assert.Equal(t, port.Transient, a.res.Err.Class)
	after := reserve(t, tw, "ROI-001/reserve/2", melbHQ, "OLTPort")
	assert.Equal(t, "OLT-SOUTH-03 LC2 Port 8", after.Value, "the failed call took no port")
	assert.Equal(t, 1, tw.FaultHits()[0].Hits)
}

// Latency multiplies the duration; slaBreach changes what a probe measures.
func TestFaultLatencyAndBreach(t *testing.T) {
	m := Measurement{LatencyMs: 14, LossPct: 0.5, Availability: 99.1}
	tw := faulty(t,
		FaultRule{Name: "slow-olt", Kind: Latency, Target: FaultTarget{System: "access", Op: "commit"}, Factor: 3},
		FaultRule{Name: "bad-probe", Kind: SLABreach, Target: FaultTarget{System: "nms", Op: "commit"}, Measure: &m})
	port := reserve(t, tw, "ROI-001/reserve/1", melbHQ, "OLTPort")
	a := call(t, tw, 4*time.Hour, commitReq("ROI-001/commit/1", melbHQ, port))
	assert.Equal(t, 7*time.Hour, a.at, "1h commit ×3")
	cpe := reserve(t, tw, "ROI-006/reserve/1", melbHQ, "CPE")
	call(t, tw, 4*time.Hour, commitReq("ROI-006/commit/1", melbHQ, cpe))
	probe := reserve(t, tw, "ROI-005/reserve/1", melbHQ, "TWAMPProbe")
	p := call(t, tw, 7*time.Hour, commitReq("ROI-005/commit/1", melbHQ, probe))
	assert.Equal(t, "14", p.res.Resource.Characteristics.Get("measuredLatencyMs"))
}

// Bad rules are refused, each fault named.
func TestCheckFaults(t *testing.T) {
	err := CheckFaults([]FaultRule{
		{Name: "a", Kind: "meteor"},
		{Name: "a", Kind: Transient, First: 1, Every: 2},
		{Name: "b", Kind: Latency},
		{Name: "c", Kind: SLABreach},
		{Name: "d", Kind: Down, From: "PT2H", Until: "PT1H"},
		{Kind: Hard, Probability: 2},
	})
	require.Error(t, err)
	for _, want := range []string{`unknown kind "meteor"`, "name used twice", "at most one of first, every, nth and probability",
		"needs a factor", "needs measure", "until PT1H is not after from PT2H", "no name", "probability within 0-1"} {
		assert.ErrorContains(t, err, want)
	}

	// What a rule of its kind does not take is refused as rules are read,
	// not by CheckFaults, which a replay runs on the rules it logged.
	odd := []FaultRule{{Name: "e", Kind: Transient, Factor: 3, Measure: &Measurement{LatencyMs: 9}}}
	assert.NoError(t, CheckFaults(odd))
	err = CheckFaultFields(odd)
	assert.ErrorContains(t, err, "faults[0] (e): factor is a latency fault's: a transient fault takes none")
	assert.ErrorContains(t, err, "faults[0] (e): measure is an slaBreach fault's: a transient fault takes none")
}

// A rule aimed at a system or operation that does not exist, or at one
// whose answer its kind never changes, can never fire: refused, saying
// what was meant or where the kind belongs.
func TestCheckFaultsThatCannotFire(t *testing.T) {
	err := CheckFaults([]FaultRule{
		{Name: "a", Kind: Transient, Target: FaultTarget{System: "logistcs", Op: "comit"}},
		{Name: "b", Kind: CreditRefuse, Target: FaultTarget{System: "billing"}},
		{Name: "c", Kind: LostCPE, Target: FaultTarget{Op: "reserve"}},
		{Name: "d", Kind: DamagedCPE, Target: FaultTarget{ResourceType: "VLAN"}},
		{Name: "e", Kind: SLABreach, Target: FaultTarget{System: "nms", Op: "reserve"}, Measure: &Measurement{}},
	})
	require.Error(t, err)
	for _, want := range []string{
		`faults[0] (a): target: system: "logistcs" is not a system (did you mean "logistics"?)`,
		`target: op: "comit" is not an operation (did you mean "commit"?)`,
		"faults[1] (b): target: system: a creditRefuse fault changes what credit answers, never billing: it can never fire",
		"faults[2] (c): target: op: a lostCPE fault hits the CE router's commit, never a reserve",
		"faults[3] (d): target: resourceType: a damagedCPE fault hits a CPE, never a VLAN",
		"faults[4] (e): target: op: a slaBreach fault changes a probe's commit or measure, never a reserve",
	} {
		assert.ErrorContains(t, err, want)
	}
	require.NoError(t, CheckFaults([]FaultRule{{Name: "ok", Kind: LostCPE, Target: FaultTarget{System: "ztp", Op: "commit", ResourceType: "CPE"}}}))
}

// A count or chance of 0 is refused as it is read; one given as null is
// not given.
func TestCountAndChanceRefuseZero(t *testing.T) {
	var r FaultRule
	require.NoError(t, json.Unmarshal([]byte(`{"name":"a","kind":"hard","first":null,"probability":null}`), &r))
	assert.Zero(t, r.First)
	assert.Zero(t, r.Probability)
	require.NoError(t, yaml.Unmarshal([]byte("{name: a, kind: hard, every: ~, probability: 0.5}"), &r))
	assert.Equal(t, Chance(0.5), r.Probability)
	assert.ErrorContains(t, json.Unmarshal([]byte(`{"nth":0}`), &r), "a count of 0")
	assert.ErrorContains(t, json.Unmarshal([]byte(`{"probability":0}`), &r), "probability 0 never fires")
	assert.ErrorContains(t, yaml.Unmarshal([]byte("{first: 0}"), &r), "a count of 0 (first, every or nth)")
}

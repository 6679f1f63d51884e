package twin

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Reference: docs/architecture.md §6, "a duration model per operation and region", and
// the worked example's timeline: ROM starts network-side activation at
// T+4 hr and the Melbourne OLT port is active at T+5 hr, while Sydney's P2P
// handoffs and Brisbane's GPON lead-ins need a field build (au-east.yaml:
// access.commit.OLTPort {default: 1h, BNE: 355h}).
func TestCommitDurations(t *testing.T) {
	tests := []struct {
		site         site
		resourceType string
		took         time.Duration
	}{
		{melbHQ, "OLTPort", time.Hour},
		{bne1, "OLTPort", 355 * time.Hour},
		{syd1, "P2PHandoff", 355 * time.Hour},
		{melbHQ, "VLAN", 45 * time.Minute},
		{syd1, "VLAN", 45 * time.Minute},
		{melbHQ, "IPv4Subnet", 15 * time.Minute},
		{melbHQ, "QoSPolicy", 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.site.code+"/"+tt.resourceType, func(t *testing.T) {
			tw := newTwin(t, auEast(t))
			r := reserve(t, tw, "reserve", tt.site, tt.resourceType)
			var rec recorder
			tw.Call(hours(4), commitReq("commit", tt.site, r), &rec)
			require.Len(t, rec.answers, 1, "no progress reports for %s", tt.resourceType)
			a := rec.final(t)
			require.Nil(t, a.res.Err)
			assert.Equal(t, hours(4)+tt.took, a.at)
			assert.Equal(t, port.Commit, a.res.Op)
			want := *r
			want.State = "available"
			if tt.resourceType == "IPv4Subnet" { // and configures the IP profile
				want.Characteristics = append(slices.Clip(want.Characteristics), tmf.Characteristic{Name: "gateway", Value: "10.88.12.1"},
					tmf.Characteristic{Name: "ceAddress", Value: "10.88.12.2/29"}, tmf.Characteristic{Name: "usableAddresses", Value: "6"},
					tmf.Characteristic{Name: "radiusProfile", Value: "ENT-1102-MELB"}, tmf.Characteristic{Name: "dhcpRelay", Value: "BNG-MEL-01"})
			}
			assert.Equal(t, &want, a.res.Resource, "commit makes the reserved resource available")
			assert.Equal(t, "reserved", r.State, "the request's resource is not changed")
		})
	}
}

// The other operations take what the duration model says. Reference:
// worked example timeline, "T+1 hr Enterprise approval completes" (three
// review stages of 20m each) and au-east.yaml's durations.
func TestOperationDurations(t *testing.T) {
	reviewReq := func(stage string) *port.Request {
		return &port.Request{Key: stage, System: port.Workflow, Op: port.Review, Stage: stage}
	}
	tests := []struct {
		name string
		req  *port.Request
		took time.Duration
	}{
		{"qualify", qualifyReq("q", port.Qualify, melbHQ), 0},
		{"revalidate", qualifyReq("r", port.Revalidate, melbHQ), 30 * time.Minute},
		{"credit check", creditReq("c", account, 324000), 30 * time.Minute},
		{"technical review", reviewReq("technical"), 20 * time.Minute},
		{"commercial review", reviewReq("commercial"), 20 * time.Minute},
		{"customer sign-off", reviewReq("customer"), 20 * time.Minute},
		{"billing", &port.Request{Key: "b", System: port.Billing, Op: port.Activate, Item: "POI-001", Site: "MELB",
			Place: melbHQ.place(), Amount: 1800}, 0},
		{"reserve OLT port", reserveReq("o", melbHQ, "OLTPort"), 0},
		{"reserve VLAN", reserveReq("v", melbHQ, "VLAN"), 0},
		{"reserve subnet", reserveReq("i", melbHQ, "IPv4Subnet"), 0},
		{"reserve QoS policy", reserveReq("p", melbHQ, "QoSPolicy"), 0},
		{"reserve probe", reserveReq("n", melbHQ, "TWAMPProbe"), 0},
		{"reserve CPE", reserveReq("l", melbHQ, "CPE"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw := newTwin(t, auEast(t))
			a := call(t, tw, hours(3), tt.req)
			require.Nil(t, a.res.Err)
			assert.Equal(t, hours(3)+tt.took, a.at)
		})
	}
}

// Reviews approve; billing records what it activated, from when.
// Reference: worked example, "Billing is activated for the Melbourne HQ
// site at $1,800/month".
func TestWorkflowAndBilling(t *testing.T) {
	tw := newTwin(t, auEast(t))
	a := call(t, tw, 0, &port.Request{Key: "w", System: port.Workflow, Op: port.Review, Stage: "technical"})
	assert.True(t, a.res.Approved)

	call(t, tw, 120*time.Hour, &port.Request{Key: "b1", System: port.Billing, Op: port.Activate, Item: "POI-001",
		Site: "MELB", Place: melbHQ.place(), Amount: 1800})
	call(t, tw, 120*time.Hour, &port.Request{Key: "b1", System: port.Billing, Op: port.Activate, Item: "POI-001",
		Site: "MELB", Place: melbHQ.place(), Amount: 1800})
	assert.Equal(t, []BillingRecord{{Item: "POI-001", Site: "MELB", Monthly: 1800, From: 120 * time.Hour}}, tw.Billing(),
		"billing is activated once per key")
}

// Per-region values of the duration model override the default.
func TestCommitDurationByRegion(t *testing.T) {
	tw := newTwin(t, edit(t, auEast(t), "bng.commit.QoSPolicy: 2h", "bng.commit.QoSPolicy: {default: 2h, SYD: 5h}"))
	for _, tt := range []struct {
		site site
		took time.Duration
	}{{melbHQ, 2 * time.Hour}, {syd1, 5 * time.Hour}, {bne1, 2 * time.Hour}} {
		r := reserve(t, tw, "reserve-"+tt.site.code, tt.site, "QoSPolicy")
		a := call(t, tw, 0, commitReq("commit-"+tt.site.code, tt.site, r))
		assert.Equal(t, tt.took, a.at, tt.site.code)
	}
}

// Twin.Duration answers the orchestration steps' durations by region.
func TestTwinDuration(t *testing.T) {
	tw := newTwin(t, auEast(t))
	assert.Equal(t, time.Hour, tw.Duration("som.plan", "MEL"))
	assert.Equal(t, time.Hour, tw.Duration("rom.start", "SYD"))
	assert.Equal(t, time.Hour, tw.Duration("access.commit.OLTPort", "MEL"))
	assert.Equal(t, 355*time.Hour, tw.Duration("access.commit.OLTPort", "BNE"))
	assert.Equal(t, time.Hour, tw.Duration("access.commit.OLTPort", "PER"), "an unlisted region takes the default")
}

func TestDurUnmarshalYAML(t *testing.T) {
	tests := []struct {
		yaml string
		want Dur
		err  string
	}{
		{"1h", Dur{Default: time.Hour}, ""},
		{"0s", Dur{}, ""},
		{"{default: 1h, BNE: 355h}", Dur{Default: time.Hour, Region: map[string]time.Duration{"BNE": 355 * time.Hour}}, ""},
		{"{BNE: 355h}", Dur{Region: map[string]time.Duration{"BNE": 355 * time.Hour}}, ""},
		{"soon", Dur{}, `line 1: duration "soon": time: invalid duration "soon"`},
		{"{default: 1h, BNE: fortnight}", Dur{}, `line 1: BNE: time: invalid duration "fortnight"`},
		{"[1h, 2h]", Dur{}, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			var d Dur
			err := yaml.Unmarshal([]byte(tt.yaml), &d)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, d)
		})
	}
	d := Dur{Default: time.Hour, Region: map[string]time.Duration{"BNE": 355 * time.Hour}}
	assert.Equal(t, 355*time.Hour, d.For("BNE"))
	assert.Equal(t, time.Hour, d.For("MEL"))
	assert.Equal(t, time.Hour, d.For(""))
}

// Reference: worked example timeline: the CE router ships ("T+3 days ...
// in transit") and completes ZTP at T+5 days. au-east.yaml stages it for
// 68h, ships it in 47h and boots it in 1h: a commit at T+4 hr is staged at
// once, in transit at T+72h, delivered at T+119h and installed at T+120h.
func TestCommitCPEMilestones(t *testing.T) {
	tw := newTwin(t, auEast(t))
	r := reserve(t, tw, "ROI-006/reserve/1", melbHQ, "CPE")
	var rec recorder
	tw.Call(hours(4), commitReq("ROI-006/commit/1", melbHQ, r), &rec)

	type milestone struct {
		at        time.Duration
		milestone string
		final     bool
	}
	var got []milestone
	for _, a := range rec.answers {
		got = append(got, milestone{a.at, a.res.Milestone, a.res.Final})
		require.Nil(t, a.res.Err)
		assert.Equal(t, "ISR-4431 S/N: FDO2340567", a.res.Resource.Value)
		assert.Equal(t, port.Commit, a.res.Op)
		assert.Equal(t, "ROI-006/commit/1", a.res.Key)
	}
	assert.Equal(t, []milestone{
		{hours(4), "staged", false},
		{hours(4 + 68), "inTransit", false},
		{hours(4 + 68 + 47), "delivered", false},
		{hours(4 + 68 + 47 + 1), "installed", true},
	}, got)
	assert.Equal(t, 5*24*time.Hour, rec.final(t).at, "ZTP completes at T+5 days")
}

// probeMeasurements are au-east.yaml's baseline ("*") measurements.
var probeMeasurements = tmf.Characteristics{
	{Name: "measuredLatencyMs", Value: "3.8"},
	{Name: "measuredLossPct", Value: "0.001"},
	{Name: "measuredAvailability", Value: "99.99"},
}

// Reference: worked example, ROI-005: "TWAMP probes are configured between
// the PE router and CE router" — the probe goes active only once the CE
// router is up (timeline: "T+5 days SLA monitoring activated (ROI-005)"),
// whichever of the two is committed first.
func TestCommitProbeWaitsForRouter(t *testing.T) {
	tests := []struct {
		name            string
		probeAt, cpeAt  time.Duration
		wantProbeActive time.Duration
	}{
		// ROI-005 follows the QoS policy (T+7 hr); ROI-006 starts at T+4 hr.
		{"router first, worked example", hours(7), hours(4), hours(120)},
		{"probe first", hours(7), hours(8), hours(8 + 116)},
		{"probe first, same instant", hours(7), hours(7), hours(7 + 116)},
		{"router long up", hours(200), 0, hours(201)},
		{"router up just before probe is configured", hours(116), 0, hours(117)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw := newTwin(t, auEast(t))
			probe := reserve(t, tw, "ROI-005/reserve/1", melbHQ, "TWAMPProbe")
			cpe := reserve(t, tw, "ROI-006/reserve/1", melbHQ, "CPE")

			var probeRec, cpeRec recorder
			commitProbe := func() { tw.Call(tt.probeAt, commitReq("ROI-005/commit/1", melbHQ, probe), &probeRec) }
			commitCPE := func() { tw.Call(tt.cpeAt, commitReq("ROI-006/commit/1", melbHQ, cpe), &cpeRec) }
			if tt.probeAt <= tt.cpeAt {
				commitProbe()
				assert.Empty(t, probeRec.answers, "no answer while the router is not committed")
				commitCPE()
			} else {
				commitCPE()
				commitProbe()
			}

			a := probeRec.final(t)
			require.Nil(t, a.res.Err)
			assert.Equal(t, tt.wantProbeActive, a.at)
			assert.Equal(t, "ROI-005/commit/1", a.res.Key)
			assert.Equal(t, "Probe-ENT-1102-MELB", a.res.Resource.Value)
			assert.Equal(t, "available", a.res.Resource.State)
			assert.Equal(t, probeMeasurements, a.res.Resource.Characteristics)
			assert.Len(t, cpeRec.finals(), 1, "the router's own answer is unaffected")
		})
	}
}

// A pending probe waits for the router of its own site only, and every
// probe waiting there is answered once.
func TestPendingProbesPerSite(t *testing.T) {
	tw := newTwin(t, auEast(t))
	probeA := reserve(t, tw, "probe-a", melbHQ, "TWAMPProbe")
	probeB := reserve(t, tw, "probe-b", melbHQ, "TWAMPProbe")
	var recA, recB recorder
	tw.Call(0, commitReq("commit-probe-a", melbHQ, probeA), &recA)
	tw.Call(hours(1), commitReq("commit-probe-b", melbHQ, probeB), &recB)

	sydRouter := reserve(t, tw, "cpe-syd", syd1, "CPE")
	call(t, tw, hours(2), commitReq("commit-cpe-syd", syd1, sydRouter))
	assert.Empty(t, recA.answers, "Sydney's router does not serve Melbourne's probe")
	assert.Empty(t, recB.answers)

	melRouter := reserve(t, tw, "cpe-mel", melbHQ, "CPE")
	call(t, tw, hours(3), commitReq("commit-cpe-mel", melbHQ, melRouter))
	assert.Equal(t, hours(3+116), recA.final(t).at)
	assert.Equal(t, hours(3+116), recB.final(t).at)

	// A later router commit at the site does not answer them again.
	again := reserve(t, tw, "cpe-mel-2", melbHQ, "CPE")
	call(t, tw, hours(4), commitReq("commit-cpe-mel-2", melbHQ, again))
	assert.Len(t, recA.answers, 1)
	assert.Len(t, recB.answers, 1)
}

// Probes report the baseline of their region, "*" elsewhere.
func TestProbeMeasuresRegionalBaseline(t *testing.T) {
	tw := newTwin(t, edit(t, auEast(t), `    "*": {latencyMs: 3.8, lossPct: 0.001, availability: 99.99}`,
		`    "*": {latencyMs: 3.8, lossPct: 0.001, availability: 99.99}
    SYD: {latencyMs: 2.5, lossPct: 0, availability: 99.995}`))
	for _, tt := range []struct {
		site site
		want tmf.Characteristics
	}{
		{melbHQ, probeMeasurements},
		{syd1, tmf.Characteristics{{Name: "measuredLatencyMs", Value: "2.5"}, {Name: "measuredLossPct", Value: "0"},
			{Name: "measuredAvailability", Value: "99.995"}}},
	} {
		call(t, tw, 0, commitReq("cpe-"+tt.site.code, tt.site, reserve(t, tw, "r-cpe-"+tt.site.code, tt.site, "CPE")))
		probe := reserve(t, tw, "r-probe-"+tt.site.code, tt.site, "TWAMPProbe")
		a := call(t, tw, hours(200), commitReq("probe-"+tt.site.code, tt.site, probe))
		assert.Equal(t, tt.want, a.res.Resource.Characteristics, tt.site.code)
	}
}

// Committing a probe adds measurements to the answer, never to the
// caller's resource, even when its slice has room to grow.
func TestCommitProbeDoesNotAliasRequest(t *testing.T) {
	tw := newTwin(t, auEast(t))
	call(t, tw, 0, commitReq("cpe", melbHQ, reserve(t, tw, "r-cpe", melbHQ, "CPE")))
	chars := make(tmf.Characteristics, 1, 8)
	chars[0] = tmf.Characteristic{Name: "slaTier", Value: "Gold"}
	probe := &tmf.Resource{ID: "Probe-ENT-1102-MELB", ResourceType: "TWAMPProbe", State: "reserved",
		Value: "Probe-ENT-1102-MELB", Characteristics: chars}
	a := call(t, tw, hours(200), commitReq("probe", melbHQ, probe))
	assert.Len(t, a.res.Resource.Characteristics, 4)
	assert.Equal(t, tmf.Characteristics{{Name: "slaTier", Value: "Gold"}}, probe.Characteristics)
	assert.Equal(t, tmf.Characteristic{}, chars[:2][1], "the spare capacity of the caller's slice is untouched")
}

package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/twin"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files")

const globaltech = "globaltech-5site.yaml"

func run(t *testing.T, sc *Scenario) *Report {
	t.Helper()
	r, err := sc.Run(context.Background(), Options{})
	require.NoError(t, err)
	return r
}

func load(t *testing.T, path string) *Scenario {
	t.Helper()
	sc, err := Load(path)
	require.NoError(t, err)
	return sc
}

func reportJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(r))
	return b.Bytes()
}

// The worked example's report, byte for byte. Regenerate with
// `go test ./scenarios -run Golden -rewrite` and review the diff.
func TestGlobalTechGolden(t *testing.T) {
	got := reportJSON(t, run(t, load(t, globaltech)))
	golden := filepath.Join("testdata", "globaltech-5site.golden.json")
	if *rewrite {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

// Same scenario and seed, same report, byte for byte (docs/architecture.md §2).
func TestDeterministic(t *testing.T) {
	a := reportJSON(t, run(t, load(t, globaltech)))
	b := reportJSON(t, run(t, load(t, globaltech)))
	assert.Equal(t, a, b)
}

// The numbers of the worked example (seed: entity map, allocation summary,
// pilot timeline).
func TestWorkedExample(t *testing.T) {
	r := run(t, load(t, globaltech))
	assert.Empty(t, r.Expectations.Failed)
	assert.Equal(t, "completed", r.Outcome)
	assert.Equal(t, "P35D", r.FinishedAt)
	assert.Equal(t, Counts{ProductOrders: 1, ProductOrderItems: 5, ServiceOrders: 3, ServiceOrderItems: 15,
		ResourceOrders: 5, ResourceOrderItems: 30, ProductInstances: 5, ServiceInstances: 15, Resources: 30}, r.Counts)
	assert.Equal(t, 324000.0, r.Quote.TCV)
	assert.Equal(t, 9000.0, r.Quote.Monthly)
	assert.Equal(t, 9000.0, r.Billing.Monthly)

	// Step 5: SO-PILOT (1 site, 3 SOIs), SO-WAVE1 (2 sites, 6), SO-WAVE2 (2 sites, 6).
	require.Len(t, r.ServiceOrders, 3)
	for i, want := range []struct {
		name  string
		sites []string
		at    string
	}{{"SO-PILOT", []string{"MELB"}, "P5D"}, {"SO-WAVE1", []string{"SYD1", "SYD2"}, "P20D"}, {"SO-WAVE2", []string{"BNE1", "BNE2"}, "P35D"}} {
		so := r.ServiceOrders[i]
		assert.Equal(t, want.name, so.Name)
		assert.Equal(t, want.sites, so.Sites)
		assert.Len(t, so.Items, 3*len(want.sites))
		assert.Equal(t, "completed", so.State)
		assert.Equal(t, want.at, so.CompletedAt)
	}

	// Step 4: the pilot's resource allocation summary.
	pilot := map[string]string{}
	for _, res := range r.Resources {
		if res.Site == "MELB" {
			pilot[res.Type] = res.Value
		}
		assert.Equal(t, "active", res.State, res.ID)
	}
	assert.Equal(t, map[string]string{
		"OLTPort": "OLT-SOUTH-03 LC2 Port 8", "VLAN": "VLAN 2108", "IPv4Subnet": "10.88.12.0/29",
		"QoSPolicy": "BW-500-500-GOLD-ENT", "TWAMPProbe": "Probe-ENT-1102-MELB", "CPE": "ISR-4431 S/N: FDO2340567",
	}, pilot)

	// Step 1: Sydney on P2P Ethernet, the others on GPON.
	bearer := map[string]string{}
	for _, ro := range r.ResourceOrders {
		bearer[ro.Site] = ro.Items[0].RFS
		assert.Len(t, ro.Items, 6)
		assert.Equal(t, "completed", ro.State)
	}
	assert.Equal(t, map[string]string{"MELB": "RFS:GPON-Bearer", "SYD1": "RFS:P2P-Bearer", "SYD2": "RFS:P2P-Bearer",
		"BNE1": "RFS:GPON-Bearer", "BNE2": "RFS:GPON-Bearer"}, bearer)

	// Step 3: the pilot's SOIs and ROIs with their characteristics.
	soi := r.ServiceOrders[0].Items
	assert.Equal(t, "CFS:Fibre-Access", soi[0].CFS)
	assert.Equal(t, "SOUTH-03", soi[0].Characteristics.Get("oltArea"))
	assert.Equal(t, "GPON", soi[0].Characteristics.Get("technology"))
	assert.Equal(t, "500M-sym", soi[0].Characteristics.Get("speed"))
	assert.Equal(t, "99.95%", soi[1].Characteristics.Get("availability"))
	assert.Equal(t, "4hr", soi[1].Characteristics.Get("restore"))
	assert.Equal(t, "ISR-4431", soi[2].Characteristics.Get("model"))
	roi := r.ResourceOrders[0].Items
	assert.Equal(t, []string{"ROI-001", "ROI-002", "ROI-003", "ROI-004", "ROI-005", "ROI-006"},
		[]string{roi[0].ID, roi[1].ID, roi[2].ID, roi[3].ID, roi[4].ID, roi[5].ID})
	assert.Equal(t, "SOUTH-ENT", roi[2].Characteristics.Get("pool"))
	assert.Equal(t, []string{"ROI-001"}, roi[1].DependsOn)
	assert.Equal(t, []string{"ROI-002"}, roi[2].DependsOn)
	assert.Equal(t, []string{"ROI-001"}, roi[3].DependsOn)
	assert.Equal(t, []string{"ROI-004"}, roi[4].DependsOn)
	assert.Empty(t, roi[5].DependsOn)

	// Step 5: service and product instances.
	assert.Equal(t, "SI-FA-ENT-1102-MELB", r.ServiceInstances[0].ID)
	assert.Equal(t, "PI-EFCG-1102-MELB", r.ProductInstances[0].ID)
	for _, b := range r.Billing.Sites {
		assert.Equal(t, 1800.0, b.Monthly)
	}
	assert.Equal(t, "P5D", r.Billing.Sites[0].From)
}

// The pilot timeline of the seed, row by row.
func TestWorkedExampleTimeline(t *testing.T) {
	r := run(t, load(t, globaltech))
	rows := []StateExpect{
		{At: "PT0S", Entity: "PO-2024-01203", State: "acknowledged"},
		{At: "PT1H", Entity: "QT-001", State: "accepted"},
		{At: "PT2H", Entity: "PO-2024-01203", State: "inProgress"},
		{At: "PT2H", Entity: "SO-PILOT", State: "acknowledged"},
		{At: "PT3H", Entity: "SO-PILOT", State: "inProgress"},
		{At: "PT4H", Entity: "RO-001", State: "inProgress"},
		{At: "PT5H", Entity: "ROI-001", State: "completed"},
		{At: "PT6H", Entity: "ROI-003", State: "completed"},
		{At: "PT7H", Entity: "ROI-004", State: "completed"},
		{At: "P3D", Entity: "ROI-006 shipment", State: "inTransit"},
		{At: "P5D", Entity: "ROI-006", State: "completed"},
		{At: "P5D", Entity: "ROI-005", State: "completed"},
		{At: "P5D", Entity: "SO-PILOT", State: "completed"},
		{At: "P5D", Entity: "SO-WAVE1", State: "acknowledged"},
		{At: "P20D", Entity: "SO-WAVE1", State: "completed"},
		{At: "P35D", Entity: "SO-WAVE2", State: "completed"},
		{At: "P35D", Entity: "PO-2024-01203", State: "completed"},
	}
	for _, row := range rows {
		assert.True(t, r.hasRow(row), "no timeline row %+v", row)
	}
	// ROI-002 (VLAN) completes after the bearer and before the IP profile.
	at := func(entity, state string) string {
		for _, tr := range r.Timeline {
			if tr.Entity == entity && tr.State == state {
				return tr.At
			}
		}
		return ""
	}
	assert.Equal(t, "PT5H45M", at("ROI-002", "completed"))
}

// Later waves wait for their gate: SO-WAVE1 is submitted only when the pilot
// completed with its SLA validated, SO-WAVE2 only when Wave 1 did (seed,
// Step 5 and key takeaways).
func TestGateOrder(t *testing.T) {
	r := run(t, load(t, globaltech))
	first := map[string]int{}
	for i, tr := range r.Timeline {
		key := tr.Name + "/" + tr.State
		if _, seen := first[key]; !seen {
			first[key] = i
		}
	}
	assert.Less(t, first["SO-PILOT/completed"], first["SO-WAVE1/acknowledged"])
	assert.Less(t, first["SO-WAVE1/completed"], first["SO-WAVE2/acknowledged"])
}

// A pilot whose probe measures latency over the Gold threshold does not
// pass its gate: Wave 1 is never submitted and the order stays in progress.
func TestGateHoldsOnSLABreach(t *testing.T) {
	sc := load(t, globaltech)
	m := sc.Spec.Network.Probes.Baseline["*"]
	m.LatencyMs = 14.5
	sc.Spec.Network.Probes.Baseline["*"] = m
	r := run(t, sc)
	assert.Equal(t, "inProgress", r.Outcome)
	require.Len(t, r.ServiceOrders, 1, "only the pilot went to SOM")
	assert.Equal(t, "completed", r.ServiceOrders[0].State)
	held := false
	for _, tr := range r.Timeline {
		if tr.Kind == "wave" && tr.State == "held" {
			held = true
			assert.Contains(t, tr.Reason, "latency 14.5ms over 10ms")
		}
	}
	assert.True(t, held, "the pilot wave is held")
	assert.Equal(t, 1800.0, r.Billing.Monthly, "the pilot site bills; the others wait")
}

// Allocations come from the network file's occupancy, not from code.
func TestAllocationsFollowNetwork(t *testing.T) {
	sc := load(t, globaltech)
	n := sc.Spec.Network
	n.OLTs[0].LineCards[1].Occupied = "1-11"
	n.VLANPools[0].Occupied = "2100-2140"
	n.IPPools[0].Allocated = []string{"10.88.12.0/29", "10.88.12.8/29"}
	n.CPE[0].Serials = n.CPE[0].Serials[1:]
	r := run(t, sc)
	pilot := map[string]string{}
	for _, res := range r.Resources {
		if res.Site == "MELB" {
			pilot[res.Type] = res.Value
		}
	}
	assert.Equal(t, "OLT-SOUTH-03 LC2 Port 12", pilot["OLTPort"])
	assert.Equal(t, "VLAN 2141", pilot["VLAN"])
	assert.Equal(t, "10.88.12.16/29", pilot["IPv4Subnet"])
	assert.Equal(t, "ISR-4431 S/N: FDO2340568", pilot["CPE"])
}

// Expectations that do not hold are reported, one message each.
func TestFailedExpectations(t *testing.T) {
	sc := load(t, globaltech)
	tcv := 1.0
	sc.Expect = &Expectations{Outcome: "partial", Quote: &QuoteExpect{TCV: &tcv},
		Counts: map[string]int{"serviceOrders": 4}, Timeline: []StateExpect{{Entity: "ROI-001", State: "completed", At: "PT9H"},
			{Entity: "ROI-001", State: "complted"}, {Entity: "SO-PILT", State: "completed"}}}
	r := run(t, sc)
	assert.Equal(t, 0, r.Expectations.Passed)
	assert.Equal(t, []string{
		"outcome: want partial, got completed",
		"quote tcv: want 1.00, got 324000.00",
		"counts.serviceOrders: want 4, got 3",
		"timeline: no row ROI-001 completed at PT9H (its rows: completed at PT5H)",
		`timeline: no row ROI-001 complted (its rows: completed at PT5H) (did you mean "completed"?)`,
		`timeline: no row SO-PILT completed (SO-PILT has no row in the timeline (did you mean "SO-PILOT"?))`,
	}, r.Expectations.Failed)
}

// Bad input is refused at load with a message that names what is wrong.
func TestLoadErrors(t *testing.T) {
	base, err := os.ReadFile(globaltech)
	require.NoError(t, err)
	cases := []struct {
		name, from, to, want string
	}{
		{"unknown offering", "offering: PO-EFCG-01", "offering: PO-NOPE", `unknown product offering "PO-NOPE"`},
		{"unknown tier", "sla: Gold", "sla: Bronze", `SLA tier "Bronze" is not offered`},
		{"unknown address", "Level 3, 71 Eagle Street", "Level 3, 99 Nowhere Street", `address "Level 3, 99 Nowhere Street, Brisbane QLD 4000" is not in the network`},
		{"occupancy beyond the card", "seed: 1102", "seed: 1102\noccupancy:\n  - {olt: OLT-SOUTH-03, slot: 2, occupied: \"1-99\"}",
			`occupancy[0]: occupied: "1-99" is outside 1-`},
		{"unknown credit account", "account: ACC-ENT-3384", "account: ACC-ENT-3385", `line 16: customer.account: "ACC-ENT-3385" is not an account of the network's credit system (did you mean "ACC-ENT-3384"?)`},
		{"unknown wave", "wave: Wave 2, address: \"Level 15", "wave: Wave 9, address: \"Level 15", `site BNE1: wave "Wave 9" is not in the rollout plan`},
		{"unknown field", "seed: 1102", "seed: 1102\nsed: 3", `: top level: unknown key "sed" (did you mean "seed"?)`},
		{"unknown key in the quote", "sla: Gold", "slaa: Gold", `line 21: quote: unknown key "slaa" (did you mean "sla"?) (the keys here: id, offering, term, sla,`},
		{"misspelled offering", "offering: PO-EFCG-01", "offering: PO-EFGC-01", `unknown product offering "PO-EFGC-01" (did you mean "PO-EFCG-01"?)`},
		{"misspelled address", "71 Eagle Street", "71 Eagel Street", `(did you mean "Level 3, 71 Eagle Street, Brisbane QLD 4000"?)`},
		{"order before T+0", "at: PT0S", "at: -P1D", "order.at: -P1D is before T+0"},
		{"wave target before T+0", "target: P14D", "target: -P14D", "quote.waves[0] (Pilot): target: -P14D is not after T+0: no wave is done by then"},
		{"wave target at T+0", "target: P14D", "target: PT0S", "quote.waves[0] (Pilot): target: PT0S is not after T+0"},
		{"wave target missing", "target: P14D", "target: ''", "quote.waves[0] (Pilot): target: missing"},
		{"event before T+0", "events: []", "events: [{at: -PT1H, kind: cancel}]", "events[0] (cancel): at: -PT1H is before T+0"},
		{"remediate of no wave", "events: []", "events: [{at: P1D, kind: remediate, wave: Wave 9}]",
			`events[0] (remediate): wave "Wave 9" is not in the rollout plan (waves: Pilot, Wave 1, Wave 2)`},
		{"site added into no wave", "events: []", `events: [{at: P1D, kind: addSite, site: PER1, address: "Level 3, 71 Eagle Street, Brisbane QLD 4000", wave: Wave 3}]`,
			`events[0] (addSite): wave "Wave 3" is not in the rollout plan (waves: Pilot, Wave 1, Wave 2)`},
		{"change of no site", "events: []", "events: [{at: P1D, kind: change, site: SYD3, speed: 1G-sym}]",
			`events[0] (change): site "SYD3" is not a site of the order (sites: MELB, SYD1, SYD2, BNE1, BNE2)`},
		{"change of a misspelled site", "events: []", "events: [{at: P1D, kind: change, site: MLEB, speed: 1G-sym}]",
			`events[0] (change): site "MLEB" is not a site of the order (did you mean "MELB"?)`},
		{"change to a speed not offered", "events: []", "events: [{at: P1D, kind: change, site: MELB, speed: 10G-sym}]",
			`events[0] (change): speed: "10G-sym" is not a speed of PO-EFCG-01 (did you mean "1G-sym"?) (speeds: 100M-sym, 500M-sym, 1G-sym)`},
		{"change to a tier not offered", "events: []", "events: [{at: P1D, kind: change, site: MELB, sla: Bronze}]",
			`events[0] (change): sla: SLA tier "Bronze" is not offered with PO-EFCG-01`},
		{"line card in a slot the network fills", "events: []", "events: [{at: P1D, kind: addLineCard, olt: OLT-BNE-07, slot: 1, ports: 16}]",
			`events[0] (addLineCard): slot: OLT-BNE-07 has a line card in slot 1 already (the network's)`},
		{"line card occupied beyond its ports", "events: []", `events: [{at: P1D, kind: addLineCard, olt: OLT-BNE-07, slot: 2, ports: 4, occupied: "3-9"}]`,
			`events[0] (addLineCard): occupied: "3-9" is outside 1-4`},
		{"two line cards in one slot", "events: []", "events: [{at: P1D, kind: addLineCard, olt: OLT-BNE-07, slot: 2, ports: 4}, {at: P2D, kind: addLineCard, olt: OLT-BNE-07, slot: 2, ports: 8}]",
			`events[1] (addLineCard): slot: OLT-BNE-07 has a line card in slot 2 already (events[0]'s)`},
		{"site added with a code the quote has", "events: []", `events: [{at: P1D, kind: addSite, site: SYD1, address: "Level 3, 71 Eagle Street, Brisbane QLD 4000", wave: Wave 2}]`,
			`events[0] (addSite): site: SYD1 is a site of the quote already (quote.sites[1]): COM would refuse to add it`},
		{"site added twice", "events: []", `events: [{at: P1D, kind: addSite, site: PER1, address: "Level 3, 71 Eagle Street, Brisbane QLD 4000", wave: Wave 2}, {at: P2D, kind: addSite, site: PER1, address: "Level 3, 71 Eagle Street, Brisbane QLD 4000", wave: Wave 2}]`,
			`events[1] (addSite): site: events[0] adds site PER1 already`},
		{"site added at a misspelled address", "events: []", `events: [{at: P1D, kind: addSite, site: PER1, address: "Level 3, 71 Eagel Street, Brisbane QLD 4000", wave: Wave 2}]`,
			`events[0] (addSite): address "Level 3, 71 Eagel Street, Brisbane QLD 4000" is not in the network (did you mean "Level 3, 71 Eagle Street, Brisbane QLD 4000"?)`},
		{"a state row with a time", "    - {entity: SO-PILOT, state: completed}", "    - {entity: SO-PILOT, state: completed, at: P99D}",
			"line 68: expect: states[1] (SO-PILOT): at and reason are a timeline row's"},
		{"a state row without its state", "    - {entity: SO-PILOT, state: completed}", "    - {entity: SO-PILOT}",
			"line 68: expect: states[1]: an entry needs an entity and a state"},
		{"a timeline row at no time", "    - {at: PT1H, entity: QT-001, state: accepted}", "    - {at: soon, entity: QT-001, state: accepted}",
			"line 73: expect: timeline[1] (QT-001): at: duration \"soon\""},
		{"syntax error", "  term: 36", "  term: 36\n    x: 1", "line 21: mapping values are not allowed in this context: x: 1"},
		{"bad duration", "target: P14D", "target: 14 days", `target: duration "14 days"`},
		{"bad version", "version: 1", "version: 7", "version: 7 is not supported"},
		{"missing catalog", "catalog: catalog/enterprise.yaml", "catalog: catalog/none.yaml", "none.yaml"},
		{"unknown event", "events: []", "events: [{at: P1D, kind: meteor}]", `unknown event kind "meteor"`},
		{"bad start", `start: "2024-06-03T09:00:00+10:00"`, `start: "soon"`, `start: "soon" is not an RFC 3339 time`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := string(base)
			if !strings.Contains(text, c.from) {
				text = strings.Replace(text, "order:\n", c.to+"\norder:\n", 1)
			} else {
				text = strings.Replace(text, c.from, c.to, 1)
			}
			path := filepath.Join(t.TempDir(), "s.yaml")
			require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
			for _, dir := range []string{"catalog", "networks"} {
				require.NoError(t, os.Symlink(mustAbs(t, dir), filepath.Join(filepath.Dir(path), dir)))
			}
			_, err := Load(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), path)
		})
	}
}

// An address near several of the network's, none of them the one meant,
// names them: the error lists no address book, so it said nothing of
// where to look.
func TestAddressNearSeveral(t *testing.T) {
	net := &twin.Network{}
	for _, a := range []string{"Karl Johans gate 1, Oslo", "Karl Johans gate 2, Oslo", "Bryggen 4, Bergen"} {
		net.Addresses = append(net.Addresses, twin.Address{Address: a})
	}
	assert.EqualError(t, knownAddress(net, "Karl Johans gate 9, Oslo"),
		`address "Karl Johans gate 9, Oslo" is not in the network (did you mean one of "Karl Johans gate 1, Oslo", "Karl Johans gate 2, Oslo"?)`)
	assert.EqualError(t, knownAddress(net, "Bryggen 44, Bergen"), `address "Bryggen 44, Bergen" is not in the network (did you mean "Bryggen 4, Bergen"?)`)
	assert.EqualError(t, knownAddress(net, "Storgata 1, Tromsø"), `address "Storgata 1, Tromsø" is not in the network`)
	for i := range 6 {
		net.Addresses = append(net.Addresses, twin.Address{Address: fmt.Sprintf("Karl Johans gate %d, Oslo", i+3)})
	}
	assert.ErrorContains(t, knownAddress(net, "Karl Johans gate 0, Oslo"),
		`(did you mean one of "Karl Johans gate 1, Oslo", "Karl Johans gate 2, Oslo", "Karl Johans gate 3, Oslo", "Karl Johans gate 4, Oslo", or 4 more?)`)
}

// A file that is not a scenario says what it is instead; a file without
// its version still shows its other faults.
func TestLoadErrorsOfWholeFiles(t *testing.T) {
	base, err := os.ReadFile(globaltech)
	require.NoError(t, err)
	noVersion := strings.Replace(strings.Replace(string(base), "version: 1\n", "", 1), "sla: Gold", "sla: Bronze", 1)
	for name, c := range map[string]struct{ text, want string }{
		"empty":           {"", `the file is empty: a scenario starts with "version: 2" (scenarios/README.md)`},
		"only comments":   {"# nothing yet\n", `the file is empty: it holds only comments`},
		"random bytes":    {"\x1f\x8b\x08\x00\xde\xad\xbe\xef", "line 1, column 1: control character U+001F: this is not a YAML file"},
		"not UTF-8":       {"version: 1\nname: caf\xe9\n", "line 2, column 10: byte 0xe9 is not UTF-8 text"},
		"missing version": {noVersion, `version: missing: a scenario file starts with the version of its format: "version: 2" (or "version: 1" for a file written for version 1)` + "\n" + `line 20: quote: SLA tier "Bronze" is not offered`},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.yaml")
			require.NoError(t, os.WriteFile(path, []byte(c.text), 0o644))
			for _, dir := range []string{"catalog", "networks"} {
				require.NoError(t, os.Symlink(mustAbs(t, dir), filepath.Join(filepath.Dir(path), dir)))
			}
			_, err := Load(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), path)
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	require.NoError(t, err)
	return a
}

func TestWhen(t *testing.T) {
	for iso, want := range map[string]string{"PT0S": "T+0", "PT1H": "T+1 hr", "PT5H45M": "T+5h 45m", "P1D": "T+1 day",
		"P5D": "T+5 days", "P5DT1H": "T+5d 1h", "PT20M": "T+20m", "": ""} {
		assert.Equal(t, want, When(iso), iso)
	}
}

// Every scenario of the library passes its expectations, and pins some.
func TestLibrary(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 2)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			sc := load(t, f)
			require.NotNil(t, sc.Expect, "a library scenario pins its outcome")
			r := run(t, sc)
			assert.Empty(t, r.Expectations.Failed)
			assert.Greater(t, r.Expectations.Passed, 10, "a library scenario states more than ten expectations; %s has %d",
				f, r.Expectations.Passed)
		})
	}
}

// The second worked order: another customer, tier, cities and waves, from
// its file alone (issue: "a second, different order ... no code change").
func TestMeridian(t *testing.T) {
	r := run(t, load(t, "meridian-8site.yaml"))
	assert.Equal(t, "completed", r.Outcome)
	assert.Equal(t, 1416000.0, r.Quote.TCV)
	assert.Equal(t, 23600.0, r.Quote.Monthly)
	assert.Equal(t, 8, r.Counts.ProductOrderItems)
	assert.Equal(t, 3, r.Counts.ServiceOrders)
	assert.Equal(t, 48, r.Counts.ResourceOrderItems)
	for _, so := range r.ServiceOrders {
		assert.Equal(t, "completed", so.State, so.Name)
	}
}

// Broken files in testdata are refused with what is wrong.
func TestBrokenFiles(t *testing.T) {
	_, err := Load("testdata/bad-unknown-site-address.yaml")
	assert.ErrorContains(t, err, `address "Level 6, 41 Murray Street, Hobart TAS 7000" is not in the network`)
	_, err = Load("testdata/bad-cycle-catalog.yaml")
	assert.ErrorContains(t, err, "rfs dependency cycle: RFS:IP-Profile → RFS:GPON-Bearer → RFS:VLAN-Service → RFS:IP-Profile")
}

// Progress sees every timeline row as it is committed, in order.
func TestProgress(t *testing.T) {
	var rows []TimelineRow
	r, err := load(t, globaltech).Run(context.Background(), Options{Progress: func(row TimelineRow) { rows = append(rows, row) }})
	require.NoError(t, err)
	assert.Equal(t, r.Timeline, rows)
}

// The outcome is the customers' orders' state: a disconnect order COM
// makes for a site removed later ends as it ends, and does not make the
// outcome "mixed".
func TestOutcomeLeavesOutChangeOrders(t *testing.T) {
	sc := load(t, "newuser-v2-kauri-faults.yaml")
	sc.Expect = nil
	ev, err := EventSpec{At: "P20D", Kind: "removeSite", Site: "WLG1", Reason: "office closed"}.build(sc.Spec.Network)
	require.NoError(t, err)
	sc.Spec.Events = append(sc.Spec.Events, ev)
	r := run(t, sc)
	states := map[string]string{}
	for _, po := range r.ProductOrders {
		states[po.ID] = po.State
	}
	assert.Equal(t, map[string]string{"PO-NZ-04411": "partial", "PO-NZ-04411-D1": "completed"}, states)
	assert.Equal(t, "partial", r.Outcome)
}

// A shard's COM numbers its quotes in its own space (the second of two:
// QT-002, QT-004, …): the scenario's order names the quote COM gave, and
// completes as it does unsharded.
func TestWorkedExampleInAShardsIDSpace(t *testing.T) {
	sc := load(t, globaltech)
	r, err := sc.Run(context.Background(), Options{IDs: tmf.IDSpace{Shards: 2, Shard: 1}})
	require.NoError(t, err)
	assert.Equal(t, "completed", r.Outcome)
	assert.Equal(t, "QT-002", r.Quote.ID)
}

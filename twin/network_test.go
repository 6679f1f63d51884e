package twin

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
)

func TestParseAuEast(t *testing.T) {
	n, err := LoadNetwork(auEastFile)
	require.NoError(t, err)
	assert.Equal(t, "au-east", n.Name)
	assert.Len(t, n.Exchanges, 3)
	assert.Len(t, n.ServingAreas, 3)
	assert.Len(t, n.Addresses, 5, "the five sites of the worked example")
	assert.Equal(t, LineCard{Slot: 2, Ports: 16, Occupied: "1-7"}, n.OLTs[0].LineCards[1])
	assert.Equal(t, []string{"10.89.0.0/29", "10.89.0.8/29"}, n.IPPools[1].Allocated)
	assert.Equal(t, CreditAcct{Account: "ACC-ENT-3384", Customer: "CUST-ENT-1102", Limit: 500000, Standing: "good"}, n.Credit[0])
	assert.Equal(t, Measurement{LatencyMs: 3.8, LossPct: 0.001, Availability: 99.99}, n.Probes.Baseline["*"])
	assert.Len(t, n.Durations, len(DurationKeys), "every operation has a duration, and no other")
}

// A network needs no more than its structure: no credit accounts, no CPE
// stock, no allocated prefixes (testdata/minimal.yaml).
func TestLoadMinimalNetwork(t *testing.T) {
	n, err := LoadNetwork("testdata/minimal.yaml")
	require.NoError(t, err)
	tw, err := New(n)
	require.NoError(t, err)
	s := site{code: "HQ", address: "1 Test Street, Testville"}
	assert.Equal(t, "OLT-T-1 LC1 Port 2", reserve(t, tw, "olt", s, "OLTPort").Value)
	assert.Equal(t, "VLAN 10", reserve(t, tw, "vlan", s, "VLAN").Value)
	assert.Equal(t, "192.0.2.0/30", reserve(t, tw, "ip", s, "IPv4Subnet").Value)
	a := call(t, tw, 0, reserveReq("cpe", s, "CPE"))
	require.NotNil(t, a.res.Err)
	assert.Equal(t, "no ISR-4431 in stock in T", a.res.Err.Message)
}

func TestLoadNetworkErrors(t *testing.T) {
	_, err := LoadNetwork("testdata/no-such-network.yaml")
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "network: ")

	path := filepath.Join(t.TempDir(), "broken.yaml")
	require.NoError(t, os.WriteFile(path, edit(t, auEast(t), "  cpe.boot: 1h\n", ""), 0o600))
	_, err = LoadNetwork(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "network "+path+": ", "the error names the file")
	assert.Contains(t, err.Error(), `durations: "cpe.boot" is missing`)
}

// Reference: CONVENTIONS.md, "an unknown kind fails with the sorted list of
// known ones", and docs/architecture.md §6: the network file is data, and its faults
// are named, not guessed around.
func TestParseNetworkRejects(t *testing.T) {
	martinPlace := `{address: "Level 20, 1 Martin Place, Sydney NSW 2000", area: SYD-CBD, technology: P2P-Ethernet}`
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{"OLT in undeclared serving area", "    area: SOUTH-03\n", "    area: NORTH-99\n",
			[]string{`OLT OLT-SOUTH-03: serving area "NORTH-99" is not declared`}},
		{"occupied range beyond the card", `{slot: 2, ports: 16, occupied: "1-7"}`, `{slot: 2, ports: 16, occupied: "1-17"}`,
			[]string{`OLT OLT-SOUTH-03 LC2: occupied: "1-17" is outside 1-16`}},
		{"occupied port 0", `{slot: 2, ports: 16, occupied: "1-7"}`, `{slot: 2, ports: 16, occupied: "0-7"}`,
			[]string{`OLT OLT-SOUTH-03 LC2: occupied: "0-7" is outside 1-16`}},
		{"occupied list with a port beyond the card", `{slot: 2, ports: 16, occupied: "1-7"}`, `{slot: 2, ports: 16, occupied: "1-7,20"}`,
			[]string{`OLT OLT-SOUTH-03 LC2: occupied: "20" is outside 1-16`}},
		{"reversed occupied range", `{slot: 2, ports: 16, occupied: "1-7"}`, `{slot: 2, ports: 16, occupied: "7-1"}`,
			[]string{`OLT OLT-SOUTH-03 LC2: occupied: "7-1" runs backwards: the lower number comes first (1-7)`}},
		{"occupied not a number", `{slot: 2, ports: 16, occupied: "1-7"}`, `{slot: 2, ports: 16, occupied: "one"}`,
			[]string{`OLT OLT-SOUTH-03 LC2: occupied: bad number in "one"`}},
		{"reversed VLAN range", `range: "2100-2199"`, `range: "2199-2100"`,
			[]string{`VLAN pool ENT-MEL: range: "2199-2100" runs backwards: the lower number comes first (2100-2199)`}},
		{"VLAN range above 4094", `range: "2100-2199"`, `range: "4000-4095"`,
			[]string{`VLAN pool ENT-MEL: range "4000-4095" must be within 1-4094`}},
		{"VLAN range from 0", `range: "100-1999"`, `range: "0-1999"`,
			[]string{`VLAN pool RES-MEL: range "0-1999" must be within 1-4094`}},
		{"VLAN range not a range", `range: "100-1999"`, `range: "low-high"`,
			[]string{`VLAN pool RES-MEL: range: bad number in "low-high"`}},
		{"VLAN occupied outside the pool", `occupied: "2100-2107"`, `occupied: "2000-2107"`,
			[]string{`VLAN pool ENT-MEL: occupied: "2000-2107" is outside 2100-2199`}},
		{"IP allocation outside its pool", `prefix: 10.88.12.0/22, size: 29}`, `prefix: 10.88.12.0/22, size: 29, allocated: [10.88.16.0/29]}`,
			[]string{`IP pool SOUTH-ENT: allocated "10.88.16.0/29" is not a /29 inside 10.88.12.0/22`}},
		{"IP allocation of the wrong size", `prefix: 10.88.12.0/22, size: 29}`, `prefix: 10.88.12.0/22, size: 29, allocated: [10.88.12.0/28]}`,
			[]string{`IP pool SOUTH-ENT: allocated "10.88.12.0/28" is not a /29 inside 10.88.12.0/22`}},
		{"IP allocation not a prefix", `prefix: 10.88.12.0/22, size: 29}`, `prefix: 10.88.12.0/22, size: 29, allocated: [10.88.12.0]}`,
			[]string{`IP pool SOUTH-ENT: allocated "10.88.12.0" is not a /29 inside 10.88.12.0/22`}},
		// Each was taken, unsaid, for the subnet or block it falls in.
		{"IP allocation with host bits set", `prefix: 10.88.12.0/22, size: 29}`, `prefix: 10.88.12.0/22, size: 29, allocated: [10.88.12.33/29]}`,
			[]string{`IP pool SOUTH-ENT: allocated "10.88.12.33/29" is not a /29 subnet's address (its host bits are set): did you mean 10.88.12.32/29?`}},
		{"IP pool prefix with host bits set", `prefix: 10.88.12.0/22, size: 29}`, `prefix: 10.88.13.0/22, size: 29}`,
			[]string{`IP pool SOUTH-ENT: prefix "10.88.13.0/22" is not a /22 block's address (its host bits are set): did you mean 10.88.12.0/22?`}},
		{"IP subnets larger than the pool", `prefix: 10.88.12.0/22, size: 29}`, `prefix: 10.88.12.0/22, size: 21}`,
			[]string{`IP pool SOUTH-ENT: prefix "10.88.12.0/22" with size /21 is not a valid IPv4 block`}},
		{"IP subnets beyond /32", `prefix: 10.88.12.0/22, size: 29}`, `prefix: 10.88.12.0/22, size: 33}`,
			[]string{`IP pool SOUTH-ENT: prefix "10.88.12.0/22" with size /33 is not a valid IPv4 block`}},
		{"IPv6 pool", `prefix: 10.88.12.0/22, size: 29}`, `prefix: "2001:db8::/48", size: 64}`,
			[]string{`IP pool SOUTH-ENT: prefix "2001:db8::/48" with size /64 is not a valid IPv4 block`}},
		{"address with unknown technology", martinPlace, `{address: "Level 20, 1 Martin Place, Sydney NSW 2000", area: SYD-CBD, technology: DSL}`,
			[]string{`address "Level 20, 1 Martin Place, Sydney NSW 2000": technology "DSL" is not GPON or P2P-Ethernet`}},
		{"address in undeclared area", martinPlace, `{address: "Level 20, 1 Martin Place, Sydney NSW 2000", area: SYD-EDGE, technology: P2P-Ethernet}`,
			[]string{`address "Level 20, 1 Martin Place, Sydney NSW 2000": serving area "SYD-EDGE" is not declared`}},
		{"address twice", `"Level 8, 100 Barangaroo Avenue, Sydney NSW 2000"`, `"Level 20, 1 Martin Place, Sydney NSW 2000"`,
			[]string{`address Level 20, 1 Martin Place, Sydney NSW 2000 declared twice`}},
		{"router stocked in two regions", "serials: [FDO2341102,", "serials: [FDO2340568,",
			[]string{`cpe ISR-4431 in SYD: serial FDO2340568 is stocked already in cpe ISR-4431 in MEL: a router is one box, for one site`}},
		{"router listed twice", "serials: [FDO2341102,", "serials: [FDO2341103,",
			[]string{`cpe ISR-4431 in SYD: serial FDO2341103 listed twice`}},
		{"router stock in a region without exchanges", "region: BNE, serials", "region: BNX, serials",
			[]string{`cpe ISR-4431 in BNX: region "BNX" has no exchange, so no site is shipped from it (did you mean "BNE"?)`}},
		{"router stock without a model", "{model: ISR-4431, region: BNE", "{model: '', region: BNE",
			[]string{`cpe[2]: no model`}},
		{"missing duration key", "  cpe.boot: 1h\n", "",
			[]string{`durations: "cpe.boot" is missing`}},
		{"unknown duration key", "  cpe.boot: 1h\n", "  cpe.boot: 1h\n  cpe.teleport: 1h\n",
			[]string{`durations: unknown operation "cpe.teleport" (known: qualification.qualify, `}},
		{"misspelt duration key", "  cpe.boot: 1h\n", "  cpe.bot: 1h\n",
			[]string{`durations: "cpe.boot" is missing`, `durations: unknown operation "cpe.bot"`}},
		{"bad duration", "  cpe.boot: 1h\n", "  cpe.boot: soon\n",
			[]string{`time: invalid duration "soon"`}},
		{"unknown credit standing", "{account: ACC-ENT-3384, customer: CUST-ENT-1102, limit: 500000, exposure: 0, standing: good}", "{account: ACC-ENT-3384, customer: CUST-ENT-1102, limit: 500000, exposure: 0, standing: excellent}",
			[]string{`credit account ACC-ENT-3384: standing "excellent" is not good, watch, blocked`}},
		{"negative duration", "  cpe.boot: 1h\n", "  cpe.boot: -1h\n",
			[]string{`durations: cpe.boot: -1h0m0s is negative: an operation takes no time or more`}},
		{"duration of a region no exchange has", "  cpe.boot: 1h\n", "  cpe.boot: {default: 1h, BNX: 2h}\n",
			[]string{`durations: cpe.boot: "BNX" is no exchange's region (did you mean "BNE"?)`}},
		{"unknown field", `{id: MEL-SOUTH, region: MEL,`, `{id: MEL-SOUTH, region: MEL, colour: red,`,
			[]string{`exchanges[0]: unknown key "colour" (the keys here: id, region,`}},
		{"unknown top-level field", "name: au-east\n", "name: au-east\nowner: planning\n",
			[]string{`top level: unknown key "owner"`}},
		{"serving area on undeclared exchange", `{id: SOUTH-03, exchange: MEL-SOUTH,`, `{id: SOUTH-03, exchange: MEL-NORTH,`,
			[]string{`serving area SOUTH-03: exchange "MEL-NORTH" is not declared`}},
		{"serving area with undeclared pools", `vlanPool: ENT-SYD, ipPool: SYD-ENT}`, `vlanPool: ENT-PER, ipPool: PER-ENT}`,
			[]string{`serving area SYD-CBD: VLAN pool "ENT-PER" is not declared`, `serving area SYD-CBD: IP pool "PER-ENT" is not declared`}},
		{"exchange without region", `{id: BNE-EX-01, region: BNE,`, `{id: BNE-EX-01,`,
			[]string{"exchange BNE-EX-01: no region"}},
		{"exchange without id", `{id: BNE-EX-01, region: BNE,`, `{region: BNE,`,
			[]string{"exchange without id", `serving area BNE-CBD: exchange "BNE-EX-01" is not declared`}},
		{"OLT declared twice", "  - id: OLT-BNE-07\n", "  - id: OLT-SOUTH-03\n",
			[]string{"OLT OLT-SOUTH-03 declared twice"}},
		{"P2P ports beyond the exchange", `p2pPorts: 24, p2pOccupied: "1-20"`, `p2pPorts: 24, p2pOccupied: "1-25"`,
			[]string{`exchange MEL-SOUTH: p2pOccupied: "1-25" is outside 1-24`}},
		{"region-specific duration of a region-free operation", "  credit.check: 30m\n", "  credit.check: {default: 30m, MEL: 10m}\n",
			[]string{`durations: "credit.check" does not depend on a region; give one duration`}},
		{"probe baseline missing for a region", `    "*": {latencyMs: 3.8, lossPct: 0.001, availability: 99.99}`,
			`    MEL: {latencyMs: 3.8, lossPct: 0.001, availability: 99.99}`,
			[]string{"probes: no baseline for region SYD", "probes: no baseline for region BNE"}},
		{"probe name missing", `name: "Probe-{customer.code}-{site}"`, `name: ""`,
			[]string{"probes: name pattern missing"}},
		// The twin left an unknown variable in the name as written, and
		// without {site} gave every site's probe one id.
		{"probe name of an unknown variable", `name: "Probe-{customer.code}-{site}"`, `name: "PRB-{customer.cod}-{site}"`,
			[]string{`line 47: probes: name "PRB-{customer.cod}-{site}": unknown variable {customer.cod} (did you mean "{customer.code}"?) (variables: {customer.code}, {site})`}},
		{"probe name without the site", `name: "Probe-{customer.code}-{site}"`, `name: "PRB-{customer.code}"`,
			[]string{`line 47: probes: name "PRB-{customer.code}": no {site}: every site's probe would have the same id`}},
		{"probe name of a variable twice", `name: "Probe-{customer.code}-{site}"`, `name: "P-{site}-{site}"`,
			[]string{`probes: name "P-{site}-{site}": {site} appears twice`}},
		{"probe name with a brace unclosed", `name: "Probe-{customer.code}-{site}"`, `name: "P-{site}-{customer.code"`,
			[]string{`probes: name "P-{site}-{customer.code": {customer.code has no closing }`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseNetwork(edit(t, auEast(t), tt.old, tt.new))
			require.Error(t, err)
			assert.Nil(t, n)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

// Port counts are sizes: a negative one is a fault of the file, to be
// named, not a panic when the twin is built.
func TestParseNetworkRejectsNegativePortCounts(t *testing.T) {
	for _, tt := range []struct{ old, new string }{
		{`p2pPorts: 24, p2pOccupied: "1-10"`, `p2pPorts: -1`},
		{`{slot: 1, ports: 16, occupied: "1-13"}`, `{slot: 1, ports: -1}`},
	} {
		n, err := ParseNetwork(edit(t, auEast(t), tt.old, tt.new))
		if assert.Error(t, err, tt.new) {
			continue
		}
		assert.NotPanics(t, func() { _, _ = New(n) }, tt.new)
	}
}

// Validation names every fault at once, not only the first.
func TestParseNetworkNamesEveryFault(t *testing.T) {
	data := edit(t, auEast(t), "    area: SOUTH-03\n", "    area: NORTH-99\n")
	data = edit(t, data, `range: "2100-2199"`, `range: "2100-5000"`)
	data = edit(t, data, "  cpe.ship: 47h\n", "")
	_, err := ParseNetwork(data)
	require.Error(t, err)
	for _, want := range []string{
		`OLT OLT-SOUTH-03: serving area "NORTH-99" is not declared`,
		`VLAN pool ENT-MEL: range "2100-5000" must be within 1-4094`,
		`durations: "cpe.ship" is missing`,
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestParseRanges(t *testing.T) {
	tests := []struct {
		in       string
		min, max int
		want     []int
		err      string
	}{
		{"", 1, 16, nil, ""},
		{"  ", 1, 16, nil, ""},
		{"7", 1, 16, []int{7}, ""},
		{"1-4,7", 1, 16, []int{1, 2, 3, 4, 7}, ""},
		{" 1 - 3 , 16 ", 1, 16, []int{1, 2, 3, 16}, ""},
		{"2100-2102", 2100, 2199, []int{2100, 2101, 2102}, ""},
		{"0", 1, 16, nil, `"0" is outside 1-16`},
		{"15-17", 1, 16, nil, `"15-17" is outside 1-16`},
		{"3-1", 1, 16, nil, `"3-1" runs backwards: the lower number comes first (1-3)`},
		{"1,,2", 1, 16, nil, `bad number in ""`},
		{"a-3", 1, 16, nil, `bad number in "a-3"`},
		{"1-b", 1, 16, nil, `bad number in "1-b"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRanges(tt.in, tt.min, tt.max)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// New builds the runtime pools from the requested configuration without
// touching it: two twins of one Network allocate independently.
func TestTwinsOfOneNetworkAreIndependent(t *testing.T) {
	n, err := ParseNetwork(auEast(t))
	require.NoError(t, err)
	a, err := New(n)
	require.NoError(t, err)
	b, err := New(n)
	require.NoError(t, err)
	assert.Equal(t, "OLT-SOUTH-03 LC2 Port 8", reserve(t, a, "k", melbHQ, "OLTPort").Value)
	assert.Equal(t, "OLT-SOUTH-03 LC2 Port 8", reserve(t, b, "k", melbHQ, "OLTPort").Value)
	assert.Equal(t, `{slot: 2, ports: 16, occupied: "1-7"}`,
		`{slot: 2, ports: 16, occupied: "`+n.OLTs[0].LineCards[1].Occupied+`"}`)
}

// Every system the twin names answers a request without panicking.
func TestSystemsAnswer(t *testing.T) {
	tw := newTwin(t, auEast(t))
	for _, sys := range Systems {
		var rec recorder
		tw.Call(0, &port.Request{Key: "k-" + string(sys), System: sys, Op: port.Release, Place: melbHQ.place()}, &rec)
		assert.Len(t, rec.finals(), 1, "%s", sys)
	}
}

// Line cards are named by slot: two cards in one slot hand out two ports of
// one name to two orders (and a release of one frees the other's entry).
func TestParseNetworkRejectsDuplicateSlots(t *testing.T) {
	data := edit(t, auEast(t), `{slot: 1, ports: 16, occupied: "1-16"}`, `{slot: 1, ports: 16, occupied: "2-16"}`)
	data = edit(t, data, `{slot: 2, ports: 16, occupied: "1-7"}`, `{slot: 1, ports: 16, occupied: "2-16"}`)
	n, err := ParseNetwork(data)
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), "OLT-SOUTH-03")
		return
	}
	tw, err := New(n)
	require.NoError(t, err)
	a := reserve(t, tw, "a", melbHQ, "OLTPort")
	b := reserve(t, tw, "b", melbHQ, "OLTPort")
	assert.NotEqual(t, a.ID, b.ID, "two orders, two ports")
}

// A network read from a file names the line of each fault: the item of a
// list it is in, or the duration's key.
func TestParseNetworkNamesTheLine(t *testing.T) {
	data := edit(t, auEast(t), "serials: [FDO2341102,", "serials: [FDO2340568,")
	data = edit(t, data, `{slot: 2, ports: 16, occupied: "1-7"}`, `{slot: 2, ports: 16, occupied: "1-17"}`)
	data = edit(t, data, "  cpe.boot: 1h\n", "  cpe.boot: 1h\n  cpe.teleport: 1h\n")
	_, err := ParseNetwork(data)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 17: OLT OLT-SOUTH-03 LC2: occupied: \"1-17\" is outside 1-16")
	assert.Contains(t, err.Error(), "line 53: cpe ISR-4431 in SYD: serial FDO2340568 is stocked already")
	assert.Regexp(t, `line \d+: durations: unknown operation "cpe.teleport"`, err.Error())

	n, err := LoadNetwork(auEastFile)
	require.NoError(t, err)
	n.OLTs[0].LineCards[1].Occupied = "1-17"
	err = (&Network{OLTs: n.OLTs}).Validate()
	require.ErrorContains(t, err, "OLT OLT-SOUTH-03 LC2: occupied")
	assert.NotContains(t, err.Error(), "line ", "built, not read: no line to name")
}

package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// population is a small population scenario for the tests below: ten
// customers of five sites, every order placed at T+0, on areas of 25
// sites of which the first is built short.
const population = `version: 2
name: Population under test
seed: 11
start: "2025-02-03T09:00:00+10:00"
catalog: catalog/enterprise.yaml
network: networks/au-east.yaml
population:
  customers: 10
  sitesPerCustomer: 5
  offering: PO-EFCG-01
  sla: Gold
  speed: 500M-sym
  term: 36
  rateCard: RC-ENT-2024-TIERED
  price: 1850
  p2pEvery: 5
  waves:
    - {name: Pilot, sites: 1, target: P14D}
    - {name: Wave 1, sites: 4, target: P45D}
  network:
    regions: [MEL, SYD]
    sitesPerArea: 25
    exhausted: 1
    short: 4
    expansionAt: P20D
`

// loadPopulation loads the population above with each replacement made
// (from → to), beside the library's catalog and networks.
func loadPopulation(t *testing.T, repl ...string) (*Scenario, error) {
	t.Helper()
	return loadEditedText(t, population, repl...)
}

// The line card that goes into an exhausted area holds every port the
// area was built short: with more than 16 short, a 16-port card left the
// rest of its sites held for ever, their orders in progress.
func TestPopulationExpansionHoldsEveryShortPort(t *testing.T) {
	for _, short := range []string{"4", "19"} {
		t.Run("short "+short, func(t *testing.T) {
			sc, err := loadPopulation(t, "short: 4", "short: "+short)
			require.NoError(t, err)
			r := run(t, sc)
			assert.Equal(t, "completed", r.Outcome)
			assert.Equal(t, map[string]int{"completed": 10}, r.Orders)
		})
	}
}

// A population's bad numbers are refused at load, each naming its field
// and line: a negative arrival counted the waves' targets from before the
// orders were placed, a negative p2pEvery was taken as 0, sitesPerArea: 0
// as 200, and more exhausted areas than there are went unsaid.
func TestPopulationLoadErrors(t *testing.T) {
	for _, c := range []struct{ name, from, to, want string }{
		{"no customers", "customers: 10", "customers: 0", "line 8: population.customers: 0: want 1 or more"},
		{"no sites", "sitesPerCustomer: 5", "sitesPerCustomer: -5", "line 9: population.sitesPerCustomer: -5: want 1 or more"},
		// Numbers past the bound were multiplied round to negative ones,
		// or generated until memory ran out.
		{"too many customers", "customers: 10", "customers: 9223372036854775807", "line 8: population.customers: 9223372036854775807: want at most 1000000"},
		{"too many sites", "customers: 10", "customers: 200001",
			"line 8: population: 200001 customers of 5 sites each are 1000005 sites: a population has at most 1000000"},
		{"a wave too large", "{name: Pilot, sites: 1,", "{name: Pilot, sites: 9223372036854775807,",
			"line 18: population.waves[0] (Pilot): sites: 9223372036854775807: want at most 1000000"},
		{"a wave of no sites", "{name: Pilot, sites: 1,", "{name: Pilot, sites: 0,", "line 18: population.waves[0] (Pilot): sites: 0: a wave takes 1 or more sites"},
		{"waves not adding up", "sitesPerCustomer: 5", "sitesPerCustomer: 6", "line 17: population.waves: the waves take 5 sites, not sitesPerCustomer 6"},
		{"a target at the order", "target: P45D", "target: PT0S", "line 19: population.waves[1] (Wave 1): target: PT0S is not after the customer's order"},
		{"a negative arrival", "p2pEvery: 5", "p2pEvery: 5\n  arrival: -PT3H", "line 17: population.arrival: -PT3H is negative"},
		{"a bad arrival", "p2pEvery: 5", "p2pEvery: 5\n  arrival: 3h", `line 17: population.arrival: duration "3h"`},
		{"a negative p2pEvery", "p2pEvery: 5", "p2pEvery: -3", "line 16: population.p2pEvery: -3: want 0 (every site on GPON) or more"},
		{"no regions", "regions: [MEL, SYD]", "regions: []", "line 21: population.network.regions: name at least one"},
		{"a region twice", "regions: [MEL, SYD]", "regions: [MEL, SYD, MEL]", "line 21: population.network.regions: MEL is named twice"},
		{"areas of no sites", "sitesPerArea: 25", "sitesPerArea: 0", "line 22: population.network.sitesPerArea: 0: want 1 or more (left out: 200)"},
		{"areas larger than their VLAN pools", "sitesPerArea: 25", "sitesPerArea: 2001",
			"line 22: population.network.sitesPerArea: 2001: an area's VLAN pool holds 2000 VLANs (2000-3999), one a site: want at most 2000"},
		{"more exhausted areas than areas", "exhausted: 1", "exhausted: 3",
			"line 23: population.network.exhausted: 3 is more than the 2 serving areas the population has (50 sites, 25 an area)"},
		{"negative exhausted", "exhausted: 1", "exhausted: -1", "line 23: population.network.exhausted: -1: want 0"},
		{"negative short", "short: 4", "short: -4", "line 24: population.network.short: -4: want 0 or more"},
		{"expansion before T+0", "expansionAt: P20D", "expansionAt: -P1D", "line 25: population.network.expansionAt: -P1D is before T+0"},
		{"unknown offering", "offering: PO-EFCG-01", "offering: PO-EFCG-02", `line 10: population: unknown product offering "PO-EFCG-02"`},
		// What COM's check of the customers' quotes finds names the
		// population's field.
		{"a tier not offered", "sla: Gold", "sla: Bronze", `line 11: population: SLA tier "Bronze" is not offered`},
		{"a term not offered", "term: 36", "term: 7", "line 13: population: term 7 months is not offered"},
		{"no price", "price: 1850", "price: 0", "line 15: population: price 0: must be positive"},
		{"who places the orders", "p2pEvery: 5", "p2pEvery: 5\n  orders: apii", `line 17: population.orders: "apii": want scenario`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadPopulation(t, c.from, c.to)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	// Every fault shows, in the order of the file's lines, with the
	// file's others.
	_, err := loadPopulation(t, "customers: 10", "customers: 0", "p2pEvery: 5", "p2pEvery: -1", `start: "2025-02-03T09:00:00+10:00"`, "start: soon")
	require.Error(t, err)
	assert.Regexp(t, `(?s)line 4: start: "soon".*\nline 8: population.customers.*\nline 16: population.p2pEvery`, err.Error())
}

// The areas' IP pools fit in 10.64.0.0-10.255.255.255: a /20 each while
// that many fit, else the smallest block of an area's sites (/29 each).
// Pools past 10.255 (the 3073rd /20) were every area's fault, thousands of
// lines; a population whose pools cannot fit is one error, naming why.
func TestPopulationIPPools(t *testing.T) {
	for _, c := range []struct{ per, areas, bits int }{
		{200, 3072, 12}, {200, 3073, 11}, {200, 5000, 11}, {512, 3072, 12}, {513, 1, 13}, {1, 1_000_000, 3},
	} {
		bits, ok := ipBlock(c.per, c.areas)
		assert.True(t, ok, "%+v", c)
		assert.Equal(t, c.bits, bits, "%+v", c)
	}
	_, ok := ipBlock(17, 1_000_000/17+1)
	assert.False(t, ok, "58,824 blocks of 32 sites are too many")

	sc, err := loadPopulation(t, "sitesPerArea: 25", "sitesPerArea: 600")
	require.NoError(t, err)
	require.Len(t, sc.Spec.Network.IPPools, 1)
	assert.Equal(t, "10.64.0.0/19", sc.Spec.Network.IPPools[0].Prefix, "1024 sites' /29s")
	sc, err = loadPopulation(t)
	require.NoError(t, err)
	assert.Equal(t, "10.64.16.0/20", sc.Spec.Network.IPPools[1].Prefix, "the second /20")

	_, err = loadPopulation(t, "customers: 10\n", "customers: 200000\n", "sitesPerArea: 25", "sitesPerArea: 17")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 8: population: 1000000 sites, 17 an area, need 58824 serving areas, and their IP pools (a /24 each, a /29 a site) "+
		"do not fit in the generated network's 10.64.0.0-10.255.255.255 (49152 such pools): make the population smaller, or sitesPerArea a power of two")
	assert.NotContains(t, err.Error(), "\n", "one error")
}

// Left out, sitesPerArea is 200: one area for the population's 50 sites.
func TestPopulationDefaultSitesPerArea(t *testing.T) {
	sc, err := loadPopulation(t, "    sitesPerArea: 25\n", "")
	require.NoError(t, err)
	assert.Len(t, sc.Spec.Network.ServingAreas, 1)
}

package catalog_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/catalog"
)

// planFor returns the plan of offering PO-EFCG-01 with tier on technology,
// the way SOM gets it: CFSFor, then Plan.
func planFor(t *testing.T, c *catalog.Catalog, tier, technology string) *catalog.Plan {
	t.Helper()
	o, err := c.Offering("PO-EFCG-01")
	require.NoError(t, err)
	tr, err := c.Tier(o, tier)
	require.NoError(t, err)
	p, err := c.Plan(ids(c.CFSFor(o, tr)), technology)
	require.NoError(t, err)
	return p
}

func stepIDs(p *catalog.Plan) []string {
	out := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = s.RFS.ID
	}
	return out
}

// after maps each step's RFS to the RFS it waits for.
func after(p *catalog.Plan) map[string][]string {
	out := map[string][]string{}
	for _, s := range p.Steps {
		deps := []string{}
		for _, j := range s.After {
			deps = append(deps, p.Steps[j].RFS.ID)
		}
		out[s.RFS.ID] = deps
	}
	return out
}

// completion maps each CFS of the plan to the RFS that complete it.
func completion(p *catalog.Plan) map[string][]string {
	out := map[string][]string{}
	for _, pc := range p.CFS {
		for _, i := range pc.Steps {
			out[pc.CFS.ID] = append(out[pc.CFS.ID], p.Steps[i].RFS.ID)
		}
	}
	return out
}

// assertTopological checks that Order holds every step once and puts every
// step after the steps it waits for.
func assertTopological(t *testing.T, p *catalog.Plan) {
	t.Helper()
	require.Len(t, p.Order, len(p.Steps))
	pos := make(map[int]int, len(p.Order))
	for at, i := range p.Order {
		require.GreaterOrEqual(t, i, 0)
		require.Less(t, i, len(p.Steps))
		_, dup := pos[i]
		require.False(t, dup, "step %d twice in Order", i)
		pos[i] = at
	}
	for i, s := range p.Steps {
		for _, j := range s.After {
			assert.Less(t, pos[j], pos[i], "%s runs before %s, which it waits for", s.RFS.ID, p.Steps[j].RFS.ID)
		}
	}
}

// TestPlanGPONGold is the pilot site's plan (Melbourne HQ, GPON, Gold).
// Reference: seed "SOM Orchestration Plan — Dependencies (Pilot Site)":
//
//	ROI-001 GPON Bearer      (none)
//	ROI-006 CE Router Config (none)
//	ROI-002 VLAN Service     ROI-001
//	ROI-003 IP Profile       ROI-002
//	ROI-004 QoS Policy       ROI-001
//	ROI-005 SLA Monitoring   ROI-004
func TestPlanGPONGold(t *testing.T) {
	p := planFor(t, loadEnterprise(t), "Gold", "GPON")
	assert.Equal(t, "GPON", p.Technology)
	// Steps in decomposition order are ROI-001 … ROI-006.
	assert.Equal(t, []string{
		"RFS:GPON-Bearer",    // ROI-001
		"RFS:VLAN-Service",   // ROI-002
		"RFS:IP-Profile",     // ROI-003
		"RFS:QoS-Policy",     // ROI-004
		"RFS:SLA-Monitoring", // ROI-005
		"RFS:CE-Router",      // ROI-006
	}, stepIDs(p))
	assert.Equal(t, map[string][]string{
		"RFS:GPON-Bearer":    {},
		"RFS:VLAN-Service":   {"RFS:GPON-Bearer"},
		"RFS:IP-Profile":     {"RFS:VLAN-Service"},
		"RFS:QoS-Policy":     {"RFS:GPON-Bearer"},
		"RFS:SLA-Monitoring": {"RFS:QoS-Policy"},
		"RFS:CE-Router":      {},
	}, after(p))
	assert.Equal(t, [][]int{nil, {0}, {1}, {0}, {3}, nil}, afterIndexes(p))
	assertTopological(t, p)
	// Roots first, in step order (ROI-001, ROI-006), then layer by layer.
	assert.Equal(t, []int{0, 5, 1, 3, 2, 4}, p.Order)
}

func afterIndexes(p *catalog.Plan) [][]int {
	out := make([][]int, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = s.After
	}
	return out
}

// TestPlanCompletionMapping: seed "SOM Completes Pilot SOIs": SOI-001
// (Fibre Access) completes when bearer, VLAN and IP are done; SOI-002
// (Enterprise QoS) when QoS policy and SLA monitoring are; SOI-003 (CPE
// Management) when the CE router config is.
func TestPlanCompletionMapping(t *testing.T) {
	p := planFor(t, loadEnterprise(t), "Gold", "GPON")
	require.Len(t, p.CFS, 3)
	assert.Equal(t, []string{"CFS:Fibre-Access", "CFS:Enterprise-QoS", "CFS:CPE-Management"},
		[]string{p.CFS[0].CFS.ID, p.CFS[1].CFS.ID, p.CFS[2].CFS.ID})
	assert.Equal(t, []int{0, 1, 2}, p.CFS[0].Steps)
	assert.Equal(t, []int{3, 4}, p.CFS[1].Steps)
	assert.Equal(t, []int{5}, p.CFS[2].Steps)
	assert.Equal(t, map[string][]string{
		"CFS:Fibre-Access":   {"RFS:GPON-Bearer", "RFS:VLAN-Service", "RFS:IP-Profile"},
		"CFS:Enterprise-QoS": {"RFS:QoS-Policy", "RFS:SLA-Monitoring"},
		"CFS:CPE-Management": {"RFS:CE-Router"},
	}, completion(p))
	assert.Equal(t, []int{0, 0, 0, 1, 1, 2}, []int{p.Steps[0].CFS, p.Steps[1].CFS, p.Steps[2].CFS,
		p.Steps[3].CFS, p.Steps[4].CFS, p.Steps[5].CFS}, "each step points back at its CFS")
}

// TestPlanP2PGold: seed "Wave 1 & Wave 2 Execute": each Sydney site follows
// the same 6-ROI pattern "with P2P Ethernet instead of GPON for the bearer".
func TestPlanP2PGold(t *testing.T) {
	p := planFor(t, loadEnterprise(t), "Gold", "P2P-Ethernet")
	assert.Equal(t, "P2P-Ethernet", p.Technology)
	assert.Equal(t, []string{"RFS:P2P-Bearer", "RFS:VLAN-Service", "RFS:IP-Profile",
		"RFS:QoS-Policy", "RFS:SLA-Monitoring", "RFS:CE-Router"}, stepIDs(p))
	assert.Equal(t, map[string][]string{
		"RFS:P2P-Bearer":     {},
		"RFS:VLAN-Service":   {"RFS:P2P-Bearer"},
		"RFS:IP-Profile":     {"RFS:VLAN-Service"},
		"RFS:QoS-Policy":     {"RFS:P2P-Bearer"},
		"RFS:SLA-Monitoring": {"RFS:QoS-Policy"},
		"RFS:CE-Router":      {},
	}, after(p))
	assertTopological(t, p)
	assert.Equal(t, []int{0, 5, 1, 3, 2, 4}, p.Order)
}

// TestPlanSilver: without Enterprise-QoS there is no QoS policy and no SLA
// monitoring step.
func TestPlanSilver(t *testing.T) {
	p := planFor(t, loadEnterprise(t), "Silver", "GPON")
	assert.Equal(t, []string{"RFS:GPON-Bearer", "RFS:VLAN-Service", "RFS:IP-Profile", "RFS:CE-Router"}, stepIDs(p))
	assert.Equal(t, map[string][]string{
		"CFS:Fibre-Access":   {"RFS:GPON-Bearer", "RFS:VLAN-Service", "RFS:IP-Profile"},
		"CFS:CPE-Management": {"RFS:CE-Router"},
	}, completion(p))
	assertTopological(t, p)
	assert.Equal(t, []int{0, 3, 1, 2}, p.Order)
}

// TestEveryOfferedPlanExists: every (offering, tier, technology) the
// catalog offers has a valid plan template, built at load.
func TestEveryOfferedPlanExists(t *testing.T) {
	c := loadEnterprise(t)
	n := 0
	for _, o := range c.Offerings {
		for _, name := range o.Tiers {
			tier, err := c.Tier(o, name)
			require.NoError(t, err)
			for _, tech := range []string{"GPON", "P2P-Ethernet"} {
				p, err := c.Plan(ids(c.CFSFor(o, tier)), tech)
				require.NoError(t, err, "%s %s %s", o.ID, name, tech)
				assertTopological(t, p)
				n++
			}
		}
	}
	assert.Equal(t, 8, n)
}

// TestPlanIsBuiltOnce: the hot path never rebuilds a graph (docs/architecture.md §4):
// Plan hands out the template built at load.
func TestPlanIsBuiltOnce(t *testing.T) {
	c := loadEnterprise(t)
	a := planFor(t, c, "Gold", "GPON")
	b := planFor(t, c, "Platinum", "GPON")
	assert.Same(t, a, b, "Gold and Platinum have the same CFS set, so the same template")
	assert.Same(t, a, planFor(t, c, "Gold", "GPON"))
}

// TestPlanOrderIsDeterministic: the same catalog gives the same order on
// every load (StableTopologicalSort only, docs/architecture.md §4): the graph
// library walks Go maps, so repeat enough to catch map-order leaks.
func TestPlanOrderIsDeterministic(t *testing.T) {
	data := []byte(readFile(t, enterprise))
	first, err := catalog.Parse(data)
	require.NoError(t, err)
	for range 50 {
		c, err := catalog.Parse(data)
		require.NoError(t, err)
		for _, tier := range []string{"Silver", "Gold"} {
			for _, tech := range []string{"GPON", "P2P-Ethernet"} {
				want, got := planFor(t, first, tier, tech), planFor(t, c, tier, tech)
				require.Equal(t, want.Order, got.Order, "%s %s", tier, tech)
				require.Equal(t, afterIndexes(want), afterIndexes(got), "%s %s", tier, tech)
			}
		}
	}
}

func TestPlanUnknown(t *testing.T) {
	c := loadEnterprise(t)
	gold := []string{"CFS:Fibre-Access", "CFS:Enterprise-QoS", "CFS:CPE-Management"}
	_, err := c.Plan(gold, "XGS-PON")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `technology "XGS-PON"`)

	_, err = c.Plan([]string{"CFS:CPE-Management", "CFS:Fibre-Access"}, "GPON")
	require.Error(t, err, "the CFS set is keyed in specification order")
	_, err = c.Plan(nil, "GPON")
	require.Error(t, err)
}

// TestPlanMinimal checks a plan where a step depends on one of another CFS.
func TestPlanMinimal(t *testing.T) {
	c, err := catalog.Parse(minimalWith(t))
	require.NoError(t, err)
	o, err := c.Offering("PO-1")
	require.NoError(t, err)

	basic, err := c.Tier(o, "Basic")
	require.NoError(t, err)
	assert.Equal(t, []string{"CFS:Access"}, ids(c.CFSFor(o, basic)))
	p, err := c.Plan([]string{"CFS:Access"}, "Fibre")
	require.NoError(t, err)
	assert.Equal(t, []string{"RFS:A", "RFS:B"}, stepIDs(p))
	assert.Equal(t, []int{0, 1}, p.Order)

	premium, err := c.Tier(o, "Premium")
	require.NoError(t, err)
	p, err = c.Plan(ids(c.CFSFor(o, premium)), "Fibre")
	require.NoError(t, err)
	assert.Equal(t, []string{"RFS:A", "RFS:B", "RFS:C"}, stepIDs(p))
	assert.Equal(t, map[string][]string{"RFS:A": {}, "RFS:B": {"RFS:A"}, "RFS:C": {"RFS:A"}}, after(p))
	assert.Equal(t, 1, p.Steps[2].CFS, "RFS:C realises CFS:Premium")
	assert.Equal(t, []int{0, 1, 2}, p.Order)
	assertTopological(t, p)
}

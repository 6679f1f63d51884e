package catalog_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/catalog"
)

// enterprise is the real catalog the worked example runs on.
const enterprise = "../../scenarios/catalog/enterprise.yaml"

func loadEnterprise(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(enterprise)
	require.NoError(t, err)
	return c
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// edit replaces old by new in the minimal catalog; old must occur exactly
// once, so that a fixture edit cannot silently stop applying.
type edit struct{ old, new string }

func minimalWith(t *testing.T, edits ...edit) []byte {
	t.Helper()
	s := readFile(t, "testdata/minimal.yaml")
	for _, e := range edits {
		require.Equal(t, 1, strings.Count(s, e.old), "fixture edit %q must match exactly once", e.old)
		s = strings.Replace(s, e.old, e.new, 1)
	}
	return []byte(s)
}

// TestLoadEnterprise checks the real catalog against the worked example's
// order summary (seed "Order Summary" and "SLA & Pricing Configuration").
func TestLoadEnterprise(t *testing.T) {
	c := loadEnterprise(t)
	assert.Equal(t, "enterprise-fixed", c.Name)
	assert.Len(t, c.Offerings, 2)
	assert.Len(t, c.Specs, 1)
	assert.Len(t, c.Tiers, 3)
	assert.Len(t, c.CFS, 3)
	assert.Len(t, c.RFS, 7)

	o, err := c.Offering("PO-EFCG-01")
	require.NoError(t, err)
	assert.Equal(t, "Enterprise Fibre Connect Gold", o.Name)
	assert.Equal(t, "EFCG", o.Code)
	assert.Equal(t, "PS-ESA-01", o.Specification, "Product Specification PS-ESA-01")
	assert.Equal(t, "Enterprise Symmetric Access", c.Specs[o.Specification].Name)
	assert.Equal(t, []string{"Silver", "Gold", "Platinum"}, o.Tiers)
	assert.Contains(t, o.Speeds, "500M-sym", "500 Mbps symmetric")
	assert.Contains(t, o.Terms, 36, "36-month term")
	assert.Equal(t, "AUD", o.Currency)
	assert.InDelta(t, 2200.0, o.ListPrice, 1e-9, "list price $2,200/site/month")
	assert.InDelta(t, 0.25, o.DiscountAuthority, 1e-9)
	assert.Equal(t, "ISR-4431", o.CPEModel, "Cisco ISR 4431 managed router")
	assert.Equal(t, "PI-{offering.code}-{customer.number}-{site}", o.InstanceID)

	require.NotEmpty(t, o.RateCards)
	neg := o.RateCards[0]
	assert.Equal(t, "RC-ENT-2024-NEG", neg.ID)
	assert.InDelta(t, 1800.0, neg.Monthly, 1e-9, "negotiated $1,800/site/month")
	assert.True(t, neg.Approved, "enterprise rate card is approved")
	assert.Equal(t, []int{36, 60}, neg.Terms)

	gold := c.Tiers["Gold"]
	require.NotNil(t, gold)
	assert.InDelta(t, 99.95, gold.Availability, 1e-9, "Gold: 99.95% availability")
	assert.Equal(t, 4*time.Hour, gold.Restore, "Gold: 4-hour restore")
	assert.InDelta(t, 10.0, gold.LatencyMs, 1e-9, "alert threshold latency >10ms")
	assert.InDelta(t, 0.01, gold.LossPct, 1e-9, "alert threshold loss >0.01%")
	assert.Equal(t, "GOLD", gold.Class)
	assert.Equal(t, 8*time.Hour, c.Tiers["Silver"].Restore)

	// Characteristics keep the file's order.
	fa := c.CFS["CFS:Fibre-Access"]
	require.NotNil(t, fa)
	var names []string
	for _, ch := range fa.Characteristics {
		names = append(names, ch.Name)
	}
	assert.Equal(t, []string{"speed", "technology", "oltArea", "exchange", "ipPool"}, names)

	bearer := c.RFS["RFS:GPON-Bearer"]
	require.NotNil(t, bearer)
	assert.Equal(t, "OLTPort", bearer.Resource.Type)
	assert.Equal(t, "physical", bearer.Resource.Category)
	assert.Equal(t, "access", bearer.Resource.Reserve)
	assert.Equal(t, "access", bearer.Resource.Commit)
	assert.Equal(t, "VLAN is configured on the provisioned bearer", c.RFS["RFS:VLAN-Service"].Reason)
}

func TestRateCardCurrentIsInclusive(t *testing.T) {
	rc := catalog.RateCard{From: "2024-01-01", To: "2026-12-31"}
	for day, want := range map[string]bool{
		"2023-12-31": false,
		"2024-01-01": true,
		"2025-06-15": true,
		"2026-12-31": true,
		"2027-01-01": false,
	} {
		assert.Equal(t, want, rc.Current(day), day)
	}
}

func TestTierHas(t *testing.T) {
	c := loadEnterprise(t)
	assert.True(t, c.Tiers["Gold"].Has("enterpriseQoS"))
	assert.True(t, c.Tiers["Platinum"].Has("enterpriseQoS"))
	assert.False(t, c.Tiers["Silver"].Has("enterpriseQoS"))
	assert.False(t, c.Tiers["Gold"].Has(""))
	assert.False(t, c.Tiers["Gold"].Has("EnterpriseQoS"), "flags are case-sensitive")
}

func TestOfferingLookup(t *testing.T) {
	c := loadEnterprise(t)
	_, err := c.Offering("PO-NOPE")
	require.Error(t, err)
	assert.EqualError(t, err, `unknown product offering "PO-NOPE" (known: PO-EFCG-01, PO-EFCP-01)`)

	plat, err := c.Offering("PO-EFCP-01")
	require.NoError(t, err)
	tier, err := c.Tier(plat, "Platinum")
	require.NoError(t, err)
	assert.Same(t, c.Tiers["Platinum"], tier)
	_, err = c.Tier(plat, "Gold")
	require.Error(t, err, "Gold is declared but not offered with PO-EFCP-01")
	assert.EqualError(t, err, `SLA tier "Gold" is not offered with PO-EFCP-01 (offered: Platinum)`)
}

// TestCFSForAppliesWhenTier: COM decomposition (seed Step 2,
// "Product-to-CFS Decomposition"): Gold gives 3 CFS per site,
// CFS:Enterprise-QoS being "mandatory for Gold SLA tier"; a tier without
// the enterpriseQoS flag leaves it out.
func TestCFSForAppliesWhenTier(t *testing.T) {
	c := loadEnterprise(t)
	o, err := c.Offering("PO-EFCG-01")
	require.NoError(t, err)
	for _, tc := range []struct {
		tier string
		want []string
	}{
		{"Gold", []string{"CFS:Fibre-Access", "CFS:Enterprise-QoS", "CFS:CPE-Management"}},
		{"Platinum", []string{"CFS:Fibre-Access", "CFS:Enterprise-QoS", "CFS:CPE-Management"}},
		{"Silver", []string{"CFS:Fibre-Access", "CFS:CPE-Management"}},
	} {
		tier, err := c.Tier(o, tc.tier)
		require.NoError(t, err)
		assert.Equal(t, tc.want, ids(c.CFSFor(o, tier)), tc.tier)
	}
}

func TestRFSForTechnology(t *testing.T) {
	c := loadEnterprise(t)
	fa, qos := c.CFS["CFS:Fibre-Access"], c.CFS["CFS:Enterprise-QoS"]
	assert.Equal(t, []string{"RFS:GPON-Bearer", "RFS:VLAN-Service", "RFS:IP-Profile"}, fa.RFSFor("GPON"))
	assert.Equal(t, []string{"RFS:P2P-Bearer", "RFS:VLAN-Service", "RFS:IP-Profile"}, fa.RFSFor("P2P-Ethernet"))
	assert.Empty(t, fa.RFSFor("XGS-PON"), "no wildcard: an unknown technology has no RFS")
	assert.Equal(t, []string{"RFS:QoS-Policy", "RFS:SLA-Monitoring"}, qos.RFSFor("GPON"), `"*" applies to every technology`)
	assert.Equal(t, qos.RFSFor("GPON"), qos.RFSFor("P2P-Ethernet"))

	// A technology-specific list wins over "*".
	cfs := catalog.CFS{RFS: map[string][]string{"*": {"RFS:X"}, "GPON": {"RFS:Y"}}}
	assert.Equal(t, []string{"RFS:Y"}, cfs.RFSFor("GPON"))
	assert.Equal(t, []string{"RFS:X"}, cfs.RFSFor("P2P-Ethernet"))
}

func TestParseMinimal(t *testing.T) {
	c, err := catalog.Parse(minimalWith(t))
	require.NoError(t, err)
	assert.Equal(t, "minimal", c.Name)
	assert.Len(t, c.Offerings, 1)
	assert.Len(t, c.RFS, 3)
}

// TestParseRejects: everything is checked at load, and the error names
// what is wrong (package doc; docs/architecture.md §4).
func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits []edit
		want  []string // substrings of the error
	}{
		{"unknown top-level field", []edit{{"name: minimal", "name: minimal\nowner: ops"}},
			[]string{`line 4: top level: unknown key "owner"`}},
		{"unknown offering field (typo)", []edit{{"listPrice: 100", "lisPrice: 100"}},
			[]string{`unknown key "lisPrice" (did you mean "listPrice"?)`}},
		{"unknown rfs resource field", []edit{{"{type: Port, reserve: access, commit: access}",
			"{type: Port, reserve: access, commit: access, owner: x}"}},
			[]string{`unknown key "owner"`}},
		{"unknown spec service field", []edit{{"whenTier: premium", "when: premium"}},
			[]string{`unknown key "when"`}},
		{"characteristics not a mapping", []edit{{"  - id: RFS:A\n", "  - id: RFS:A\n    characteristics: [a, b]\n"}},
			[]string{"characteristics must be a mapping"}},
		{"characteristic not a plain value", []edit{{"  - id: RFS:A\n", "  - id: RFS:A\n    characteristics: {pool: [a, b]}\n"}},
			[]string{`characteristic "pool" must have a plain value`}},
		{"not YAML", []edit{{"name: minimal", "name: [minimal"}}, []string{`line 3: did not find expected ',' or ']': name: [minimal`}},

		{"duplicate offering", []edit{{"offerings:\n", "offerings:\n  - {id: PO-1, specification: PS-1, listPrice: 1, rateCards: [{id: RC}]}\n"}},
			[]string{"offering PO-1: declared twice"}},
		{"duplicate specification", []edit{{"specifications:\n", "specifications:\n  - {id: PS-1}\n"}},
			[]string{"specification PS-1: declared twice"}},
		{"duplicate SLA tier", []edit{{"  - name: Basic\n", "  - name: Basic\n  - name: Basic\n"}},
			[]string{"SLA tier Basic: declared twice"}},
		{"duplicate cfs", []edit{{"cfs:\n  - id: CFS:Access", "cfs:\n  - {id: CFS:Access, rfs: {Fibre: [RFS:A]}}\n  - id: CFS:Access"}},
			[]string{"cfs CFS:Access: declared twice"}},
		{"duplicate rfs", []edit{{"rfs:\n  - id: RFS:A", "rfs:\n  - {id: RFS:A, resource: {type: T, reserve: r, commit: c}}\n  - id: RFS:A"}},
			[]string{"rfs RFS:A: declared twice"}},
		{"rfs without id", []edit{{"\nrfs:\n", "\nrfs:\n  - {name: nameless, resource: {type: T, reserve: r, commit: c}}\n"}},
			[]string{"rfs without id"}},
		{"SLA tier without name", []edit{{"  - name: Basic\n", "  - name: Basic\n  - {class: X}\n"}},
			[]string{"SLA tier without id"}},

		{"offering → undeclared specification", []edit{{"specification: PS-1", "specification: PS-X"}},
			[]string{`offering PO-1: specification "PS-X" is not declared`}},
		{"offering → undeclared SLA tier", []edit{{"slaTiers: [Basic, Premium]", "slaTiers: [Basic, Gold]"}},
			[]string{`offering PO-1: SLA tier "Gold" is not declared`}},
		{"specification → undeclared cfs", []edit{{"- cfs: CFS:Access", "- cfs: CFS:Acces"}},
			[]string{`specification PS-1: cfs "CFS:Acces" is not declared`}},
		{"cfs → undeclared rfs", []edit{{"Fibre: [RFS:A, RFS:B]", "Fibre: [RFS:A, RFS:Z]"}},
			[]string{`cfs CFS:Access: rfs "RFS:Z" (technology Fibre) is not declared`}},
		{"rfs after → undeclared rfs", []edit{{"after: [RFS:A]\n  - id: RFS:C", "after: [RFS:Q]\n  - id: RFS:C"}},
			[]string{`rfs RFS:B: after "RFS:Q", which is not declared`}},
		{"offering without rate card", []edit{{"    rateCards:\n      - {id: RC-1, monthly: 90, approved: true, validFrom: \"2024-01-01\", validTo: \"2024-12-31\"}\n", ""}},
			[]string{"offering PO-1: no rate card"}},
		{"offering with zero list price", []edit{{"listPrice: 100", "listPrice: 0"}},
			[]string{"offering PO-1: listPrice must be positive"}},
		{"cfs without rfs", []edit{{"    rfs:\n      \"*\": [RFS:C]\n", ""}},
			[]string{"cfs CFS:Premium: no rfs"}},
		{"rfs resource without commit", []edit{{"{type: VLAN, reserve: vlan, commit: bng}", "{type: VLAN, reserve: vlan}"}},
			[]string{"rfs RFS:B: resource needs type, reserve and commit"}},
		{"rfs with a negative deadline", []edit{{"{type: VLAN, reserve: vlan, commit: bng}", "{type: VLAN, reserve: vlan, commit: bng}\n    deadline: -1h"}},
			[]string{"rfs RFS:B: deadline -1h0m0s is negative"}},
		{"rfs with a deadline that is not a duration", []edit{{"{type: VLAN, reserve: vlan, commit: bng}", "{type: VLAN, reserve: vlan, commit: bng}\n    deadline: soon"}},
			[]string{"soon"}},
		{"every problem reported at once", []edit{
			{"specification: PS-1", "specification: PS-X"},
			{"after: [RFS:A]\n  - id: RFS:C", "after: [RFS:Q]\n  - id: RFS:C"},
		}, []string{`specification "PS-X" is not declared`, `after "RFS:Q", which is not declared`}},

		{"one rfs realising two cfs of a plan", []edit{{`"*": [RFS:C]`, `"*": [RFS:A]`}},
			[]string{"rfs RFS:A realises both CFS:Access and CFS:Premium"}},
		{"cfs realised per technology, without a technology characteristic", []edit{{"    characteristics:\n      technology: \"{technology}\"\n", ""}},
			[]string{`plan for PO-1: CFS:Access has RFS per access technology (Fibre), none for every one ("*")`, `none of CFS:Access has a characteristic technology`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := catalog.Parse(minimalWith(t, tc.edits...))
			require.Error(t, err)
			assert.Nil(t, c)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// TestParseRejectsCycles: "a catalog with a cycle is rejected with the
// cycle named" (docs/architecture.md §4), members in dependency order, closing on the
// first, whether or not a plan uses the RFS.
func TestParseRejectsCycles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits []edit
		want  string
	}{
		{"two rfs after each other",
			[]edit{{"  - id: RFS:A\n", "  - id: RFS:A\n    after: [RFS:B]\n"}},
			"rfs dependency cycle: RFS:B → RFS:A → RFS:B"},
		{"rfs after itself",
			[]edit{{"  - id: RFS:A\n", "  - id: RFS:A\n    after: [RFS:A]\n"}},
			"rfs dependency cycle: RFS:A → RFS:A"},
		{"cycle among rfs no plan uses",
			[]edit{{"\nrfs:\n", "\nrfs:\n" +
				"  - {id: RFS:X, after: [RFS:Y], resource: {type: T, reserve: r, commit: c}}\n" +
				"  - {id: RFS:Y, after: [RFS:X], resource: {type: T, reserve: r, commit: c}}\n"}},
			"rfs dependency cycle: RFS:Y → RFS:X → RFS:Y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := catalog.Parse(minimalWith(t, tc.edits...))
			require.Error(t, err)
			assert.EqualError(t, err, tc.want)
		})
	}
}

func TestLoadRejectsThreeStepCycle(t *testing.T) {
	_, err := catalog.Load("testdata/cycle.yaml")
	require.Error(t, err)
	assert.EqualError(t, err, "catalog testdata/cycle.yaml: rfs dependency cycle: RFS:C → RFS:A → RFS:B → RFS:C")
	members := strings.Split(strings.TrimPrefix(err.Error(), "catalog testdata/cycle.yaml: rfs dependency cycle: "), " → ")
	assert.Equal(t, members[0], members[len(members)-1], "the cycle closes on its first member")
	assert.ElementsMatch(t, []string{"RFS:A", "RFS:B", "RFS:C"}, members[:len(members)-1])
}

func TestLoadMissingFile(t *testing.T) {
	_, err := catalog.Load("testdata/no-such-catalog.yaml")
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "testdata/no-such-catalog.yaml")
}

func ids(cfs []*catalog.CFS) []string {
	out := make([]string, len(cfs))
	for i, s := range cfs {
		out[i] = s.ID
	}
	return out
}

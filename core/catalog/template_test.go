package catalog_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/slab"
	"github.com/ordertwin/ordertwin/core/tmf"
)

func TestExpand(t *testing.T) {
	var strs slab.Strings
	vars := catalog.Map{"site": "MELB", "customer.code": "ENT-1102", "empty": "", "brace": "{site}"}
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "", want: ""},
		{in: "enterprise-fibre", want: "enterprise-fibre"},
		{in: "{site}", want: "MELB"},
		{in: "SI-FA-{customer.code}-{site}", want: "SI-FA-ENT-1102-MELB"},
		{in: "{site}{site}", want: "MELBMELB"},
		{in: "{empty}", want: ""},
		{in: "x{empty}y", want: "xy"},
		{in: "{brace}", want: "{site}"}, // one pass: values are not expanded again
		{in: "a}b", want: "a}b"},        // a lone } is text
		{in: "{nope}", err: "unknown variable {nope}"},
		{in: "SI-{site}-{nope}", err: "unknown variable {nope}"},
		{in: "{}", err: "unknown variable {}"},
		{in: "{site", err: `unclosed { in "{site"`},
		{in: "x-{site}-{site", err: "unclosed {"},
	} {
		got, err := catalog.Expand(tc.in, vars)
		in, errIn := catalog.ExpandIn(&strs, tc.in, vars) // the same, made by strs
		if tc.err != "" {
			require.Error(t, err, tc.in)
			assert.Contains(t, err.Error(), tc.err, tc.in)
			assert.Empty(t, got)
			assert.Equal(t, err, errIn, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		require.NoError(t, errIn, tc.in)
		assert.Equal(t, tc.want, in, tc.in)
	}
	_, err := catalog.Expand("{site}", nil)
	assert.EqualError(t, err, "unknown variable {site}", "nil vars know nothing")
}

// TestInstanceIDs: seed "SOM Updates Service Inventory" and "COM Updates
// Product Inventory": SI-FA-ENT-1102-MELB, SI-QOS-…, SI-CPE-…, and
// PI-EFCG-1102-MELB.
func TestInstanceIDs(t *testing.T) {
	c := loadEnterprise(t)
	vars := catalog.Map{"offering.code": "EFCG", "customer.number": "1102", "customer.code": "ENT-1102", "site": "MELB"}
	for template, want := range map[string]string{
		c.Offerings["PO-EFCG-01"].InstanceID:   "PI-EFCG-1102-MELB",
		c.CFS["CFS:Fibre-Access"].InstanceID:   "SI-FA-ENT-1102-MELB",
		c.CFS["CFS:Enterprise-QoS"].InstanceID: "SI-QOS-ENT-1102-MELB",
		c.CFS["CFS:CPE-Management"].InstanceID: "SI-CPE-ENT-1102-MELB",
	} {
		got, err := catalog.Expand(template, vars)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
}

// TestApplyWorkedExample expands the real catalog's characteristics for
// the pilot site and compares with the seed's decomposition tables
// (SOI-001…003 and ROI-001…003).
func TestApplyWorkedExample(t *testing.T) {
	c := loadEnterprise(t)
	for _, tc := range []struct {
		name     string
		template catalog.Template
		vars     catalog.Vars
		want     tmf.Characteristics
	}{
		{"SOI-001 CFS:Fibre-Access", c.CFS["CFS:Fibre-Access"].Characteristics,
			catalog.Map{"speed": "500M-sym", "technology": "GPON", "oltArea": "SOUTH-03", "p2pExchange": "", "ipPool": "SOUTH-ENT"},
			// exchange is "" on GPON and left out.
			tmf.Characteristics{{Name: "speed", Value: "500M-sym"}, {Name: "technology", Value: "GPON"},
				{Name: "oltArea", Value: "SOUTH-03"}, {Name: "ipPool", Value: "SOUTH-ENT"}}},
		{"SOI-002 CFS:Enterprise-QoS", c.CFS["CFS:Enterprise-QoS"].Characteristics,
			catalog.Map{"tier": "Gold", "tier.availability": "99.95", "tier.restore": "4hr", "tier.latencyMs": "10", "tier.lossPct": "0.01"},
			tmf.Characteristics{{Name: "slaTier", Value: "Gold"}, {Name: "availability", Value: "99.95%"},
				{Name: "restore", Value: "4hr"}, {Name: "latencyMs", Value: "10"}, {Name: "lossPct", Value: "0.01"}}},
		{"SOI-003 CFS:CPE-Management", c.CFS["CFS:CPE-Management"].Characteristics,
			catalog.Map{"cpe.model": "ISR-4431"},
			tmf.Characteristics{{Name: "model", Value: "ISR-4431"}, {Name: "config", Value: "enterprise-fibre"},
				{Name: "mgmt", Value: "fullManaged"}}},
		{"ROI-001 RFS:GPON-Bearer", c.RFS["RFS:GPON-Bearer"].Characteristics,
			catalog.Map{"oltArea": "SOUTH-03"},
			tmf.Characteristics{{Name: "bearerSpeed", Value: "1G"}, {Name: "oltArea", Value: "SOUTH-03"}}},
		{"ROI-002 RFS:VLAN-Service", c.RFS["RFS:VLAN-Service"].Characteristics, nil,
			tmf.Characteristics{{Name: "vlanType", Value: "c-tag"}, {Name: "serviceType", Value: "enterprise"}}},
		{"ROI-003 RFS:IP-Profile", c.RFS["RFS:IP-Profile"].Characteristics,
			catalog.Map{"ipPool": "SOUTH-ENT"},
			tmf.Characteristics{{Name: "ipVersion", Value: "dualStack"}, {Name: "pool", Value: "SOUTH-ENT"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NotEmpty(t, tc.template)
			got, err := tc.template.Apply(tc.vars)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestApply(t *testing.T) {
	tmpl := catalog.Template{
		{Name: "pool", Value: "{ipPool}"},
		{Name: "exchange", Value: "{exchange}"},
		{Name: "note", Value: ""},
		{Name: "mgmt", Value: "fullManaged"},
		{Name: "id", Value: "{a}-{b}"},
	}
	got, err := tmpl.Apply(catalog.Map{"ipPool": "SOUTH-ENT", "exchange": "", "a": "x", "b": "y"})
	require.NoError(t, err)
	assert.Equal(t, tmf.Characteristics{
		{Name: "pool", Value: "SOUTH-ENT"},
		{Name: "mgmt", Value: "fullManaged"},
		{Name: "id", Value: "x-y"},
	}, got, `values expanding to "" are dropped, the rest keep their order`)
	assert.Equal(t, "{ipPool}", tmpl[0].Value, "Apply leaves the template alone")

	_, err = tmpl.Apply(catalog.Map{"ipPool": "SOUTH-ENT"})
	require.Error(t, err)
	assert.EqualError(t, err, "characteristic exchange: unknown variable {exchange}")

	got, err = catalog.Template(nil).Apply(nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestTemplateUnmarshal(t *testing.T) {
	var tmpl catalog.Template
	require.NoError(t, yaml.Unmarshal([]byte("zeta: \"{z}\"\nalpha: 1\nmid: plain text\nempty:\n"), &tmpl))
	assert.Equal(t, catalog.Template{
		{Name: "zeta", Value: "{z}"},
		{Name: "alpha", Value: "1"},
		{Name: "mid", Value: "plain text"},
		{Name: "empty", Value: ""},
	}, tmpl, "file order is kept, scalars read as written")

	for in, want := range map[string]string{
		"[a, b]":      "characteristics must be a mapping",
		"just text":   "characteristics must be a mapping",
		"a: [1, 2]\n": `characteristic "a" must have a plain value`,
		"a: {b: c}\n": `characteristic "a" must have a plain value`,
	} {
		var tmpl catalog.Template
		err := yaml.Unmarshal([]byte(in), &tmpl)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
		assert.Contains(t, err.Error(), "line 1", in)
	}
}

// A customer's catalog variables come from its party id, wherever a
// template is expanded (COM's quotes, SOM's sites, TMF641's plans).
func TestCustomerVar(t *testing.T) {
	for _, c := range []struct{ customer, name, want string }{
		{"CUST-ENT-1102", "customer.code", "ENT-1102"},
		{"CUST-ENT-1102", "customer.number", "1102"},
		{"ACME", "customer.code", "ACME"},
		{"ACME", "customer.number", "ACME"},
	} {
		got, ok := catalog.CustomerVar(c.customer, c.name)
		assert.True(t, ok, c.name)
		assert.Equal(t, c.want, got, "%s of %s", c.name, c.customer)
	}
	_, ok := catalog.CustomerVar("CUST-ENT-1102", "site")
	assert.False(t, ok, "not a customer's variable")
}

package catalog_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/catalog"
)

// FuzzParse: the catalog is outside input. Parse must never panic, and a
// catalog it accepts has a valid plan for every offering, tier and
// technology it names.
func FuzzParse(f *testing.F) {
	for _, path := range []string{enterprise, "testdata/minimal.yaml", "testdata/cycle.yaml"} {
		f.Add([]byte(readFile(f, path)))
	}
	f.Add([]byte("name: x\n"))
	f.Add([]byte("rfs:\n  - id: A\n    after: [A]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := catalog.Parse(data)
		if err != nil {
			return
		}
		techs := map[string]bool{}
		for _, cfs := range c.CFS {
			for tech := range cfs.RFS {
				if tech != "*" {
					techs[tech] = true
				}
			}
		}
		for _, o := range c.Offerings {
			for _, name := range o.Tiers {
				tier, err := c.Tier(o, name)
				require.NoError(t, err)
				for tech := range techs {
					p, err := c.Plan(ids(c.CFSFor(o, tier)), tech)
					require.NoError(t, err, "%s %s %s", o.ID, name, tech)
					assertTopological(t, p)
				}
			}
		}
	})
}

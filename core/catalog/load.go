package catalog

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/ordertwin/ordertwin/core/hint"
	"github.com/ordertwin/ordertwin/core/yamlfile"

	"github.com/dominikbraun/graph"
)

// file is the YAML shape of a catalog file.
type file struct {
	Name           string         `yaml:"name"`
	Offerings      []*Offering    `yaml:"offerings"`
	Specifications []*ProductSpec `yaml:"specifications"`
	SLATiers       []*SLATier     `yaml:"slaTiers"`
	CFS            []*CFS         `yaml:"cfs"`
	RFS            []*RFS         `yaml:"rfs"`
	Policies       []Policy       `yaml:"policies"`
}

// Load reads and validates a catalog file.
func Load(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

// Parse reads and validates a catalog from YAML.
func Parse(data []byte) (*Catalog, error) {
	var f file
	if err := yamlfile.Decode(data, &f); err != nil {
		return nil, err
	}
	c := &Catalog{Name: f.Name, Offerings: map[string]*Offering{}, Specs: map[string]*ProductSpec{},
		Tiers: map[string]*SLATier{}, CFS: map[string]*CFS{}, RFS: map[string]*RFS{},
		plans: map[string]*Plan{}}
	var errs []error
	add := func(kind, id string, put func() bool) {
		if id == "" {
			errs = append(errs, fmt.Errorf("%s without id", kind))
		} else if !put() {
			errs = append(errs, fmt.Errorf("%s %s: declared twice", kind, id))
		}
	}
	empty := func(kind string, i int) { errs = append(errs, fmt.Errorf("%s #%d: empty entry", kind, i+1)) }
	for i, o := range f.Offerings {
		if o == nil {
			empty("offering", i)
			continue
		}
		add("offering", o.ID, func() bool { return putNew(c.Offerings, o.ID, o) })
	}
	for i, s := range f.Specifications {
		if s == nil {
			empty("specification", i)
			continue
		}
		add("specification", s.ID, func() bool { return putNew(c.Specs, s.ID, s) })
	}
	for i, t := range f.SLATiers {
		if t == nil {
			empty("SLA tier", i)
			continue
		}
		add("SLA tier", t.Name, func() bool { return putNew(c.Tiers, t.Name, t) })
	}
	for i, s := range f.CFS {
		if s == nil {
			empty("cfs", i)
			continue
		}
		add("cfs", s.ID, func() bool { return putNew(c.CFS, s.ID, s) })
	}
	for i, s := range f.RFS {
		if s == nil {
			empty("rfs", i)
			continue
		}
		add("rfs", s.ID, func() bool { return putNew(c.RFS, s.ID, s) })
	}
	c.Policies = f.Policies
	errs = append(errs, c.checkReferences()...)
	if err := c.checkPolicies(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := c.checkCycles(slices.DeleteFunc(f.RFS, func(r *RFS) bool { return r == nil })); err != nil {
		return nil, err
	}
	if err := c.buildPlans(); err != nil {
		return nil, err
	}
	return c, nil
}

func putNew[T any](m map[string]T, k string, v T) bool {
	if _, dup := m[k]; dup {
		return false
	}
	m[k] = v
	return true
}

// checkReferences reports every reference to something not declared.
func (c *Catalog) checkReferences() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, id := range sortedKeys(c.Offerings) {
		o := c.Offerings[id]
		if _, ok := c.Specs[o.Specification]; !ok {
			bad("offering %s: specification %q is not declared", id, o.Specification)
		}
		for _, t := range o.Tiers {
			if _, ok := c.Tiers[t]; !ok {
				bad("offering %s: SLA tier %q is not declared", id, t)
			}
		}
		if len(o.RateCards) == 0 {
			bad("offering %s: no rate card", id)
		}
		if o.ListPrice <= 0 {
			bad("offering %s: listPrice must be positive", id)
		}
	}
	flags := map[string]bool{}
	for _, t := range c.Tiers {
		for _, f := range t.Flags {
			flags[f] = true
		}
	}
	for _, id := range sortedKeys(c.Specs) {
		for _, s := range c.Specs[id].Services {
			if _, ok := c.CFS[s.CFS]; !ok {
				bad("specification %s: cfs %q is not declared", id, s.CFS)
			}
			if s.When != "" && !flags[s.When] {
				bad("specification %s: cfs %s whenTier %q is a flag of no SLA tier", id, s.CFS, s.When)
			}
		}
	}
	for _, id := range sortedKeys(c.CFS) {
		cfs := c.CFS[id]
		if len(cfs.RFS) == 0 {
			bad("cfs %s: no rfs", id)
		}
		for _, tech := range sortedKeys(cfs.RFS) {
			for _, r := range cfs.RFS[tech] {
				if _, ok := c.RFS[r]; !ok {
					bad("cfs %s: rfs %q (technology %s) is not declared", id, r, tech)
				}
			}
		}
	}
	for _, id := range sortedKeys(c.RFS) {
		r := c.RFS[id]
		seen := map[string]bool{}
		for _, a := range r.After {
			if _, ok := c.RFS[a]; !ok {
				bad("rfs %s: after %q, which is not declared", id, a)
			}
			if seen[a] {
				bad("rfs %s: after %q twice", id, a)
			}
			seen[a] = true
		}
		if r.Resource.Type == "" || r.Resource.Reserve == "" || r.Resource.Commit == "" {
			bad("rfs %s: resource needs type, reserve and commit", id)
		}
		if r.Deadline < 0 {
			bad("rfs %s: deadline %s is negative", id, r.Deadline)
		}
	}
	return errs
}

// checkCycles adds every dependency edge to a graph that refuses cycles and
// names the cycle an edge would close.
func (c *Catalog) checkCycles(rfs []*RFS) error {
	g := graph.New(graph.StringHash, graph.Directed(), graph.PreventCycles())
	for _, r := range rfs {
		_ = g.AddVertex(r.ID)
	}
	for _, r := range rfs {
		for _, a := range r.After {
			err := g.AddEdge(a, r.ID)
			if errors.Is(err, graph.ErrEdgeCreatesCycle) {
				path, _ := graph.ShortestPath(g, r.ID, a)
				return fmt.Errorf("rfs dependency cycle: %s → %s", strings.Join(path, " → "), r.ID)
			}
			if err != nil {
				return fmt.Errorf("rfs %s after %s: %w", r.ID, a, err)
			}
		}
	}
	return nil
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// technologies lists every access technology the CFS name, sorted.
func (c *Catalog) technologies() []string {
	seen := map[string]bool{}
	for _, cfs := range c.CFS {
		for t := range cfs.RFS {
			if t != "*" {
				seen[t] = true
			}
		}
	}
	return sortedKeys(seen)
}

// CFSFor lists the CFS of an offering's specification for an SLA tier, in
// specification order.
func (c *Catalog) CFSFor(o *Offering, tier *SLATier) []*CFS {
	var out []*CFS
	for _, s := range c.Specs[o.Specification].Services {
		if s.When == "" || tier.Has(s.When) {
			out = append(out, c.CFS[s.CFS])
		}
	}
	return out
}

// buildPlans builds the plan template of every (offering, tier, technology).
func (c *Catalog) buildPlans() error {
	for _, oid := range sortedKeys(c.Offerings) {
		o := c.Offerings[oid]
		for _, tn := range o.Tiers {
			cfs := c.CFSFor(o, c.Tiers[tn])
			sets := [][]*CFS{cfs}
			for _, s := range cfs {
				sets = append(sets, []*CFS{s}) // a modify order changes one CFS
			}
			for _, cfs := range sets {
				if err := c.planSet(oid, cfs); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// planSet builds the plan template of a CFS set on every technology that
// realises it.
func (c *Catalog) planSet(oid string, cfs []*CFS) error {
	for _, tech := range append(c.technologies(), "*") {
		key := planKey(cfsIDs(cfs), tech)
		if _, done := c.plans[key]; done || !realised(cfs, tech) {
			continue
		}
		p, err := c.buildPlan(cfs, tech)
		if err != nil {
			return fmt.Errorf("plan for %s on %s: %w", oid, tech, err)
		}
		c.plans[key] = p
	}
	if realised(cfs, "*") {
		return nil
	}
	// Realised per technology: SOM picks the plan by the site's
	// technology, which it reads from the characteristic of that name of
	// the site's service items.
	for _, s := range cfs {
		for _, ch := range s.Characteristics {
			if ch.Name == "technology" {
				return nil
			}
		}
	}
	return fmt.Errorf("plan for %s: %s has RFS per access technology (%s), none for every one (\"*\"), so SOM picks a site's plan by its technology; but none of %s has a characteristic technology, which SOM reads it from (add technology: \"{technology}\" to one)",
		oid, strings.Join(perTechnology(cfs), " and "), strings.Join(c.technologies(), ", "), strings.Join(cfsIDs(cfs), ", "))
}

// perTechnology lists the CFS of a set with no RFS for every technology
// ("*").
func perTechnology(cfs []*CFS) []string {
	var named []string
	for _, s := range cfs {
		if len(s.RFS["*"]) == 0 {
			named = append(named, s.ID)
		}
	}
	return named
}

// realised tells whether every CFS of a set has RFS on technology; "*"
// stands for a technology none of them names.
func realised(cfs []*CFS, tech string) bool {
	for _, s := range cfs {
		if len(s.RFSFor(tech)) == 0 {
			return false
		}
	}
	return true
}

func cfsIDs(cfs []*CFS) []string {
	ids := make([]string, len(cfs))
	for i, s := range cfs {
		ids[i] = s.ID
	}
	return ids
}

func planKey(cfs []string, technology string) string {
	return string(appendPlanKey(nil, cfs, technology))
}

// appendPlanKey appends the key of the plan of cfs on technology to b:
// their ids joined by "+", then "@" and the technology.
func appendPlanKey(b []byte, cfs []string, technology string) []byte {
	for k, id := range cfs {
		if k > 0 {
			b = append(b, '+')
		}
		b = append(b, id...)
	}
	b = append(b, '@')
	return append(b, technology...)
}

// Offering returns an offering or an error naming it.
func (c *Catalog) Offering(id string) (*Offering, error) {
	if o, ok := c.Offerings[id]; ok {
		return o, nil
	}
	known := sortedKeys(c.Offerings)
	return nil, fmt.Errorf("unknown product offering %q%s (known: %s)", id, hint.DidYouMean(id, known), strings.Join(known, ", "))
}

// Tier returns an SLA tier the offering allows, or an error naming it.
func (c *Catalog) Tier(o *Offering, name string) (*SLATier, error) {
	if !slices.Contains(o.Tiers, name) {
		return nil, fmt.Errorf("SLA tier %q is not offered with %s%s (offered: %s)", name, o.ID, hint.DidYouMean(name, o.Tiers), strings.Join(o.Tiers, ", "))
	}
	return c.Tiers[name], nil
}

package catalog

import (
	"fmt"

	"github.com/dominikbraun/graph"
)

// Plan is the orchestration plan template of one (CFS set, technology):
// the RFS steps of one site and the dependencies between them.
type Plan struct {
	Technology string
	// CFS lists the CFS in specification order, each with the indexes of
	// its steps: the completion mapping.
	CFS []PlanCFS
	// Steps are in decomposition order: CFS by CFS, each CFS's RFS in
	// catalog order. After holds the indexes of the steps each one waits for.
	Steps []Step
	// Order is a stable topological order of the steps: the orchestration
	// plan as it runs, roots first.
	Order []int
}

// PlanCFS is one CFS of a plan and the steps that complete it.
type PlanCFS struct {
	CFS   *CFS
	Steps []int
}

// Step is one RFS of a plan.
type Step struct {
	RFS *RFS
	// CFS is the index in Plan.CFS of the CFS this step realises.
	CFS   int
	After []int
}

// Plan returns the template for the CFS ids on technology.
func (c *Catalog) Plan(cfs []string, technology string) (*Plan, error) {
	var buf [128]byte // the key is looked up without a string of its own
	if p, ok := c.plans[string(appendPlanKey(buf[:0], cfs, technology))]; ok {
		return p, nil
	}
	if p, ok := c.plans[string(appendPlanKey(buf[:0], cfs, "*"))]; ok && !c.named(technology) {
		return p, nil
	}
	return nil, fmt.Errorf("no plan for %v on technology %q", cfs, technology)
}

// named tells whether some CFS names technology explicitly.
func (c *Catalog) named(technology string) bool {
	for _, s := range c.CFS {
		if _, ok := s.RFS[technology]; ok {
			return true
		}
	}
	return false
}

func (c *Catalog) buildPlan(cfs []*CFS, tech string) (*Plan, error) {
	p := &Plan{Technology: tech, CFS: make([]PlanCFS, len(cfs))}
	index := map[string]int{}
	g := graph.New(graph.IntHash, graph.Directed(), graph.PreventCycles())
	for k, s := range cfs {
		p.CFS[k].CFS = s
		ids := s.RFSFor(tech)
		if len(ids) == 0 {
			return nil, fmt.Errorf("cfs %s has no rfs for technology %s", s.ID, tech)
		}
		for _, id := range ids {
			if j, dup := index[id]; dup {
				return nil, fmt.Errorf("rfs %s realises both %s and %s", id, cfs[p.Steps[j].CFS].ID, s.ID)
			}
			index[id] = len(p.Steps)
			p.CFS[k].Steps = append(p.CFS[k].Steps, len(p.Steps))
			_ = g.AddVertex(len(p.Steps))
			p.Steps = append(p.Steps, Step{RFS: c.RFS[id], CFS: k})
		}
	}
	for i := range p.Steps {
		st := &p.Steps[i]
		for _, a := range st.RFS.After {
			if j, in := index[a]; in {
				st.After = append(st.After, j)
				if err := g.AddEdge(j, i); err != nil {
					return nil, fmt.Errorf("edge %s → %s: %w", a, st.RFS.ID, err)
				}
			}
		}
	}
	order, err := graph.StableTopologicalSort(g, func(a, b int) bool { return a < b })
	if err != nil {
		return nil, err
	}
	p.Order = order
	return p, nil
}

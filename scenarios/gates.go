package scenarios

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dominikbraun/graph"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/hint"
)

// gates reads the version 2 gates of a rollout plan, specs at path in the
// file (quote.waves, or population.waves), into waves (the plan's waves,
// in file order) and returns them in release order: each
// wave after the waves it waits for, file order between others. A gate
// on a wave the plan does not have, a gate that closes a cycle, or a
// release other than manual is an error naming the wave's line and key.
// In a plan with gates, a wave without any waits for the wave before it
// in the file, SLA validated, as in version 1.
func (f *File) gates(specs []WaveSpec, path string, waves []com.WavePlan, bad func(format string, args ...any)) []com.WavePlan {
	gated := false
	for _, w := range specs {
		gated = gated || len(w.After) > 0 || w.Release != ""
	}
	if !gated {
		return waves
	}
	if f.Version < 2 {
		bad("%s: after and release are version 2: the file starts with \"version: 2\"", path)
		return waves
	}
	names := make([]string, len(specs))
	for i, w := range specs {
		names[i] = w.Name
	}
	g := graph.New(graph.StringHash, graph.Directed(), graph.PreventCycles())
	for _, n := range names {
		_ = g.AddVertex(n) // a name twice is the quote check's error
	}
	where := func(i int, key string) string {
		return fmt.Sprintf("line %d: %s[%d] (%s): %s", specs[i].line, path, i, specs[i].Name, key)
	}
	edges := map[string][]string{} // wave → the waves waiting for it
	ok := true
	for i, w := range specs {
		switch w.Release {
		case "":
		case "manual":
			waves[i].Manual = true
		default:
			bad("%s: %q: the one release is manual (a person releases the wave with a release event)", where(i, "release"), w.Release)
			ok = false
		}
		after := w.After
		if len(after) == 0 && i > 0 {
			after = []GateSpec{{Wave: specs[i-1].Name, On: com.GateSLAValidated}}
		}
		for k, gs := range after {
			key := fmt.Sprintf("after[%d]", k)
			gate, err := gs.gate()
			if err == nil && !slices.Contains(names, gs.Wave) {
				err = fmt.Errorf("wave %q is not in the rollout plan%s (waves: %s)", gs.Wave, hint.DidYouMean(gs.Wave, names), strings.Join(names, ", "))
			}
			if err == nil && gs.Wave == w.Name {
				err = errors.New("a wave cannot wait for itself")
			}
			if err == nil {
				if e := g.AddEdge(gs.Wave, w.Name); errors.Is(e, graph.ErrEdgeCreatesCycle) {
					err = fmt.Errorf("waiting for %s closes a cycle of gates (%s)", gs.Wave, cycle(edges, w.Name, gs.Wave))
				} else if e == nil {
					edges[gs.Wave] = append(edges[gs.Wave], w.Name)
				}
			}
			if err != nil {
				bad("%s: %v", where(i, key), err)
				ok = false
				continue
			}
			waves[i].After = append(waves[i].After, gate)
		}
	}
	if !ok {
		return waves
	}
	order, err := graph.StableTopologicalSort(g, func(a, b string) bool {
		return slices.Index(names, a) < slices.Index(names, b)
	})
	if err != nil {
		bad("%s: %v", path, err)
		return waves
	}
	sorted := make([]com.WavePlan, 0, len(waves))
	for _, n := range order {
		sorted = append(sorted, waves[slices.Index(names, n)])
	}
	return sorted
}

// gate reads one gate.
func (gs GateSpec) gate() (com.Gate, error) { return com.ParseGate(gs.Wave, gs.On, gs.Sites) }

// cycle names the waves of the cycle that an edge from → to would close:
// from, then the path of gates from to back to from.
func cycle(edges map[string][]string, to, from string) string {
	prev := map[string]string{to: ""}
	queue := []string{to}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n == from {
			path := []string{}
			for ; n != ""; n = prev[n] {
				path = append([]string{n}, path...)
			}
			return strings.Join(append([]string{from}, path...), " → ")
		}
		for _, m := range edges[n] {
			if _, seen := prev[m]; !seen {
				prev[m] = n
				queue = append(queue, m)
			}
		}
	}
	return from + " → " + to
}

// populationGates reads the gates of a population's waves (version 2),
// which every customer's plan then has: the plan is worked out once, here,
// and each customer's order takes it with its own targets.
func (f *File) populationGates(bad func(format string, args ...any)) {
	p := f.Population
	specs := make([]WaveSpec, len(p.Waves))
	for i, w := range p.Waves {
		specs[i] = WaveSpec{Name: w.Name, Target: w.Target, After: w.After, Release: w.Release,
			line: f.lines[fmt.Sprintf("population.waves[%d]", i)]}
	}
	waves, err := p.waves()
	if err != nil {
		return // the population's own check names it
	}
	gated := f.gates(specs, "population.waves", waves, bad)
	if slices.ContainsFunc(gated, func(w com.WavePlan) bool { return len(w.After) > 0 || w.Manual }) {
		p.gated = gated
	}
}

package load

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Mix is how often each operation comes: its weight among the weights.
type Mix struct {
	ops     []string
	weights []int
	total   int
}

// ParseMix reads "OP=WEIGHT,…" ("order=90,change=5,cancel=2,read=3"), each
// OP one of known; weights are whole numbers, not all 0.
func ParseMix(s string, known []string) (Mix, error) {
	var m Mix
	for _, part := range strings.Split(s, ",") {
		op, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		weight, err := strconv.Atoi(w)
		switch {
		case !ok || err != nil || weight < 0:
			return Mix{}, fmt.Errorf("mix %q: want OP=WEIGHT with a whole weight, such as order=90,read=10", part)
		case !slices.Contains(known, op):
			return Mix{}, fmt.Errorf("mix %q: unknown operation %q (known: %s)", part, op, strings.Join(known, ", "))
		case slices.Contains(m.ops, op):
			return Mix{}, fmt.Errorf("mix: %s given twice", op)
		}
		m.ops, m.weights = append(m.ops, op), append(m.weights, weight)
		m.total += weight
	}
	if m.total == 0 {
		return Mix{}, fmt.Errorf("mix %q: the weights are all 0", s)
	}
	return m, nil
}

// Pick draws an operation.
func (m Mix) Pick(r *rand.Rand) string {
	n := r.IntN(m.total)
	for i, w := range m.weights {
		if n < w {
			return m.ops[i]
		}
		n -= w
	}
	panic("load: a mix's weights do not add up")
}

// Draws draws the operations of a run's arrivals with seed, one a call,
// as Run draws them: the same seed, the same operations in turn.
func (m Mix) Draws(seed uint64) func() string {
	rng := rand.New(rand.NewPCG(seed, 0x6c6f6164))
	return func() string { return m.Pick(rng) }
}

// Weights are the operations' weights, by name.
func (m Mix) Weights() map[string]int {
	out := map[string]int{}
	for i, op := range m.ops {
		out[op] = m.weights[i]
	}
	return out
}

package scenarios

import (
	"os"
	"path/filepath"
	"strings"
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
	text := population
	for k := 0; k < len(repl); k += 2 {
		require.Contains(t, text, repl[k])
		text = strings.Replace(text, repl[k], repl[k+1], 1)
	}
	path := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	for _, dir := range []string{"catalog", "networks"} {
		require.NoError(t, os.Symlink(mustAbs(t, dir), filepath.Join(filepath.Dir(path), dir)))
	}
	return Load(path)
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

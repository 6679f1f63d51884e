package scenarios

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A file with a fault in each part of its quote and order names every
// fault, each with the line of the key that is wrong (or of the site or
// wave it is in), in the file's order, with what the author most likely
// meant where a name is misspelt.
func TestCheckFaultsHaveLines(t *testing.T) {
	base, err := os.ReadFile("v2-bank-mixed-tiers.yaml")
	require.NoError(t, err)
	text := string(base)
	for _, r := range [][2]string{
		{"  term: 36\n", "  term: 37\n"},
		{"{name: Pilot, target: P14D}", "{name: Pilot, target: -P14D}"},
		{"wave: Pilot, sla: Platinum", "wave: Pilt, sla: Platinum"},
		{"Level 20, 1 Martin Place", "Level 20, 1 Martin Plce"},
		{"{code: BNE1, name: Queen Street Office, wave: Branches, sla: Silver, speed: 100M-sym", "{code: BNE1, name: Queen Street Office, wave: Branches, sla: Silvr, speed: 100M-sm"},
		{"  at: PT0S\n", "  at: -PT5H\n"},
		{"  billingMonthly: 9700\n", "  billingMonthly: 9700\n  faultHits: {nope: 1}\n"},
	} {
		require.Contains(t, text, r[0])
		text = strings.Replace(text, r[0], r[1], 1)
	}
	lineOf := func(s string) int {
		i := strings.Index(text, s)
		require.GreaterOrEqual(t, i, 0, s)
		return strings.Count(text[:i], "\n") + 1
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "bank.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	for _, d := range []string{"catalog", "networks"} {
		require.NoError(t, os.Symlink(mustAbs(t, d), filepath.Join(dir, d)))
	}
	_, err = Load(path)
	require.Error(t, err)
	got := strings.Split(strings.TrimPrefix(err.Error(), "scenario "+path+": "), "\n")
	want := []string{
		line(lineOf("term: 37")) + `quote: term 37 months is not offered with PO-EFCG-01 (offered: 24, 36, 60)`,
		line(lineOf("target: -P14D")) + `quote.waves[0] (Pilot): target: -P14D is not after T+0: no wave is done by then`,
		line(lineOf("wave: Pilt")) + `quote: site MELB: wave "Pilt" is not in the rollout plan (did you mean "Pilot"?)`,
		line(lineOf("Martin Plce")) + `quote.sites SYD1: address "Level 20, 1 Martin Plce, Sydney NSW 2000" is not in the network (did you mean "Level 20, 1 Martin Place, Sydney NSW 2000"?)`,
		line(lineOf("sla: Silvr")) + `quote: site BNE1: SLA tier "Silvr" is not offered with PO-EFCG-01 (did you mean "Silver"?) (offered: Silver, Gold, Platinum)`,
		line(lineOf("sla: Silvr")) + `quote: site BNE1: speed "100M-sm" is not offered with PO-EFCG-01 (did you mean "100M-sym"?) (offered: 100M-sym, 500M-sym, 1G-sym)`,
		line(lineOf("at: -PT5H")) + `order.at: -PT5H is before T+0`,
		line(lineOf("faultHits: {nope")) + `expect: faultHits: no fault rule "nope" in the scenario`,
	}
	assert.Equal(t, want, got)
}

func line(n int) string { return "line " + strconv.Itoa(n) + ": " }

// A catalog whose plan has an SLA probe but no CE router is refused at
// load: the twin's probe measures to the router, and its commit would
// wait for one for ever (the run never ending, nothing reported).
func TestProbeWithoutRouterRefused(t *testing.T) {
	cat, err := os.ReadFile("catalog/enterprise.yaml")
	require.NoError(t, err)
	text := string(cat)
	require.Contains(t, text, "      - cfs: CFS:CPE-Management\n")
	text = strings.Replace(text, "      - cfs: CFS:CPE-Management\n", "", 1)
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "catalog"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "catalog", "enterprise.yaml"), []byte(text), 0o644))
	require.NoError(t, os.Symlink(mustAbs(t, "networks"), filepath.Join(dir, "networks")))
	scenario, err := os.ReadFile(globaltech)
	require.NoError(t, err)
	path := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(path, scenario, 0o644))
	_, err = Load(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "catalog catalog/enterprise.yaml: offering PO-EFCG-01 (SLA Gold) on GPON: RFS:SLA-Monitoring is an SLA probe (TWAMPProbe), which measures to the site's CE router, but no RFS of the offering is a CE router (CPE)")
}

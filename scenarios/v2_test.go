package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	bank  = "v2-bank-mixed-tiers.yaml"
	gates = "v2-gates-manual-release.yaml"
)

// loadEdited writes file with each replacement made (from → to) beside the
// library's catalog and networks, and loads it.
func loadEdited(t *testing.T, file string, repl ...string) (*Scenario, error) {
	t.Helper()
	base, err := os.ReadFile(file)
	require.NoError(t, err)
	return loadEditedText(t, string(base), repl...)
}

// loadEditedText is loadEdited of a scenario's text.
func loadEditedText(t *testing.T, text string, repl ...string) (*Scenario, error) {
	t.Helper()
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

// A quote of three tiers: each site decomposed, measured and priced at its
// own tier and speed; the quote's and the contract's value the sum of the
// sites' prices over the term (not the quote's price × sites).
func TestMixedTiers(t *testing.T) {
	r := run(t, load(t, bank))
	require.Empty(t, r.Expectations.Failed)
	assert.Equal(t, "completed", r.Outcome)
	assert.InDelta(t, 36*(3200+2*1850+2*1400), r.Quote.TCV, 0.001)
	require.NotNil(t, r.Contract)
	assert.InDelta(t, r.Quote.TCV, r.Contract.Value, 0.001)
	byTier := map[string][]string{}
	for _, s := range r.Contract.Sites {
		byTier[s.Tier+" "+s.Speed] = append(byTier[s.Tier+" "+s.Speed], s.Site)
	}
	assert.Equal(t, map[string][]string{"Platinum 1G-sym": {"MELB"}, "Gold 500M-sym": {"SYD1", "SYD2"},
		"Silver 100M-sym": {"BNE1", "BNE2"}}, byTier)
	qos := map[string]string{}
	for _, res := range r.Resources {
		if res.Type == "QoSPolicy" {
			qos[res.Site] = res.Value
		}
	}
	assert.Equal(t, map[string]string{"MELB": "BW-1000-1000-PLAT-ENT", "SYD1": "BW-500-500-GOLD-ENT", "SYD2": "BW-500-500-GOLD-ENT"}, qos,
		"Silver has no QoS CFS; each other site's policy is its own tier and speed")
	// A version 1 report has no contract: its bytes stay as they were.
	assert.Nil(t, run(t, load(t, globaltech)).Contract)
}

// A site priced below the tier × speed rate card is refused by the
// commercial review, naming the site, its tier and speed and the card's
// price.
func TestMixedTiersBelowTheCard(t *testing.T) {
	sc, err := loadEdited(t, bank, "sla: Platinum, speed: 1G-sym, price: 3200", "sla: Platinum, speed: 1G-sym, price: 3000")
	require.NoError(t, err)
	sc.Expect = nil
	r := run(t, sc)
	assert.Equal(t, "rejected", r.Quote.State)
	assert.Contains(t, r.Quote.Reason, "site MELB: price 3000.00 is below rate card RC-ENT-2024-TIERED for Platinum 1G-sym (3100.00)")
}

// Version 2 keys in a version 1 file, and bad gates, are errors naming the
// file, line and key.
func TestV2LoadErrors(t *testing.T) {
	cases := []struct {
		name string
		file string
		repl []string
		want string
	}{
		{"per-site tier in version 1", bank, []string{"version: 2", "version: 1"},
			`quote.sites[0] (MELB): sla, speed, price, offering and rateCard of a site are version 2`},
		{"unknown tier of a site", bank, []string{"sla: Silver", "sla: Bronze"}, `site BNE1: SLA tier "Bronze" is not offered`},
		{"unknown speed of a site", bank, []string{"speed: 100M-sym", "speed: 10G-sym"}, `site BNE1: speed "10G-sym" is not offered`},
		{"gates in version 1", gates, []string{"version: 2", "version: 1"}, `quote.waves: after and release are version 2`},
		// The version 2 expectations and the release event loaded in a
		// version 1 file, whose run then failed on a contract it has not.
		{"contract in version 1", bank, []string{"version: 2", "version: 1"}, `line 49: expect.contract: is version 2`},
		{"billing in version 1", bank, []string{"version: 2", "version: 1"}, `line 55: expect.billing: is version 2`},
		{"ordering in version 1", bank, []string{"version: 2", "version: 1"}, `line 62: expect.ordering: is version 2`},
		{"absent in version 1", bank, []string{"version: 2", "version: 1"}, `line 64: expect.absent: is version 2`},
		{"windows in version 1", bank, []string{"version: 2", "version: 1"}, `line 67: expect.windows: is version 2`},
		{"release in version 1", gates, []string{"version: 2", "version: 1"}, `events[0] (release): release is version 2`},
		{"gate on an unknown wave", gates, []string{"after: [{wave: Pilot, on: completed}]", "after: [{wave: Pilto, on: completed}]"},
			`line 31: quote.waves[1] (Wave 1): after[0]: wave "Pilto" is not in the rollout plan (did you mean "Pilot"?) (waves: Pilot, Wave 1, Regional)`},
		{"a cycle of gates", gates, []string{"after: [{wave: Pilot, on: completed}]", "after: [{wave: Regional}]"},
			`line 34: quote.waves[2] (Regional): after[0]: waiting for Wave 1 closes a cycle of gates (Wave 1 → Regional → Wave 1)`},
		{"a gate on itself", gates, []string{"after: [{wave: Pilot, on: completed}]", "after: [{wave: Wave 1}]"},
			`line 31: quote.waves[1] (Wave 1): after[0]: a wave cannot wait for itself`},
		{"unknown condition", gates, []string{"on: completed", "on: complete"},
			`line 31: quote.waves[1] (Wave 1): after[0]: on: "complete": want completed, slaValidated, or sites: with a share (did you mean "completed"?)`},
		{"bad share", gates, []string{"sites: 50%", "sites: 150%"}, `line 34: quote.waves[2] (Regional): after[0]: sites: "150%"`},
		{"release other than manual", gates, []string{"release: manual", "release: auto"}, `line 34: quote.waves[2] (Regional): release: "auto"`},
		{"release of no wave", gates, []string{"wave: Regional, by", "wave: Regionl, by"},
			`events[0] (release): wave "Regionl" is not in the rollout plan (did you mean "Regional"?)`},
		{"ordering of no state", gates, []string{"first: PO-2025-00871/Regional released,", "first: released,"},
			`ordering[1]: first: "released": want an entity and a state`},
		{"window backwards", gates, []string{"from: P7D, to: P9D", "from: P9D, to: P7D"}, `windows[0] (PO-2025-00871/Regional): to P7D is before from P9D`},
		{"unknown key in a wave", gates, []string{"after: [{wave: Wave 1, sites: 50%}]", "aftr: [{wave: Wave 1, sites: 50%}]"},
			`line 37: quote.waves[2]: unknown key "aftr" (did you mean "after"?)`},
		{"unknown key in a gate", gates, []string{"sites: 50%", "site: 50%"}, `quote.waves[2].after[0]: unknown key "site" (did you mean "sites"?)`},
		{"unknown key in an event", gates, []string{"by: rollout manager", "byy: rollout manager"}, `events[0]: unknown key "byy" (did you mean "by"?)`},
		{"unknown key in a selector", "v2-change-storm.yaml", []string{"share: 25%", "shar: 25%"}, `events[0].select: unknown key "shar" (did you mean "share"?)`},
		{"absent of an unknown jeopardy", gates, []string{"{jeopardy: any}", "{jeopardy: SLA}"},
			`absent[0]: jeopardy: "SLA": want any or a type: deadline, slaValidation, gateBlocked`},
		{"absent of two things", gates, []string{"{jeopardy: any}", "{jeopardy: any, site: DRW1, wave: Pilot}"}, `absent[0]: name one of`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadEdited(t, c.file, c.repl...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), "s.yaml")
		})
	}
}

// Gates: Wave 1 goes when the pilot's service order completes; the
// Regional wave waits for a person's release and half of Wave 1's sites,
// and goes before Wave 1 completes. Without the release it never goes.
func TestGates(t *testing.T) {
	r := run(t, load(t, gates))
	require.Empty(t, r.Expectations.Failed)
	sc, err := loadEdited(t, gates, "events:\n  - {at: P3D, kind: release, wave: Regional, by: rollout manager}\n", "events: []\n")
	require.NoError(t, err)
	sc.Expect = nil
	r = run(t, sc)
	_, released := r.firstRow("PO-2025-00871/Regional", "released")
	assert.False(t, released, "no one released it")
	assert.Equal(t, "inProgress", r.Outcome)
	assert.Equal(t, "completed", r.stateOf("SO-WAVE1"))
	// A release later than the gate: the wave goes at the release.
	sc, err = loadEdited(t, gates, "at: P3D, kind: release", "at: P15D, kind: release")
	require.NoError(t, err)
	sc.Expect = nil
	r = run(t, sc)
	row, ok := r.firstRow("PO-2025-00871/Regional", "released")
	require.True(t, ok)
	assert.Equal(t, "P15D", row.At)
	assert.Equal(t, "gate passed: SO-WAVE1 3 of 3 sites in service; released by rollout manager", row.Reason)
}

// Every kind of version 2 expectation, failing, says what it expected and
// what happened.
func TestV2FailedExpectations(t *testing.T) {
	sc, err := loadEdited(t, gates,
		"{first: PO-2025-00871/Regional released, then: SO-WAVE1 completed}", "{first: SO-WAVE1 completed, then: PO-2025-00871/Regional released}",
		"from: P7D, to: P9D", "from: P1D, to: P2D",
		"{jeopardy: any}", "{entity: SO-PILOT, state: completed}",
		"{site: DRW1, wave: Wave 1}", "{site: DRW1, wave: Regional}",
		"  absent:", "  billing:\n    - {site: PER1, monthly: 100, from: P1D}\n"+
			"  contract: {value: 1, sites: [{site: PER1, sla: Gold}]}\n  absent:")
	require.NoError(t, err)
	r := run(t, sc)
	assert.Equal(t, []string{
		"ordering: want SO-WAVE1 completed before PO-2025-00871/Regional released, got SO-WAVE1 completed at P13D; PO-2025-00871/Regional released at P8D",
		"absent: want no SO-PILOT completed, got it at P3D",
		"absent: want site DRW1 not in Regional, got it in SO-REGIONAL",
		"window: want PO-2025-00871/Regional released between P1D and P2D, got PO-2025-00871/Regional released at P8D",
	}, r.Expectations.Failed[len(r.Expectations.Failed)-4:])
	assert.Contains(t, r.Expectations.Failed, "billing PER1: want 100.00 monthly from P1D, got 2950.00 monthly from "+billedFrom(r, "PER1"))
	assert.Contains(t, r.Expectations.Failed, "contract value: want 1.00, got 1416000.00")
	assert.Contains(t, r.Expectations.Failed, "contract site PER1: want Gold, got Platinum 1G-sym 2950.00")
	assert.Len(t, r.Expectations.Failed, 7)
}

func billedFrom(r *Report, site string) string {
	for _, b := range r.Billing.Sites {
		if b.Site == site {
			return b.From
		}
	}
	return "(not billed)"
}

// A gate on completion lets the next wave go while the pilot is held on its
// SLA check; the default (slaValidated) holds it until the remediation.
func TestGateOnCompletionIgnoresTheSLACheck(t *testing.T) {
	released := func(t *testing.T, on string) string {
		sc, err := loadEdited(t, "pilot-sla-breach.yaml", "version: 1", "version: 2",
			"{name: Wave 1, serviceOrder: SO-WAVE1, target: P30D}", "{name: Wave 1, serviceOrder: SO-WAVE1, target: P30D, after: [{wave: Pilot, on: "+on+"}]}")
		require.NoError(t, err)
		sc.Expect = nil
		r := run(t, sc)
		row, ok := r.firstRow("SO-WAVE1", "acknowledged")
		require.True(t, ok)
		return row.At
	}
	held, validated := released(t, "completed"), released(t, "slaValidated")
	h, _ := tmf.ParseOffset(held)
	v, _ := tmf.ParseOffset(validated)
	assert.Less(t, h, v, "on completed: %s; on slaValidated: %s", held, validated)
	assert.Equal(t, "P8D", validated, "slaValidated waits for the remediation on day 8")
}

// Selectors: one event a selected site, a share drawn with the seed (the
// same draw every load, another with another seed); a selector that
// matches nothing, and a population's customer event without one, are
// errors at check.
func TestSelectors(t *testing.T) {
	const storm = "v2-change-storm.yaml"
	aimedAt := func(sc *Scenario) (changes, removes []string) {
		for _, ev := range sc.Spec.Events {
			switch {
			case ev.Change != nil:
				changes = append(changes, ev.Change.Order+"/"+ev.Change.Site)
			case ev.Remove != nil:
				removes = append(removes, ev.Remove.Order+"/"+ev.Remove.Site)
			}
		}
		return changes, removes
	}
	sc := load(t, storm)
	changes, removes := aimedAt(sc)
	require.Len(t, changes, 40+5, "25% of 160 Wave 1 sites, and customer 7's five")
	assert.Equal(t, []string{"PO-00007/S01", "PO-00007/S02", "PO-00007/S03", "PO-00007/S04", "PO-00007/S05"}, changes[40:])
	assert.Equal(t, []string{"PO-00012/S02"}, removes)
	for _, c := range changes[:40] {
		assert.NotContains(t, c, "/S01", "S01 is every customer's pilot site, not Wave 1")
	}
	again, _ := aimedAt(load(t, storm))
	assert.Equal(t, changes, again, "the draw is the seed's")
	other, err := loadEdited(t, storm, "seed: 4242", "seed: 4243")
	require.NoError(t, err)
	otherChanges, _ := aimedAt(other)
	assert.NotEqual(t, changes[:40], otherChanges[:40])
	// A seed given at load (run --seed, whatif --seed) draws as the file's
	// would have: the sites picked are that seed's, not the file's.
	seeded, err := LoadSeeded(storm, 4243)
	require.NoError(t, err)
	seededChanges, _ := aimedAt(seeded)
	assert.Equal(t, otherChanges, seededChanges, "LoadSeeded(4243) picks as seed: 4243 does")
	assert.Equal(t, uint64(4243), seeded.Spec.Seed)
	assert.Contains(t, changes[:40], "PO-00007/S05", "drawn, and changed again (the billing in the file's comment)")

	for _, c := range []struct{ name, from, to, want string }{
		{"no match", "select: {customers: [CUST-ENT-00007]}", "select: {customers: [CUST-ENT-99999]}",
			"line 38: events[1] (change): select: no site of the scenario's orders matches (customers CUST-ENT-99999)"},
		{"no match in an area", "select: {wave: Wave 1, share: 25%}", "select: {wave: Wave 1, area: AREA-0009}",
			"line 35: events[0] (change): select: no site of the scenario's orders matches (area AREA-0009, wave Wave 1)"},
		{"misspelt wave", "select: {wave: Wave 1, share: 25%}", "select: {wave: Wave1, share: 25%}",
			`line 35: events[0] (change): select: no site of the scenario's orders matches (wave Wave1): wave "Wave1" is no wave of the orders (did you mean "Wave 1"?)`},
		{"bad share", "share: 25%", "share: 0%", `events[0] (change): select: share: "0%"`},
		{"no selector", "select: {customers: [CUST-ENT-00007]}", "site: S01",
			"events[1] (change): the scenario has 40 orders: a change names the sites it is aimed at with select:"},
		{"selector in version 1", "version: 2", "version: 1", `events[0] (change): select: is version 2`},
		{"selector of a network event", "events:\n", "events:\n  - {at: P1D, kind: remediate, wave: Pilot, select: {wave: Pilot}}\n",
			"events[0] (remediate): select: aims a cancel, change, removeSite, not a remediate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadEdited(t, storm, c.from, c.to)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// Every version 2 expectation of the library's version 2 scenarios holds,
// and each, made wrong alone, fails with one message that says what it
// expected and what happened: none of them is one that cannot fail.
func TestV2LibraryExpectationsCanFail(t *testing.T) {
	files, err := filepath.Glob("v2-*.yaml")
	require.NoError(t, err)
	require.Len(t, files, 7)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			sc := load(t, f)
			r := run(t, sc)
			require.Empty(t, r.Expectations.Failed)
			e := *sc.Expect
			wrong := func(what string, edit func(x *Expectations)) {
				x := Expectations{}
				edit(&x)
				out := x.Evaluate(r)
				if assert.Len(t, out.Failed, 1, what) {
					assert.Contains(t, out.Failed[0], "want", what)
					assert.Contains(t, out.Failed[0], "got", what)
				}
			}
			n := 0
			if c := e.Contract; c != nil {
				if c.Value != nil {
					v := *c.Value + 1
					wrong("contract value", func(x *Expectations) { x.Contract = &ContractExpect{Value: &v} })
					n++
				}
				for _, s := range c.Sites {
					s.SLA = "Bronze"
					wrong("contract site "+s.Site, func(x *Expectations) { x.Contract = &ContractExpect{Sites: []ContractSiteWant{s}} })
					n++
				}
			}
			for _, b := range e.BillingSites {
				m := 1.0
				b.Monthly = &m
				wrong("billing "+b.Site, func(x *Expectations) { x.BillingSites = []BillingWant{b} })
				n++
			}
			for _, o := range e.Ordering {
				o.First, o.Then = o.Then, o.First
				wrong("ordering "+o.First, func(x *Expectations) { x.Ordering = []OrderingWant{o} })
				n++
			}
			for _, w := range e.Windows {
				w.From, w.To = "P900D", "P901D"
				wrong("window "+w.Entity, func(x *Expectations) { x.Windows = []WindowWant{w} })
				n++
			}
			for _, a := range e.Absent {
				switch {
				case a.Entity != "":
					continue // its opposite is a timeline row, pinned by the timeline key
				case a.Site != "":
					// The wave the site is in.
					for _, so := range r.ServiceOrders {
						if slices.Contains(so.Sites, a.Site) {
							a.Wave = so.Wave
						}
					}
					wrong("absent site "+a.Site, func(x *Expectations) { x.Absent = []AbsentWant{a} })
					n++
				}
			}
			if r.Summary {
				return // a population's: no timeline, so none of ordering or windows
			}
			assert.Positive(t, n, "the scenario has version 2 expectations")
		})
	}
}

// A customer event timed before its order is placed would be refused at
// run time ("no such product order") and the run would go on green: it is
// an error at check, naming the event, its time and the order's. A
// selector picks only the sites of orders placed before its event.
func TestEventBeforeItsOrder(t *testing.T) {
	_, err := loadEdited(t, "speed-upgrade.yaml", "at: PT0S", "at: P7D")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 44: events[0] (change): at: P6D is not after order PO-2024-01203 is placed (order.at: P7D)")
	assert.Contains(t, err.Error(), "line 45: events[1] (change): at: P7D is not after order PO-2024-01203 is placed (order.at: P7D)")
	assert.NotContains(t, err.Error(), "events[2]")

	const storm = "v2-change-storm.yaml"
	_, err = loadEdited(t, storm, "at: P21D", "at: PT7H")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 38: events[1] (change): select: no site of an order placed before PT7H matches "+
		"(customers CUST-ENT-00007): the first such order is placed at PT7H")
	sc, err := loadEdited(t, storm, "at: P20D", "at: PT10H")
	require.NoError(t, err)
	var early []string
	for _, ev := range sc.Spec.Events {
		if ev.Change != nil && ev.At == 10*time.Hour {
			early = append(early, ev.Change.Order)
			assert.Less(t, ev.Change.Order, "PO-00010", "orders 0 to 9 are placed before T+10h")
		}
	}
	assert.Len(t, early, 10, "a quarter of the 40 Wave 1 sites of the ten orders placed by then")
}

// absent: of a name the scenario does not have would hold whatever
// happened: sites, waves and service orders named by their wave are
// checked at load, with did-you-mean; an entity known only at run time
// that never existed fails the expectation.
func TestAbsentOfNothing(t *testing.T) {
	const tui = "newuser-v2-tui-gates.yaml"
	for _, c := range []struct{ name, from, to, want string }{
		{"unknown site", "{site: FLB1, wave: Auckland}", "{site: FLB9, wave: Auckland}",
			`line 63: expect.absent[0]: site: "FLB9" is not a site of the scenario (did you mean "FLB1"?)`},
		{"unknown wave", "{site: FLB1, wave: Auckland}", "{site: FLB1, wave: Aukland}",
			`line 63: expect.absent[0]: wave: "Aukland" is not a wave of the rollout plan (did you mean "Auckland"?) (waves: Pilot, Auckland, Christchurch, Wellington)`},
		{"unknown service order", "{jeopardy: slaValidation}", "{entity: SO-AUKLAND, state: failed}",
			`line 65: expect.absent[2]: entity: "SO-AUKLAND" is not a service order of the rollout plan (did you mean "SO-AUCKLAND"?)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadEdited(t, tui, c.from, c.to)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	// A service order by its number, a site's product order item, and an
	// order exist only at run time.
	sc, err := loadEdited(t, tui, "{jeopardy: slaValidation}", "{entity: PO-NZ-5521, state: failed}")
	require.NoError(t, err)
	r := run(t, sc)
	assert.Equal(t, []string{`absent: no entity PO-NZ-5521 in this run (did you mean "PO-NZ-05521"?): want PO-NZ-5521 failed absent of something that exists`},
		r.Expectations.Failed)
	// A site stands for its product order items: CHC2 of the faults
	// scenario fails and is compensated, and never completes; CHC1 does.
	sc = load(t, "newuser-v2-kauri-faults.yaml")
	assert.Empty(t, run(t, sc).Expectations.Failed)
	sc.Expect.Absent[0].Entity = "CHC1"
	assert.Contains(t, run(t, sc).Expectations.Failed, "absent: want no CHC1 completed, got it at P11DT10H")
}

// A fault rule that can never fire passed check: an unknown system gets a
// did-you-mean, and the CE router's kinds aimed at a system the catalog
// does not commit a CPE on say where they belong. Each names its line.
func TestFaultThatCannotFire(t *testing.T) {
	const kauri = "newuser-v2-kauri-faults.yaml"
	for _, c := range []struct{ name, from, to, want string }{
		{"unknown system", "target: {system: vlan, op: reserve, site: CHC2}", "target: {system: vlam, op: reserve, site: CHC2}",
			`line 34: faults[1] (chc2-vlan-broken): target: system: "vlam" is not a system (did you mean "vlan"?)`},
		{"lost CPE on logistics", "target: {system: ztp, op: commit, site: WLG1}", "target: {system: logistics, op: commit, site: WLG1}",
			"line 33: faults[0] (wlg-router-lost): target: system: a lostCPE fault hits the CE router's commit, which the catalog puts on ztp, " +
				"never on logistics: it can never fire (target: {system: ztp})"},
		// No call is ever made of a system with an operation it is not
		// called with: credit checks, never commits.
		{"an operation a system is never called with", "target: {system: vlan, op: reserve, site: CHC2}", "target: {system: credit, op: commit, site: CHC2}",
			"line 34: faults[1] (chc2-vlan-broken): target: op: credit is never called to commit, only to check: it can never fire"},
		{"an operation a resource system is never called with", "target: {system: vlan, op: reserve, site: CHC2}", "target: {system: vlan, op: review, site: CHC2}",
			"line 34: faults[1] (chc2-vlan-broken): target: op: vlan is never called to review, only to reserve, commit, release: it can never fire"},
		{"a resource type no RFS allocates", "target: {system: vlan, op: reserve, site: CHC2}", "target: {system: vlan, resourceType: VLN, site: CHC2}",
			`line 34: faults[1] (chc2-vlan-broken): target: resourceType: "VLN" is allocated by no RFS of the catalog (did you mean "VLAN"?)`},
		// 0 read as "not given" made these fire on every call.
		{"probability 0", "probability: 0.3}", "probability: 0}",
			"line 35: probability 0 never fires: leave the rule out, or give a probability above 0"},
		{"first 0", "site: WLG1}, first: 1}", "site: WLG1}, first: 0}",
			"line 33: faults[0] (wlg-router-lost): first: a count of 0: want 1 or more"},
		{"every 0 in a block", "  - {name: bng-flaky, kind: transient, target: {system: bng, op: commit}, probability: 0.3}",
			"  - name: bng-flaky\n    kind: transient\n    target: {system: bng, op: commit}\n    every: 0",
			"line 38: faults[2] (bng-flaky): every: a count of 0: want 1 or more"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadEdited(t, kauri, c.from, c.to)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "\n", "one error")
		})
	}
}

// A site that fails and is compensated is given up: the order ends
// partial without it, it is never billed, and it is not in the contract
// (it was, at full price × term).
func TestContractAfterCompensation(t *testing.T) {
	r := run(t, load(t, "newuser-v2-kauri-faults.yaml"))
	require.Empty(t, r.Expectations.Failed)
	require.NotNil(t, r.Contract)
	var sites []string
	for _, s := range r.Contract.Sites {
		sites = append(sites, s.Site)
	}
	assert.Equal(t, []string{"WLG1", "CHC1"}, sites, "CHC2 failed and was compensated")
	assert.InDelta(t, r.Billing.Monthly, r.Contract.Monthly, 0.001, "the contract is what is billed once every site is in service")
	assert.InDelta(t, 36*2*1850, r.Contract.Value, 0.001)
}

// A misspelt name in an expectation is an error at check, with its line:
// it could only ever fail (or, for absent:, never), whatever happened.
func TestExpectationNamesChecked(t *testing.T) {
	_, err := loadEdited(t, bank,
		"outcome: completed", "outcome: complted\n  ordersByState: {complete: 1}",
		"state: accepted,", "state: acepted,",
		"{site: BNE2, sla: Silver", "{site: BNE3, sla: Silver",
		"{site: MELB, monthly: 3200}", "{site: MELBB, monthly: 3200}")
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`line 46: expect: outcome: "complted" is not a product order's state (did you mean "completed"?)`,
		`line 47: expect: ordersByState: "complete" is not a product order's state (did you mean "completed"?)`,
		`line 48: expect: quote: state: "acepted" is not a quote's state (did you mean "accepted"?)`,
		`expect: contract.sites[2]: site: "BNE3" is not a site of the scenario`,
		`expect: billing[0]: site: "MELBB" is not a site of the scenario (did you mean "MELB"?)`,
	} {
		assert.Contains(t, msg, want)
	}
}

// An unknown count names the counts there are: it said only that it was
// unknown.
func TestUnknownCountNamesTheCounts(t *testing.T) {
	_, err := loadEdited(t, bank, "counts: {serviceInstances: 13}", "counts: {serviceInstance: 13}")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `line 58: expect: counts: unknown count "serviceInstance" (did you mean "serviceInstances"?) (counts: productInstances, `+
		`productOrderItems, productOrders, resourceOrderItems, resourceOrders, resources, serviceInstances, serviceOrderItems, serviceOrders)`)
}

// An unknown key does not hide the file's other faults: each is named,
// in the order of the file.
func TestUnknownKeyWithOtherFaults(t *testing.T) {
	_, err := loadEdited(t, bank, "  term: 36", "  term: 36\n  slaa: Gold", "at: PT0S", "at: -PT1H")
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, 2, err.Error())
	assert.Contains(t, lines[0], `line 23: quote: unknown key "slaa" (did you mean "sla"?)`)
	assert.Equal(t, "line 42: order.at: -PT1H is before T+0", lines[1])
}

// A site of another offering than the quote's is decomposed by its
// offering's specification with its router model, priced on its rate card,
// named by its offering's code, and its order item and contract row name
// its offering.
func TestSiteOfAnotherOffering(t *testing.T) {
	const two = "v2-two-offerings.yaml"
	r := run(t, load(t, two))
	require.Empty(t, r.Expectations.Failed)
	offering, product := map[string]string{}, map[string]string{}
	for _, it := range r.ProductOrders[0].Items {
		product[it.Site] = it.Product
	}
	for _, s := range r.Contract.Sites {
		offering[s.Site] = s.Offering
	}
	assert.Equal(t, map[string]string{"PER1": "PO-EFCP-01", "PER2": "PO-EFCG-01", "ADL1": "PO-EFCP-01"}, offering)
	assert.Equal(t, map[string]string{"PER1": "PI-EFCP-3310-PER1", "PER2": "PI-EFCG-3310-PER2", "ADL1": "PI-EFCP-3310-ADL1"}, product)

	for _, c := range []struct{ name, from, to, want string }{
		{"unknown offering", "offering: PO-EFCP-01, rateCard", "offering: PO-EFCP-1, rateCard",
			`line 35: quote: site PER1: unknown product offering "PO-EFCP-1" (did you mean "PO-EFCP-01"?)`},
		{"no rate card", "offering: PO-EFCP-01, rateCard: RC-PLAT-2025-NEG, sla: Platinum, speed: 1G-sym, price: 3000",
			"offering: PO-EFCP-01, sla: Platinum, speed: 1G-sym, price: 3000",
			`line 34: quote: site PER1: rateCard: missing: a site of offering PO-EFCP-01 is priced on a rate card of it (the quote's, RC-ENT-2024-NEG, is PO-EFCG-01's)`},
		{"a card of the other offering", "rateCard: RC-PLAT-2025-NEG, sla: Platinum, speed: 1G-sym, price: 3000",
			"rateCard: RC-ENT-2024-NEG, sla: Platinum, speed: 1G-sym, price: 3000",
			`line 35: quote: site PER1: rate card "RC-ENT-2024-NEG" is not a rate card of PO-EFCP-01`},
		{"the quote's tier, not the offering's", "sla: Platinum, speed: 1G-sym, price: 3000", "speed: 1G-sym, price: 3000",
			`line 34: quote: site PER1: SLA tier "Gold" is not offered with PO-EFCP-01 (offered: Platinum)`},
		{"a term the offering lacks", "term: 36", "term: 24",
			`quote: site PER1: term 24 months is not offered with PO-EFCP-01 (offered: 36, 60)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadEdited(t, two, c.from, c.to)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}

	// Below its own card's price, the site is refused at commercial
	// review, naming the card.
	sc, err := loadEdited(t, two, "price: 3000}", "price: 2900}")
	require.NoError(t, err)
	sc.Expect = nil
	r = run(t, sc)
	assert.Equal(t, "rejected", r.Quote.State)
	assert.Contains(t, r.Quote.Approvals[1].Reason, "site PER1: price 2900.00 is below rate card RC-PLAT-2025-NEG for Platinum 1G-sym (2950.00)")
}

// A population's waves take gates and manual releases as a quote's do:
// every customer's plan has them, each order's gated wave waits for the
// wave it names and for the release event, and a gate on a wave the plan
// lacks is an error naming the line.
func TestPopulationGates(t *testing.T) {
	const storm = "v2-change-storm.yaml"
	gated := []string{"    - {name: Wave 1, sites: 4, target: P45D}",
		"    - {name: Wave 1, sites: 4, target: P45D, after: [{wave: Pilot, on: completed}], release: manual}"}
	release := []string{"events:\n", "events:\n  - {at: P10D, kind: release, wave: Wave 1, by: rollout manager}\n"}
	sc, err := loadEdited(t, storm, append(gated, release...)...)
	require.NoError(t, err)
	require.Len(t, sc.Spec.Orders, 40)
	for _, p := range sc.Spec.Orders {
		w := p.Quote.Waves[1]
		require.Equal(t, "Wave 1", w.Name)
		assert.True(t, w.Manual, p.OrderID)
		assert.Equal(t, []com.Gate{{Wave: "Pilot", On: com.GateCompleted}}, w.After, p.OrderID)
	}
	releases := func(sc *Scenario) map[string]store.Record {
		mem := store.NewMemory()
		sc.Expect = nil
		_, err := sc.Run(context.Background(), Options{Journal: mem})
		require.NoError(t, err)
		out := map[string]store.Record{}
		for _, r := range mem.Records() {
			if strings.HasSuffix(r.Entity, "/Wave 1") && r.To == "released" {
				out[r.Entity] = r
			}
		}
		return out
	}
	got := releases(sc)
	require.Len(t, got, 40, "every order's Wave 1 is released")
	for entity, r := range got {
		assert.GreaterOrEqual(t, r.At, 10*24*time.Hour, "%s: not before the release event", entity)
		assert.Contains(t, r.Reason, "gate passed: SO-PILOT completed; released by rollout manager", entity)
	}
	held, err := loadEdited(t, storm, gated...)
	require.NoError(t, err)
	assert.Empty(t, releases(held), "without the release, no Wave 1 goes")

	_, err = loadEdited(t, storm, gated[0], "    - {name: Wave 1, sites: 4, target: P45D, after: [{wave: Pilt}]}")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `line 28: population.waves[1] (Wave 1): after[0]: wave "Pilt" is not in the rollout plan (did you mean "Pilot"?)`)
	_, err = loadEdited(t, storm, "version: 2", "version: 1", gated[0], gated[1])
	require.Error(t, err)
	assert.Contains(t, err.Error(), "population.waves: after and release are version 2")
}

// A quote expectation of a population holds for every customer's quote:
// it checked the first customer's alone. The first few that fail are
// named, the rest counted.
func TestPopulationQuoteExpectationChecksEveryQuote(t *testing.T) {
	sc, err := loadEdited(t, "newuser-v2-coop-selectors.yaml", "tcv: 388800", "tcv: 388801")
	require.NoError(t, err)
	failed := run(t, sc).Expectations.Failed
	var named int
	for _, f := range failed {
		if strings.HasPrefix(f, "quote QT-") && strings.Contains(f, "tcv: want 388801.00, got 388800.00") {
			named++
		}
	}
	assert.Equal(t, 5, named, "%q", failed)
	assert.Contains(t, failed, "quote: 25 more quotes fail it")
}

// The commercial review checks the rate card on the quote's date: a quote
// made ten minutes before its card's last day ends was rejected when its
// review (twenty minutes) ended the next day.
func TestRateCardCheckedOnTheQuotesDate(t *testing.T) {
	sc, err := loadEdited(t, globaltech, `start: "2024-06-03T09:00:00+10:00"`, `start: "2030-12-31T23:50:00+10:00"`)
	require.NoError(t, err)
	sc.Expect = nil
	r := run(t, sc)
	assert.Equal(t, "accepted", r.Quote.State, r.Quote.Reason)
	assert.Equal(t, "completed", r.Outcome)

	sc, err = loadEdited(t, globaltech, `start: "2024-06-03T09:00:00+10:00"`, `start: "2031-01-01T00:10:00+10:00"`)
	require.NoError(t, err)
	sc.Expect = nil
	r = run(t, sc)
	assert.Equal(t, "rejected", r.Quote.State)
	assert.Contains(t, r.Quote.Reason, "rate card RC-ENT-2024-NEG is not valid on 2031-01-01")
}

// A wave that waits for a person's release is on the worklist from when it
// was planned (its since), not from T+0.
func TestReleaseAwaitedSinceItsPlanning(t *testing.T) {
	sc := load(t, gates)
	sc.Spec.Events = nil // no one releases it
	s, err := New(sc.Spec, Options{Clock: &cutClock{6 * time.Hour}})
	require.NoError(t, err)
	if err := s.Engine.Run(context.Background()); err != nil {
		require.ErrorIs(t, err, errCut)
	}
	var since []string
	for _, it := range s.COM.Worklist() {
		if it.Kind == operator.ReleaseAwaited {
			since = append(since, it.ID+" "+tmf.FormatOffset(it.Since))
		}
	}
	assert.Equal(t, []string{"PO-2025-00871/Regional PT3H"}, since, "planned with the order, at PT3H")
}

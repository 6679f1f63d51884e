package scenarios

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/hint"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Version 2 expectations: per-site billing and contract, ordering, absence
// and time windows. Each failure says what was expected and what happened.

// ContractExpect pins the report's contract (version 2).
type ContractExpect struct {
	Value   *float64           `yaml:"value"`
	Monthly *float64           `yaml:"monthly"`
	Sites   []ContractSiteWant `yaml:"sites"`
}

// ContractSiteWant is one site of the contract; empty fields are not
// checked.
type ContractSiteWant struct {
	Site     string   `yaml:"site"`
	Offering string   `yaml:"offering"`
	SLA      string   `yaml:"sla"`
	Speed    string   `yaml:"speed"`
	Monthly  *float64 `yaml:"monthly"`
}

// BillingWant is one billed site: what it is billed monthly, and from when.
type BillingWant struct {
	Site    string   `yaml:"site"`
	Monthly *float64 `yaml:"monthly"`
	From    string   `yaml:"from"`
}

// OrderingWant says that one timeline row came before another: each is
// "ENTITY STATE" (an entity's id or name, and a state), the first row of
// that entity reaching that state.
type OrderingWant struct {
	First string `yaml:"first"`
	Then  string `yaml:"then"`
}

// AbsentWant is something that must not happen: a jeopardy (Jeopardy:
// "any" or a type), a timeline row (Entity and State), or a site in a wave
// (Site and Wave).
type AbsentWant struct {
	Jeopardy string `yaml:"jeopardy"`
	Entity   string `yaml:"entity"`
	State    string `yaml:"state"`
	Site     string `yaml:"site"`
	Wave     string `yaml:"wave"`
	// line is where it is in the file; planned says Entity is a service
	// order of the rollout plan, known before the run (checkAbsent), so
	// that it may never have been sent.
	line    int
	planned bool
}

// WindowWant says that an entity reached a state (its first such row)
// between From and To, both from T+0 and inclusive.
type WindowWant struct {
	Entity string `yaml:"entity"`
	State  string `yaml:"state"`
	From   string `yaml:"from"`
	To     string `yaml:"to"`
}

// rowRef splits "ENTITY STATE": the state is the last word, the entity
// the rest (names have spaces: "Wave 1 completed").
func rowRef(s string) (entity, state string, err error) {
	i := strings.LastIndexByte(s, ' ')
	if i <= 0 || i == len(s)-1 {
		return "", "", fmt.Errorf("%q: want an entity and a state, such as \"SO-PILOT completed\"", s)
	}
	return strings.TrimSpace(s[:i]), s[i+1:], nil
}

// jeopardyTypes are what absent: jeopardy: takes: any, or a type of alert.
var jeopardyTypes = []string{"any", com.JeopardyDeadline, com.JeopardySLA, com.JeopardyGate}

// version2 names the version 2 expectations e has: a version 1 file
// may have none (its report has no contract to compare).
func (e *Expectations) version2() []string {
	var keys []string
	for _, k := range []struct {
		key string
		has bool
	}{{"contract", e.Contract != nil}, {"billing", len(e.BillingSites) > 0}, {"ordering", len(e.Ordering) > 0},
		{"absent", len(e.Absent) > 0}, {"windows", len(e.Windows) > 0}} {
		if k.has {
			keys = append(keys, k.key)
		}
	}
	return keys
}

// check2 validates the version 2 expectations themselves.
func (e *Expectations) check2() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if e.Contract != nil {
		for i, s := range e.Contract.Sites {
			if s.Site == "" {
				bad("contract.sites[%d]: site: missing", i)
			}
		}
	}
	for i, b := range e.BillingSites {
		if b.Site == "" {
			bad("billing[%d]: site: missing", i)
		}
		if b.From != "" {
			if _, err := tmf.ParseOffset(b.From); err != nil {
				bad("billing[%d] (%s): from: %v", i, b.Site, err)
			}
		}
	}
	for i, o := range e.Ordering {
		if _, _, err := rowRef(o.First); err != nil {
			bad("ordering[%d]: first: %v", i, err)
		}
		if _, _, err := rowRef(o.Then); err != nil {
			bad("ordering[%d]: then: %v", i, err)
		}
	}
	for i, a := range e.Absent {
		n := 0
		if a.Jeopardy != "" {
			n++
			if !slices.Contains(jeopardyTypes, a.Jeopardy) {
				bad("absent[%d]: jeopardy: %q: want any or a type: %s%s", i, a.Jeopardy, strings.Join(jeopardyTypes[1:], ", "),
					hint.DidYouMean(a.Jeopardy, jeopardyTypes))
			}
		}
		if a.Entity != "" || a.State != "" {
			n++
			if a.Entity == "" || a.State == "" {
				bad("absent[%d]: an entity and a state together", i)
			}
		}
		if a.Site != "" || a.Wave != "" {
			n++
			if a.Site == "" || a.Wave == "" {
				bad("absent[%d]: a site and a wave together", i)
			}
		}
		if n != 1 {
			bad("absent[%d]: name one of: jeopardy (any, or a type); entity and state; site and wave", i)
		}
	}
	for i, w := range e.Windows {
		if w.Entity == "" || w.State == "" {
			bad("windows[%d]: an entity and a state", i)
		}
		from, err1 := tmf.ParseOffset(w.From)
		to, err2 := tmf.ParseOffset(w.To)
		switch {
		case err1 != nil:
			bad("windows[%d] (%s): from: %v", i, w.Entity, err1)
		case err2 != nil:
			bad("windows[%d] (%s): to: %v", i, w.Entity, err2)
		case to < from:
			bad("windows[%d] (%s): to %s is before from %s", i, w.Entity, w.To, w.From)
		}
	}
	return errors.Join(errs...)
}

// evaluate2 checks the version 2 expectations against a report.
func (e *Expectations) evaluate2(r *Report, expect func(ok bool, format string, args ...any)) {
	if c := e.Contract; c != nil {
		got := r.Contract
		if got == nil {
			got = &ContractReport{}
		}
		if c.Value != nil {
			expect(money(got.Value, *c.Value), "contract value: want %.2f, got %.2f", *c.Value, got.Value)
		}
		if c.Monthly != nil {
			expect(money(got.Monthly, *c.Monthly), "contract monthly: want %.2f, got %.2f", *c.Monthly, got.Monthly)
		}
		for _, want := range c.Sites {
			var row *ContractRow
			for k := range got.Sites {
				if got.Sites[k].Site == want.Site {
					row = &got.Sites[k]
				}
			}
			if row == nil {
				expect(false, "contract site %s: want it in the contract, got no such site", want.Site)
				continue
			}
			ok := (want.SLA == "" || row.Tier == want.SLA) && (want.Speed == "" || row.Speed == want.Speed) &&
				(want.Monthly == nil || money(row.Monthly, *want.Monthly)) && (want.Offering == "" || row.Offering == want.Offering)
			got := fmt.Sprintf("%s %s %.2f", row.Tier, row.Speed, row.Monthly)
			if want.Offering != "" {
				got = row.Offering + " " + got
			}
			expect(ok, "contract site %s: want %s, got %s", want.Site, describeSite(want), got)
		}
	}
	for _, want := range e.BillingSites {
		var row *BillingRow
		for k := range r.Billing.Sites {
			if r.Billing.Sites[k].Site == want.Site {
				row = &r.Billing.Sites[k]
			}
		}
		if row == nil {
			expect(false, "billing %s: want it billed, got not billed", want.Site)
			continue
		}
		ok := (want.Monthly == nil || money(row.Monthly, *want.Monthly)) && (want.From == "" || sameOffset(row.From, want.From))
		w := ""
		if want.Monthly != nil {
			w = fmt.Sprintf("%.2f monthly", *want.Monthly)
		}
		if want.From != "" {
			w += " from " + want.From
		}
		expect(ok, "billing %s: want%s, got %.2f monthly from %s", want.Site, " "+strings.TrimSpace(w), row.Monthly, row.From)
	}
	for _, o := range e.Ordering {
		fe, fs, _ := rowRef(o.First)
		te, ts, _ := rowRef(o.Then)
		a, aok := r.firstRow(fe, fs)
		b, bok := r.firstRow(te, ts)
		ok := aok && bok && a.at <= b.at && a.index < b.index
		expect(ok, "ordering: want %s before %s, got %s; %s", o.First, o.Then, happened(o.First, a, aok), happened(o.Then, b, bok))
	}
	for _, a := range e.Absent {
		switch {
		case a.Jeopardy != "":
			var seen []string
			for _, j := range r.Jeopardies {
				if a.Jeopardy == "any" || j.Type == a.Jeopardy {
					seen = append(seen, fmt.Sprintf("%s %s %s: %s", j.At, j.Entity, j.Type, j.Message))
				}
			}
			what := "no jeopardy"
			if a.Jeopardy != "any" {
				what = "no " + a.Jeopardy + " jeopardy"
			}
			expect(len(seen) == 0, "absent: want %s, got %d: %s", what, len(seen), strings.Join(seen, "; "))
		case a.Entity != "":
			// A site stands for its product order items, as in states:.
			names := append([]string{a.Entity}, r.itemsOfSite(a.Entity)...)
			if known := r.entities(); !a.planned && !slices.ContainsFunc(names, func(n string) bool { return slices.Contains(known, n) }) {
				// Absent because it never existed: a misspelt name
				// would pass.
				expect(false, "absent: no entity %s in this run%s: want %s %s absent of something that exists",
					a.Entity, hint.DidYouMean(a.Entity, known), a.Entity, a.State)
				continue
			}
			var row foundRow
			ok := false
			for _, n := range names {
				if row, ok = r.firstRow(n, a.State); ok {
					break
				}
			}
			expect(!ok, "absent: want no %s %s, got it at %s", a.Entity, a.State, row.At)
		default:
			in := ""
			for _, so := range r.ServiceOrders {
				if so.Wave == a.Wave || so.Name == a.Wave {
					for _, s := range so.Sites {
						if s == a.Site {
							in = so.Name
						}
					}
				}
			}
			expect(in == "", "absent: want site %s not in %s, got it in %s", a.Site, a.Wave, in)
		}
	}
	for _, w := range e.Windows {
		from, _ := tmf.ParseOffset(w.From)
		to, _ := tmf.ParseOffset(w.To)
		row, ok := r.firstRow(w.Entity, w.State)
		expect(ok && row.at >= from && row.at <= to, "window: want %s %s between %s and %s, got %s",
			w.Entity, w.State, w.From, w.To, happened(w.Entity+" "+w.State, row, ok))
	}
}

// itemsOfSite are the ids of the product order items of site.
func (r *Report) itemsOfSite(site string) []string {
	var ids []string
	for _, po := range r.ProductOrders {
		for _, it := range po.Items {
			if it.Site == site {
				ids = append(ids, it.ID)
			}
		}
	}
	return ids
}

// entities are the ids and names of the timeline's entities, sorted.
func (r *Report) entities() []string {
	var known []string
	for _, t := range r.Timeline {
		for _, n := range []string{t.Entity, t.Name} {
			if n != "" {
				known = append(known, n)
			}
		}
	}
	slices.Sort(known)
	return slices.Compact(known)
}

// checkAbsent checks the names in absent: against the scenario: the
// sites and waves (or their service orders) of its orders, and a service
// order named by its wave (SO-PILOT). A misspelt name would be absent
// whatever happened. Late waves (Wave N) exist only at run time: with
// addSite events, a wave of that shape is let through.
func (e *Expectations) checkAbsent(orders []Placement, sites []string, late bool) error {
	if e == nil {
		return nil
	}
	var waves, sos []string
	for _, p := range orders {
		for _, w := range p.Quote.Waves {
			waves = append(waves, w.Name)
			sos = append(sos, w.ServiceOrder)
		}
		for _, s := range p.Quote.Sites {
			sites = append(sites, s.Code)
		}
	}
	waves, sos, sites = distinct(waves), distinct(sos), distinct(sites)
	var errs []error
	for i, a := range e.Absent {
		where := fmt.Sprintf("line %d: expect.absent[%d]", a.line, i)
		if a.Site != "" && !slices.Contains(sites, a.Site) {
			errs = append(errs, fmt.Errorf("%s: site: %q is not a site of the scenario%s", where, a.Site, hint.DidYouMean(a.Site, sites)))
		}
		lateWave := late && (strings.HasPrefix(a.Wave, "Wave ") || strings.HasPrefix(a.Wave, "SO-WAVE"))
		if a.Wave != "" && !lateWave && !slices.Contains(waves, a.Wave) && !slices.Contains(sos, a.Wave) {
			errs = append(errs, fmt.Errorf("%s: wave: %q is not a wave of the rollout plan%s (waves: %s)", where, a.Wave,
				hint.DidYouMean(a.Wave, append(slices.Clone(waves), sos...)), strings.Join(waves, ", ")))
		}
		e.Absent[i].planned = slices.Contains(sos, a.Entity)
		if soName(a.Entity) && !(late && strings.HasPrefix(a.Entity, "SO-WAVE")) && !e.Absent[i].planned {
			errs = append(errs, fmt.Errorf("%s: entity: %q is not a service order of the rollout plan%s (service orders: %s)",
				where, a.Entity, hint.DidYouMean(a.Entity, sos), strings.Join(sos, ", ")))
		}
	}
	return errors.Join(errs...)
}

// checkSites checks the sites that contract: and billing: name against
// the scenario's (sites: those of events too): a misspelt site would
// never match. Each error starts with its expectation's key.
func (e *Expectations) checkSites(orders []Placement, sites []string) error {
	if e == nil {
		return nil
	}
	for _, p := range orders {
		for _, s := range p.Quote.Sites {
			sites = append(sites, s.Code)
		}
	}
	sites = distinct(sites)
	var errs []error
	check := func(key, site string) {
		if site != "" && !slices.Contains(sites, site) {
			errs = append(errs, fmt.Errorf("%s: site: %q is not a site of the scenario%s", key, site, hint.DidYouMean(site, sites)))
		}
	}
	if e.Contract != nil {
		for i, s := range e.Contract.Sites {
			check(fmt.Sprintf("contract.sites[%d]", i), s.Site)
		}
	}
	for i, b := range e.BillingSites {
		check(fmt.Sprintf("billing[%d]", i), b.Site)
	}
	return errors.Join(errs...)
}

// distinct is list without repeats, in its order.
func distinct(list []string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// soName says whether entity is a service order named by its wave
// (SO-PILOT), not numbered at run time (SO-001).
func soName(entity string) bool {
	rest, ok := strings.CutPrefix(entity, "SO-")
	return ok && strings.TrimLeft(rest, "0123456789") != ""
}

// foundRow is a timeline row found, with its time and place in the
// timeline.
type foundRow struct {
	TimelineRow
	at    time.Duration
	index int
}

// firstRow is the first timeline row of entity (id or name) reaching
// state.
func (r *Report) firstRow(entity, state string) (foundRow, bool) {
	for i, t := range r.Timeline {
		if (t.Entity == entity || t.Name == entity) && t.State == state {
			at, _ := tmf.ParseOffset(t.At)
			return foundRow{TimelineRow: t, at: at, index: i}, true
		}
	}
	return foundRow{}, false
}

func happened(what string, row foundRow, ok bool) string {
	if !ok {
		return what + " never"
	}
	return fmt.Sprintf("%s at %s", what, row.At)
}

func describeSite(s ContractSiteWant) string {
	var parts []string
	for _, p := range []string{s.Offering, s.SLA, s.Speed} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if s.Monthly != nil {
		parts = append(parts, fmt.Sprintf("%.2f", *s.Monthly))
	}
	return strings.Join(parts, " ")
}

package scenarios

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/ordertwin/ordertwin/core/hint"
	"github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/twin"
)

// Expectations pin a scenario's outcome. Every field is optional.
type Expectations struct {
	Outcome    string         `yaml:"outcome"`
	FinishedAt string         `yaml:"finishedAt"`
	Quote      *QuoteExpect   `yaml:"quote"`
	Billing    *float64       `yaml:"billingMonthly"`
	Counts     map[string]int `yaml:"counts"`
	States     []StateExpect  `yaml:"states"`
	Timeline   []StateExpect  `yaml:"timeline"`
	Resources  []ResourceRow  `yaml:"resources"`
	// FaultHits pins how often each named fault rule fired.
	FaultHits map[string]int `yaml:"faultHits"`
	// OrdersByState pins how many product orders end in each state.
	OrdersByState map[string]int `yaml:"ordersByState"`
	// Version 2 (expect2.go): the contract, each site's billing, one
	// thing before another, what must not happen, and time windows.
	Contract     *ContractExpect `yaml:"contract"`
	BillingSites []BillingWant   `yaml:"billing"`
	Ordering     []OrderingWant  `yaml:"ordering"`
	Absent       []AbsentWant    `yaml:"absent"`
	Windows      []WindowWant    `yaml:"windows"`
}

// QuoteExpect pins the quote.
type QuoteExpect struct {
	State   string   `yaml:"state"`
	TCV     *float64 `yaml:"tcv"`
	Monthly *float64 `yaml:"monthly"`
}

// StateExpect is an entity (id or name) in a state, optionally at a time.
type StateExpect struct {
	Entity string `yaml:"entity"`
	State  string `yaml:"state"`
	At     string `yaml:"at"`
	Reason string `yaml:"reason"`
}

// Outcome is the result of checking expectations.
type Outcome struct {
	Passed int      `json:"passed"`
	Failed []string `json:"failed"`
}

// OK tells whether every expectation held.
func (o Outcome) OK() bool { return len(o.Failed) == 0 }

// countFields maps the counts keys to the report's fields.
var countFields = map[string]string{
	"productOrders": "ProductOrders", "productOrderItems": "ProductOrderItems",
	"serviceOrders": "ServiceOrders", "serviceOrderItems": "ServiceOrderItems",
	"resourceOrders": "ResourceOrders", "resourceOrderItems": "ResourceOrderItems",
	"productInstances": "ProductInstances", "serviceInstances": "ServiceInstances", "resources": "Resources",
}

// check validates the expectations themselves.
func (e *Expectations) check(faults []twin.FaultRule) error {
	if e == nil {
		return nil
	}
	var errs []error
	orderStates := lifecycle.States(lifecycle.ProductOrder)
	if e.Outcome != "" && e.Outcome != "mixed" && !slices.Contains(orderStates, e.Outcome) {
		errs = append(errs, fmt.Errorf("outcome: %q is not a product order's state%s (states: %s; or mixed, when the orders end in different states)",
			e.Outcome, hint.DidYouMean(e.Outcome, orderStates), strings.Join(orderStates, ", ")))
	}
	for _, state := range slices.Sorted(maps.Keys(e.OrdersByState)) {
		if !slices.Contains(orderStates, state) {
			errs = append(errs, fmt.Errorf("ordersByState: %q is not a product order's state%s (states: %s)",
				state, hint.DidYouMean(state, orderStates), strings.Join(orderStates, ", ")))
		}
	}
	if quoteStates := lifecycle.States(lifecycle.Quote); e.Quote != nil && e.Quote.State != "" && !slices.Contains(quoteStates, e.Quote.State) {
		errs = append(errs, fmt.Errorf("quote: state: %q is not a quote's state%s (states: %s)",
			e.Quote.State, hint.DidYouMean(e.Quote.State, quoteStates), strings.Join(quoteStates, ", ")))
	}
	for _, name := range slices.Sorted(maps.Keys(e.FaultHits)) {
		if !slices.ContainsFunc(faults, func(f twin.FaultRule) bool { return f.Name == name }) {
			errs = append(errs, fmt.Errorf("faultHits: no fault rule %q in the scenario", name))
		}
	}
	if e.FinishedAt != "" {
		if _, err := tmf.ParseOffset(e.FinishedAt); err != nil {
			errs = append(errs, fmt.Errorf("finishedAt: %w", err))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(e.Counts)) {
		if _, ok := countFields[k]; !ok {
			known := slices.Sorted(maps.Keys(countFields))
			errs = append(errs, fmt.Errorf("counts: unknown count %q%s (counts: %s)", k, hint.DidYouMean(k, known), strings.Join(known, ", ")))
		}
	}
	for _, list := range []struct {
		name string
		rows []StateExpect
	}{{"states", e.States}, {"timeline", e.Timeline}} {
		for i, s := range list.rows {
			if s.Entity == "" || s.State == "" {
				errs = append(errs, fmt.Errorf("%s[%d]: an entry needs an entity and a state", list.name, i))
			}
			if list.name == "states" && (s.At != "" || s.Reason != "") {
				errs = append(errs, fmt.Errorf("%s[%d] (%s): at and reason are a timeline row's: states checks where an entity ends; pin when or why with a timeline row", list.name, i, s.Entity))
			}
			if s.At != "" {
				if _, err := tmf.ParseOffset(s.At); err != nil {
					errs = append(errs, fmt.Errorf("%s[%d] (%s): at: %w", list.name, i, s.Entity, err))
				}
			}
		}
	}
	errs = append(errs, e.check2())
	return errors.Join(errs...)
}

// Evaluate checks the expectations against a report.
func (e *Expectations) Evaluate(r *Report) Outcome {
	out := Outcome{Failed: []string{}}
	if e == nil {
		return out
	}
	expect := func(ok bool, format string, args ...any) {
		if ok {
			out.Passed++
		} else {
			out.Failed = append(out.Failed, fmt.Sprintf(format, args...))
		}
	}
	if e.Outcome != "" {
		expect(r.Outcome == e.Outcome, "outcome: want %s, got %s", e.Outcome, r.Outcome)
	}
	if e.FinishedAt != "" {
		expect(sameOffset(r.FinishedAt, e.FinishedAt), "finishedAt: want %s, got %s", e.FinishedAt, r.FinishedAt)
	}
	if q := e.Quote; q != nil {
		// Every quote of the run: a population's customers each have one.
		// The first few that fail are named, the rest counted.
		const named = 5
		failing := 0
		for _, got := range append([]QuoteReport{r.Quote}, r.otherQuotes...) {
			name := "quote"
			if len(r.otherQuotes) > 0 {
				name += " " + got.ID
			}
			ok := (q.State == "" || got.State == q.State) && (q.TCV == nil || money(got.TCV, *q.TCV)) &&
				(q.Monthly == nil || money(got.Monthly, *q.Monthly))
			if !ok {
				failing++
			}
			// The first quote's checks count as the expectation's; another
			// is told only when it fails.
			if got.ID != r.Quote.ID && (ok || failing > named) {
				continue
			}
			if q.State != "" {
				expect(got.State == q.State, "%s state: want %s, got %s", name, q.State, got.State)
			}
			if q.TCV != nil {
				expect(money(got.TCV, *q.TCV), "%s tcv: want %.2f, got %.2f", name, *q.TCV, got.TCV)
			}
			if q.Monthly != nil {
				expect(money(got.Monthly, *q.Monthly), "%s monthly: want %.2f, got %.2f", name, *q.Monthly, got.Monthly)
			}
		}
		if failing > named {
			expect(false, "quote: %d more quotes fail it", failing-named)
		}
	}
	if e.Billing != nil {
		expect(money(r.Billing.Monthly, *e.Billing), "billing monthly: want %.2f, got %.2f", *e.Billing, r.Billing.Monthly)
	}
	counts := reflect.ValueOf(r.Counts)
	for _, k := range slices.Sorted(maps.Keys(e.Counts)) {
		got := int(counts.FieldByName(countFields[k]).Int())
		expect(got == e.Counts[k], "counts.%s: want %d, got %d", k, e.Counts[k], got)
	}
	for _, s := range e.States {
		got := r.stateOf(s.Entity)
		expect(got == s.State, "state of %s: want %s, got %s", s.Entity, s.State, orNone(got))
	}
	for _, s := range e.Timeline {
		expect(r.hasRow(s), "timeline: no row %s %s%s%s", s.Entity, s.State, atText(s.At), r.rowsOf(s.Entity, s.State))
	}
	for _, want := range e.Resources {
		expect(r.hasResource(want), "resources: none with %s", describe(want))
	}
	for _, state := range slices.Sorted(maps.Keys(e.OrdersByState)) {
		expect(r.Orders[state] == e.OrdersByState[state], "ordersByState.%s: want %d, got %d", state, e.OrdersByState[state], r.Orders[state])
	}
	for _, name := range slices.Sorted(maps.Keys(e.FaultHits)) {
		got := -1
		for _, f := range r.Faults {
			if f.Name == name {
				got = f.Hits
			}
		}
		expect(got == e.FaultHits[name], "faultHits.%s: want %d, got %d", name, e.FaultHits[name], got)
	}
	e.evaluate2(r, expect)
	return out
}

func money(a, b float64) bool { return math.Abs(a-b) < 0.005 }

func sameOffset(a, b string) bool {
	x, err1 := tmf.ParseOffset(a)
	y, err2 := tmf.ParseOffset(b)
	return err1 == nil && err2 == nil && x == y
}

func orNone(s string) string {
	if s == "" {
		return "(no such entity)"
	}
	return s
}

func atText(at string) string {
	if at == "" {
		return ""
	}
	return " at " + at
}

func describe(r ResourceRow) string {
	return fmt.Sprintf("%+v", r)
}

// stateOf finds the current state of an entity by id or name.
func (r *Report) stateOf(entity string) string {
	for _, po := range r.ProductOrders {
		if po.ID == entity {
			return po.State
		}
		for _, it := range po.Items {
			if it.ID == entity || it.Site == entity {
				return it.State
			}
		}
	}
	for _, so := range r.ServiceOrders {
		if so.ID == entity || so.Name == entity {
			return so.State
		}
		for _, it := range so.Items {
			if it.ID == entity {
				return it.State
			}
		}
	}
	for _, ro := range r.ResourceOrders {
		if ro.ID == entity {
			return ro.State
		}
		for _, it := range ro.Items {
			if it.ID == entity {
				return it.State
			}
		}
	}
	if r.Quote.ID == entity {
		return r.Quote.State
	}
	return ""
}

func (r *Report) hasRow(s StateExpect) bool {
	for _, t := range r.Timeline {
		if (t.Entity == s.Entity || t.Name == s.Entity) && t.State == s.State &&
			(s.At == "" || sameOffset(t.At, s.At)) && (s.Reason == "" || t.Reason == s.Reason) {
			return true
		}
	}
	return false
}

// rowsOf says what the timeline has of entity, for a failure that wanted
// state: its rows with their times, and the state state was perhaps
// misspelt for; or that the entity has no row at all.
func (r *Report) rowsOf(entity, state string) string {
	var rows, states []string
	for _, t := range r.Timeline {
		if t.Entity == entity || t.Name == entity {
			rows = append(rows, t.State+" at "+t.At)
			states = append(states, t.State)
		}
	}
	if len(rows) == 0 {
		return fmt.Sprintf(" (%s has no row in the timeline%s)", entity, hint.DidYouMean(entity, r.entities()))
	}
	if len(rows) > 8 {
		rows = append(rows[:8], fmt.Sprintf("and %d more", len(rows)-8))
	}
	text := fmt.Sprintf(" (its rows: %s)", strings.Join(rows, ", "))
	if !slices.Contains(states, state) {
		text += hint.DidYouMean(state, distinct(states))
	}
	return text
}

func (r *Report) hasResource(want ResourceRow) bool {
	for _, got := range r.Resources {
		if (want.ID == "" || got.ID == want.ID) && (want.Type == "" || got.Type == want.Type) &&
			(want.Value == "" || got.Value == want.Value) && (want.Site == "" || got.Site == want.Site) &&
			(want.State == "" || got.State == want.State) {
			return true
		}
	}
	return false
}

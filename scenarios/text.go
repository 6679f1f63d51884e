package scenarios

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ordertwin/ordertwin/core/tmf"
)

// WriteText prints a report in the worked example's shape: summary, the
// end-to-end timeline, the resource allocation per site, the entity map,
// billing and the expectations.
func WriteText(w io.Writer, r *Report) error {
	p := &printer{w: w}
	p.f("%s\n", r.Scenario)
	p.f("seed %d · T+0 = %s · outcome %s · finished %s\n\n", r.Seed, r.Start, r.Outcome, When(r.FinishedAt))
	q := r.Quote
	p.f("Quote %s for %s: %s · %s %.2f monthly · TCV %s %.2f\n", q.ID, q.Customer, q.State, q.Currency, q.Monthly, q.Currency, q.TCV)
	for _, a := range q.Approvals {
		p.f("  %-10s %-9s %s %s\n", a.Stage, a.State, When(a.At), a.Reason)
	}
	if r.Summary {
		return writeSummary(p, r)
	}
	p.f("\nEnd-to-end timeline\n")
	p.table([]string{"Time", "Entity", "System", "State", "Reason"}, func(row func(...string)) {
		for _, t := range r.Timeline {
			entity := t.Entity
			if t.Name != "" && t.Name != t.Entity {
				entity = t.Name + " (" + t.Entity + ")"
			}
			row(When(t.At), entity, t.System, t.State, t.Reason)
		}
	})
	p.f("\nResource allocation\n")
	p.table([]string{"Site", "ROI", "RFS", "Resource", "State", "Completed"}, func(row func(...string)) {
		for _, ro := range r.ResourceOrders {
			for _, it := range ro.Items {
				row(ro.Site, it.ID, it.RFS, it.Resource, it.State, When(it.CompletedAt))
			}
		}
	})
	p.f("\nEntity map\n")
	p.table([]string{"Entity", "System of record", "State", "Notes"}, func(row func(...string)) {
		for _, po := range r.ProductOrders {
			row("Product Order "+po.ID, "COM", po.State, fmt.Sprintf("%d POIs (1 per site)", len(po.Items)))
		}
		for _, so := range r.ServiceOrders {
			row("Service Order "+so.Name+" ("+so.ID+")", "SOM", so.State,
				fmt.Sprintf("%d SOIs (%s)", len(so.Items), strings.Join(so.Sites, ", ")))
		}
		row(fmt.Sprintf("Resource Orders (%d)", r.Counts.ResourceOrders), "ROM", "",
			fmt.Sprintf("%d ROIs in all", r.Counts.ResourceOrderItems))
		row(fmt.Sprintf("Product Instances (%d)", r.Counts.ProductInstances), "Product Inventory", "", "1 per site")
		row(fmt.Sprintf("Service Instances (%d)", r.Counts.ServiceInstances), "Service Inventory", "", "per site: one per CFS")
		byType := map[string]int{}
		var types []string
		for _, res := range r.Resources {
			if byType[res.Type] == 0 {
				types = append(types, res.Type)
			}
			byType[res.Type]++
		}
		for _, t := range types {
			row(fmt.Sprintf("Resource: %s (%d)", t, byType[t]), "Resource Inventory", "", "")
		}
	})
	p.f("\nBilling: %s %.2f monthly\n", r.Billing.Currency, r.Billing.Monthly)
	for _, b := range r.Billing.Sites {
		p.f("  %-6s %10.2f from %s\n", b.Site, b.Monthly, When(b.From))
	}
	if c := r.Contract; c != nil {
		p.f("\nContract: TCV %s %.2f (%s %.2f monthly)\n", c.Currency, c.Value, c.Currency, c.Monthly)
		mixed := slices.ContainsFunc(c.Sites, func(s ContractRow) bool { return s.Offering != c.Sites[0].Offering })
		for _, s := range c.Sites {
			if mixed { // sites of several offerings: each names its own
				p.f("  %-6s %-10s %-9s %-9s %10.2f × %d = %.2f\n", s.Site, s.Offering, s.Tier, s.Speed, s.Monthly, s.Term, s.Value)
				continue
			}
			p.f("  %-6s %-9s %-9s %10.2f × %d = %.2f\n", s.Site, s.Tier, s.Speed, s.Monthly, s.Term, s.Value)
		}
	}
	if len(r.Jeopardies) > 0 {
		p.f("\nJeopardy alerts\n")
		p.table([]string{"Time", "Entity", "Type", "Message"}, func(row func(...string)) {
			for _, j := range r.Jeopardies {
				row(When(j.At), j.Entity, j.Type, j.Message)
			}
		})
	}
	if len(r.Faults) > 0 {
		p.f("\nFaults injected\n")
		p.table([]string{"Rule", "Kind", "Hits"}, func(row func(...string)) {
			for _, f := range r.Faults {
				row(f.Name, f.Kind, fmt.Sprint(f.Hits))
			}
		})
	}
	e := r.Expectations
	p.f("\nExpectations: %d passed, %d failed\n", e.Passed, len(e.Failed))
	for _, f := range e.Failed {
		p.f("  FAILED %s\n", f)
	}
	return p.err
}

// writeSummary prints a run of many orders: counts and outcomes, billing,
// jeopardies and faults by kind, expectations.
func writeSummary(p *printer, r *Report) error {
	states := make([]string, 0, len(r.Orders))
	for _, k := range slices.Sorted(maps.Keys(r.Orders)) {
		states = append(states, fmt.Sprintf("%s %d", k, r.Orders[k]))
	}
	p.f("\nProduct orders: %s\n", strings.Join(states, ", "))
	c := r.Counts
	p.f("Service orders %d (%d items) · resource orders %d (%d items) · product instances %d · service instances %d · resources %d\n",
		c.ServiceOrders, c.ServiceOrderItems, c.ResourceOrders, c.ResourceOrderItems, c.ProductInstances, c.ServiceInstances, c.Resources)
	p.f("Billing: %s %.2f monthly\n", r.Billing.Currency, r.Billing.Monthly)
	if c := r.Contract; c != nil {
		p.f("Contract: TCV %s %.2f (%s %.2f monthly)\n", c.Currency, c.Value, c.Currency, c.Monthly)
	}
	kinds := map[string]int{}
	for _, j := range r.Jeopardies {
		kinds[j.Type]++
	}
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		p.f("Jeopardy alerts (%s): %d\n", k, kinds[k])
	}
	for _, f := range r.Faults {
		p.f("Fault %s (%s): %d hits\n", f.Name, f.Kind, f.Hits)
	}
	e := r.Expectations
	p.f("\nExpectations: %d passed, %d failed\n", e.Passed, len(e.Failed))
	for _, f := range e.Failed {
		p.f("  FAILED %s\n", f)
	}
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// table prints a Markdown-style table, columns aligned.
func (p *printer) table(head []string, rows func(row func(...string))) {
	tw := tabwriter.NewWriter(p.w, 0, 0, 1, ' ', tabwriter.Debug)
	line := func(cells ...string) {
		if p.err == nil {
			_, p.err = fmt.Fprintf(tw, "| %s\t\n", strings.Join(cells, "\t "))
		}
	}
	line(head...)
	dashes := make([]string, len(head))
	for i, h := range head {
		dashes[i] = strings.Repeat("-", len(h))
	}
	line(dashes...)
	rows(line)
	if err := tw.Flush(); p.err == nil {
		p.err = err
	}
}

// When turns an ISO 8601 offset into the worked example's "T+5 hr",
// "T+3 days" or "T+5d 1h" form.
func When(iso string) string {
	if iso == "" {
		return ""
	}
	d, err := tmf.ParseOffset(iso)
	if err != nil {
		return iso
	}
	day := 24 * time.Hour
	plural := func(n int64, unit string) string {
		if n == 1 {
			return fmt.Sprintf("T+%d %s", n, unit)
		}
		return fmt.Sprintf("T+%d %ss", n, unit)
	}
	switch {
	case d == 0:
		return "T+0"
	case d%day == 0:
		return plural(int64(d/day), "day")
	case d < day && d%time.Hour == 0:
		return fmt.Sprintf("T+%d hr", d/time.Hour)
	}
	var parts []string
	if n := d / day; n > 0 {
		parts = append(parts, fmt.Sprintf("%dd", n))
		d -= n * day
	}
	if n := d / time.Hour; n > 0 {
		parts = append(parts, fmt.Sprintf("%dh", n))
		d -= n * time.Hour
	}
	if n := d / time.Minute; n > 0 {
		parts = append(parts, fmt.Sprintf("%dm", n))
	}
	return "T+" + strings.Join(parts, " ")
}

// WriteWhatIf prints a Monte Carlo result as tables.
func WriteWhatIf(w io.Writer, r *WhatIf) error {
	p := &printer{w: w}
	p.f("%s\n", r.Scenario)
	p.f("%d runs from seed %d · durations log-normal, cv %.2f\n", r.Runs, r.Seed, r.CV)
	outcomes := make([]string, 0, len(r.Outcomes))
	for _, k := range slices.Sorted(maps.Keys(r.Outcomes)) {
		outcomes = append(outcomes, fmt.Sprintf("%s %d", k, r.Outcomes[k]))
	}
	p.f("order outcomes: %s\n", strings.Join(outcomes, ", "))
	samples, order := r.samples(), "Order"
	if r.Orders > 1 {
		order = "Orders"
		p.f("%d orders a run, each a sample: times count from its placement, and a site is ORDER/SITE\n", r.Orders)
	}
	p.f("\n")
	p.table([]string{"Wave", "Service order", "Target", "P50", "P90", "P99", "On time", "Completed"}, func(row func(...string)) {
		for _, wv := range r.Waves {
			row(wv.Wave, wv.ServiceOrder, When(wv.Target), When(wv.P50), When(wv.P90), When(wv.P99),
				fmt.Sprintf("%.1f%%", 100*wv.OnTime), fmt.Sprintf("%d/%d", wv.Completed, samples))
		}
		row(order, "", "", When(r.Order.P50), When(r.Order.P90), When(r.Order.P99), "",
			fmt.Sprintf("%d/%d", r.Order.Completed, samples))
	})
	p.f("\nBilling start per site\n")
	p.table([]string{"Site", "Monthly", "Expected", "P50", "Billed"}, func(row func(...string)) {
		for _, b := range r.Billing {
			row(b.Site, fmt.Sprintf("%.2f", b.Monthly), When(b.Expected), When(b.P50), fmt.Sprintf("%d/%d", b.Billed, r.Runs))
		}
	})
	return p.err
}

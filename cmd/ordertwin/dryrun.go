package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/scenarios"
)

// dryRunOwner is the store identity a dry run's adapters write where a
// real run writes its store's (port.Owner): a dry run keeps no store, and
// renders the same bytes every time.
const dryRunOwner = "dry-run"

// dryRun runs sc on the twin with the real adapters of the adapters file
// rehearsed (run --adapters FILE --dry-run): the twin answers every call,
// and what each real adapter would have sent is written to w, per site
// and resource order item (writeDryRun). site, when set, keeps one site.
func dryRun(ctx context.Context, sc *scenarios.Scenario, adaptersFile, site string, w, stderr io.Writer) error {
	if adaptersFile == "" {
		return fmt.Errorf("run: --dry-run: give the adapters file to rehearse (--adapters FILE)")
	}
	adapters, _, err := loadAdaptersFor("run", adaptersFile, true, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer closeAdapters(adapters)
	rehearse := make(map[port.System]port.DryRunner, len(adapters))
	for _, sys := range slices.Sorted(maps.Keys(adapters)) {
		d, ok := port.Unordered(adapters[sys]).(port.DryRunner) // ordered or not, it renders the same
		if !ok {
			return fmt.Errorf("run: --dry-run: the adapter of %s cannot tell what it would send (no dry run)", sys)
		}
		rehearse[sys] = d
	}
	r, sent, err := sc.DryRun(ctx, scenarios.Options{DryRun: rehearse, Owner: dryRunOwner})
	if err != nil {
		return &exitError{1, err}
	}
	if site != "" {
		sent = slices.DeleteFunc(sent, func(x port.Rehearsed) bool { return x.Site != site })
		if len(sent) == 0 {
			return fmt.Errorf("run: --site %s: no rehearsed call for that site", site)
		}
	}
	if err := writeDryRun(w, sent); err != nil {
		return err
	}
	var failed []string
	if n := unsent(sent); n > 0 {
		failed = append(failed, fmt.Sprintf("%d call(s) would not be sent (the \"not sent:\" lines)", n))
	}
	if !r.Expectations.OK() {
		failed = append(failed, fmt.Sprintf("%d expectation(s) failed", len(r.Expectations.Failed)))
	}
	if len(failed) > 0 {
		return &exitError{1, fmt.Errorf("run: --dry-run: %s", strings.Join(failed, "; "))}
	}
	return nil
}

// unsent counts the calls a rehearsal could not render, which the real
// run would not send or would see fail: their adapter's error, or an
// allocation no answer picked the resource of (writeDryRun's "not sent:").
func unsent(sent []port.Rehearsed) int {
	n := 0
	for _, s := range sent {
		if s.Err != nil || len(s.Sent) == 0 && !s.Rendered {
			n++
		}
	}
	return n
}

// writeDryRun writes what a rehearsal recorded: site by site and item by
// item (in the order of their first call), each call in the order the
// engine made it, with the messages the adapter would send, or why it
// could not render the call. Bodies are written as sent, indented.
func writeDryRun(w io.Writer, sent []port.Rehearsed) error {
	first := map[string]int{}
	for i, s := range sent {
		if _, ok := first[s.Item]; !ok {
			first[s.Item] = i
		}
	}
	order := slices.Clone(sent)
	slices.SortStableFunc(order, func(a, b port.Rehearsed) int {
		return cmp.Or(cmp.Compare(a.Site, b.Site), cmp.Compare(first[a.Item], first[b.Item]))
	})
	var b strings.Builder
	site, item := "\x00", "\x00"
	for _, s := range order {
		if s.Site != site {
			site, item = s.Site, "\x00"
			fmt.Fprintf(&b, "== site %s\n", cmp.Or(s.Site, "(none)"))
		}
		if s.Item != item {
			item = s.Item
			fmt.Fprintf(&b, "\n%s\n", s.Item)
		}
		fmt.Fprintf(&b, "  %s %s (%s)\n", s.System, s.Op, s.Key)
		if s.Err != nil {
			fmt.Fprintf(&b, "    not sent: %s (%s): %s\n", s.Err.Code, s.Err.Class, s.Err.Message)
			continue
		}
		switch {
		case len(s.Sent) == 0 && s.Rendered:
			fmt.Fprintf(&b, "    nothing to send: the adapter sends nothing for this call\n")
			continue
		case len(s.Sent) == 0:
			// An allocation the answerer never answered: no port to render.
			fmt.Fprintf(&b, "    not sent: no answer picked the resource\n")
			continue
		}
		for _, m := range s.Sent {
			fmt.Fprintf(&b, "    %s %s %s\n", m.Protocol, m.To, m.Op)
			for line := range strings.SplitSeq(strings.TrimRight(m.Body, "\n"), "\n") {
				fmt.Fprintf(&b, "      %s\n", line)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

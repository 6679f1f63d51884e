package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
)

// journalCmd prints what a store's journal holds: every committed record
// with its seq, or one entity's, or those after a seq; or, with --inputs,
// its input log: each command taken and who gave it. The journal keeps a
// commit's records encoded in one row, so this is the way to read it.
func journalCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("journal", flag.ContinueOnError)
	entity := fs.String("entity", "", "only this entity's records (PO-001, ROI-007, …)")
	after := fs.Int64("after", 0, "only the records after this seq")
	format := fs.String("format", "text", "text or json (one object a line)")
	inputs := fs.Bool("inputs", false, "print the input log instead: each command taken, with who gave it")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("journal: want exactly one store FILE")
	}
	switch {
	case *format != "text" && *format != "json":
		return fmt.Errorf("journal: --format %q: want text or json", *format)
	case *after < 0:
		return fmt.Errorf("journal: --after %d: want a seq, 0 or more", *after)
	case *inputs && *entity != "":
		return errors.New("journal: --entity is for records: the input log is of commands, not of entities")
	}
	if err := storeFile(pos[0]); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	// Opening the store first brings its schema up to date.
	st, err := sqlite.Open(pos[0], sqlite.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	// Of a compacted store, what is left, after a note of what went where.
	if c, ok := st.Compacted(); ok {
		if err := printCompacted(c, *format == "json", stdout); err != nil {
			return err
		}
		if *inputs {
			*after = max(*after, c.Inputs)
		} else {
			*after = max(*after, c.Records)
		}
	}
	if *inputs {
		return printInputs(st, *after, *format == "json", stdout)
	}
	o, err := sqlite.OpenOutbox(pos[0])
	if err != nil {
		return err
	}
	defer o.Close()
	entries, err := o.After(ctx, *after, -1)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, e := range entries {
		if *entity != "" && e.Entity != *entity {
			continue
		}
		if *format == "json" {
			if err := enc.Encode(journalRowOf(e)); err != nil {
				return err
			}
			continue
		}
		line := fmt.Sprintf("%6d %-12s %-18s %-28s", e.Seq, tmf.FormatOffset(e.At), e.Kind, e.Entity)
		if e.Name != "" && e.Name != e.Entity {
			line += " (" + e.Name + ")"
		}
		line += fmt.Sprintf(" %s → %s", e.From, e.To)
		if e.Event != "" {
			line += " [" + e.Event + "]"
		}
		if e.System != "" {
			line += " " + e.System
		}
		if e.Reason != "" {
			line += ": " + e.Reason
		}
		if _, err := fmt.Fprintln(stdout, line); err != nil {
			return err
		}
	}
	return nil
}

// printInputs prints the inputs of st's log after seq after: each with its
// seq, when (virtual time) and for whom it was taken, its kind, and who
// gave it (store.Origin).
func printInputs(st *sqlite.Store, after int64, asJSON bool, stdout io.Writer) error {
	ins, err := st.InputsAfter(after)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for i, in := range ins {
		seq := after + int64(i) + 1
		to := engine.Address(in.To).String()
		if asJSON {
			if err := enc.Encode(struct {
				Seq    int64         `json:"seq"`
				At     string        `json:"at"`
				To     string        `json:"to"`
				Kind   string        `json:"kind"`
				Origin *store.Origin `json:"origin,omitempty"`
			}{seq, tmf.FormatOffset(in.At), to, in.Kind, originOrNil(in.Origin)}); err != nil {
				return err
			}
			continue
		}
		line := fmt.Sprintf("%6d %-12s %-5s %-24s", seq, tmf.FormatOffset(in.At), to, in.Kind)
		if o := in.Origin; !o.IsZero() {
			line += fmt.Sprintf(" by %s (%s) request %s from %s at %s", o.Actor, strings.Join(o.Roles, ","), o.Request, o.Source,
				o.Taken.UTC().Format(time.RFC3339))
		}
		if _, err := fmt.Fprintln(stdout, line); err != nil {
			return err
		}
	}
	return nil
}

// printCompacted says what a compaction moved out of a store, and where:
// a line starting with # (text), or an object {"compacted": …} (JSON).
func printCompacted(c sqlite.Compacted, asJSON bool, stdout io.Writer) error {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(map[string]any{"compacted": map[string]any{"links": c.Link, "records": c.Records, "inputs": c.Inputs,
			"head": c.Head.String(), "archive": c.Archive}})
	}
	_, err := fmt.Fprintf(stdout, "# records 1 to %d and inputs 1 to %d (links 1 to %d) were compacted into %s: ordertwin journal %s reads them\n",
		c.Records, c.Inputs, c.Link, c.Archive, c.Archive)
	return err
}

func originOrNil(o store.Origin) *store.Origin {
	if o.IsZero() {
		return nil
	}
	return &o
}

// journalRow is a journal record as journal --format json prints it, in
// the report's terms (a run's timeline, scenarios.TimelineRow): its time
// an ISO 8601 offset from T+0, the state it went to as state; with its
// seq, the state it left and the event.
type journalRow struct {
	Seq int64 `json:"seq"`
	scenarios.TimelineRow
	From  string `json:"from,omitempty"`
	Event string `json:"event,omitempty"`
}

func journalRowOf(e store.Entry) journalRow {
	return journalRow{Seq: e.Seq, TimelineRow: scenarios.TimelineRow{At: tmf.FormatOffset(e.At), Entity: e.Entity, Name: e.Name,
		Kind: e.Kind, System: e.System, State: e.To, Reason: e.Reason}, From: e.From, Event: e.Event}
}

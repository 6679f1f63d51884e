package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
)

// auditCmd checks a store: `audit verify FILE` recomputes the journal's
// hash chain and checks every signed approval decision. It exits 0 with
// the head hash and counts when all holds, 1 naming the first record,
// input or link that does not.
func auditCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("audit: want `audit verify FILE`")
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	format := fs.String("format", "text", "text or json")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("audit verify: want exactly one store FILE")
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("audit verify: --format %q: want text or json", *format)
	}
	if _, err := os.Stat(pos[0]); err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	began := time.Now()
	var approvals approval.Auditor
	a, err := sqlite.Verify(ctx, pos[0], approvals.Check)
	took := time.Since(began).Round(time.Millisecond)
	var fault *sqlite.Fault
	if errors.As(err, &fault) {
		if *format == "json" {
			json.NewEncoder(stdout).Encode(map[string]any{"ok": false, "fault": fault.Error(), "commit": fault.Commit, "what": fault.What, "seq": fault.Seq, "entity": fault.Entity})
		}
		return &exitError{1, fmt.Errorf("audit verify %s: %w", pos[0], fault)}
	}
	if err != nil {
		return err
	}
	if *format == "json" {
		return json.NewEncoder(stdout).Encode(map[string]any{"ok": true, "head": a.Head.String(), "commits": a.Commits, "records": a.Records,
			"inputs": a.Inputs, "approvals": approvals.Checked, "seconds": took.Seconds()})
	}
	_, err = fmt.Fprintf(stdout, "OK %s: %d commits, %d records, %d inputs, %d signed approvals (%s)\nhead %s\n",
		pos[0], a.Commits, a.Records, a.Inputs, approvals.Checked, took, a.Head)
	return err
}

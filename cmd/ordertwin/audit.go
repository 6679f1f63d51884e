package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/anchor"
	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
)

// auditCmd checks a store: `audit verify FILE` recomputes the journal's
// hash chain and checks every signed approval decision. It exits 0 with
// the head hash and counts when all holds, 1 naming the first record,
// input or link that does not.
//
// `audit publish FILE --key KEY --relay URL…` verifies the store, then
// sends its head, signed, to relays (core/anchor).
func auditCmd(ctx context.Context, args []string, stdout io.Writer) error {
	const usage = "audit: want `audit verify FILE` or `audit publish FILE --key FILE --relay URL`"
	if len(args) > 0 && isHelp(args[0]) {
		return &helpShown{usage + " (each takes --help)\n"}
	}
	if len(args) == 0 || (args[0] != "verify" && args[0] != "publish") {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	format := fs.String("format", "text", "text or json")
	archive := fs.String("archive", "", "the archive a compaction of the store wrote: verify it and the store as one chain")
	var relays []string
	keyFile := ""
	if args[0] == "publish" {
		fs.StringVar(&keyFile, "key", "", "the secret key that signs the head (ordertwin approve --new-key makes one)")
		fs.Func("relay", "a relay's ws:// or wss:// URL (repeat)", func(v string) error {
			if !strings.HasPrefix(v, "ws://") && !strings.HasPrefix(v, "wss://") {
				return fmt.Errorf("want a ws:// or wss:// URL, not %q", v)
			}
			relays = append(relays, v)
			return nil
		})
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%s: want exactly one store FILE", fs.Name())
	}
	if args[0] == "publish" && (keyFile == "" || len(relays) == 0) {
		return errors.New("audit publish: want --key FILE and at least one --relay URL")
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("audit verify: --format %q: want text or json", *format)
	}
	if err := storeFile(pos[0]); err != nil {
		return fmt.Errorf("audit %s: %w", args[0], err)
	}
	began := time.Now()
	var approvals approval.Auditor
	var a *sqlite.Audit
	if *archive != "" {
		if err := storeFile(*archive); err != nil {
			return fmt.Errorf("audit verify: --archive: %w", err)
		}
		// The chain is read in order, the archive first; a store that
		// still holds links the archive has (never compacted after them)
		// gives their records again: each is checked once (an approval
		// was counted twice).
		checked := int64(0)
		once := func(seq int64, r store.Record) error {
			if seq <= checked {
				return nil
			}
			checked = seq
			return approvals.Check(seq, r)
		}
		a, err = sqlite.VerifyArchived(ctx, *archive, pos[0], once)
	} else {
		// A compacted store's decisions on quotes whose digest went into
		// the archive cannot be checked without it: they are counted.
		_, approvals.Partial, err = sqlite.CompactedOf(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("audit verify: %w", err)
		}
		a, err = sqlite.Verify(ctx, pos[0], approvals.Check)
	}
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
	if args[0] == "publish" {
		return publishHead(ctx, a, pos[0], keyFile, relays, stdout)
	}
	if *format == "json" {
		out := map[string]any{"ok": true, "head": a.Head.String(), "commits": a.Commits, "records": a.Records,
			"inputs": a.Inputs, "approvals": approvals.Checked, "ms": took.Milliseconds(), "from": a.From}
		if a.From > 1 {
			out["given"], out["archive"], out["unchecked"] = a.Given.String(), a.Archive, approvals.Unchecked
		}
		if a.Archived > 0 {
			out["archive"], out["archived"] = a.Archive, a.Archived
		}
		return json.NewEncoder(stdout).Encode(out)
	}
	_, err = fmt.Fprintf(stdout, "OK %s: %d commits, %d records, %d inputs, %d signed approvals (%s)\nhead %s\n",
		pos[0], a.Commits, a.Records, a.Inputs, approvals.Checked, took, a.Head)
	if err != nil {
		return err
	}
	switch {
	case a.From > a.Commits:
		_, err = fmt.Fprintf(stdout, "no link left after the compaction: links 1 to %d, up to head %s, were compacted into %s (audit verify %s --archive %s verifies them)\n",
			a.Commits, a.Head, a.Archive, pos[0], a.Archive)
	case a.From > 1:
		_, err = fmt.Fprintf(stdout, "verified from link %d: the hash of link %d, %s, taken as given; links 1 to %d were compacted into %s (audit verify %s --archive %s verifies both); %d signed approvals on quotes submitted before were not checked\n",
			a.From, a.From-1, a.Given, a.From-1, a.Archive, pos[0], a.Archive, approvals.Unchecked)
	case a.Archived > 0:
		c, _, cerr := sqlite.CompactedOf(ctx, pos[0])
		if cerr != nil {
			return cerr
		}
		if c.Link < a.Archived {
			why := "the store was never compacted"
			if c.Link > 0 {
				why = fmt.Sprintf("the store was compacted after link %d only", c.Link)
			}
			_, err = fmt.Fprintf(stdout, "with the archive %s: links 1 to %d are in both, alike (%s)\n", a.Archive, a.Archived, why)
			break
		}
		_, err = fmt.Fprintf(stdout, "with the archive %s as one chain: links 1 to %d in the archive, the rest in the store\n", a.Archive, a.Archived)
	}
	return err
}

// publishHead signs the head a verification found and sends it to the
// relays; it fails when none accepts it.
func publishHead(ctx context.Context, a *sqlite.Audit, file, keyFile string, relays []string, stdout io.Writer) error {
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return fmt.Errorf("audit publish: %w", err)
	}
	ev, err := anchor.Event(strings.TrimSpace(string(b)), a, filepath.Base(file), time.Now())
	if err != nil {
		return fmt.Errorf("audit publish: --key %s: %w", keyFile, err)
	}
	accepted := 0
	for i, err := range anchor.Publish(ctx, relays, ev, 10*time.Second) {
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", relays[i], err)
			continue
		}
		accepted++
		fmt.Fprintf(stdout, "%s: accepted event %s (head %s, %d records)\n", relays[i], ev.ID, a.Head, a.Records)
	}
	if accepted == 0 {
		return &exitError{1, fmt.Errorf("audit publish %s: %w", file, anchor.ErrNoRelay)}
	}
	return nil
}

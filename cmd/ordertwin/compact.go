package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// compactCmd moves the beginning of a stopped server's journal into an
// archive (sqlite.Compact): the records, inputs and chain links wholly
// before its latest snapshot and every hub listener's delivery cursor. It
// refuses when this build cannot restore that snapshot (checkSnapshot),
// from then on the store's only start without the archive. It says what
// it moved, why not further, and what the store needs from now on.
func compactCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("compact", flag.ContinueOnError)
	archive := fs.String("archive", "", "the archive: a SQLite file of the store's schema, created, or appended to when it ends where the store's compacted journal does")
	format := fs.String("format", "text", "text or json")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("compact: want exactly one store FILE")
	}
	if *archive == "" {
		return errors.New("compact: want --archive FILE, where the records moved out go")
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("compact: --format %q: want text or json", *format)
	}
	if postgres.IsURL(pos[0]) {
		return fmt.Errorf("compact: %s: compaction moves a SQLite file's journal into an archive; a PostgreSQL store is not compacted", storeName(pos[0]))
	}
	if err := storeFile(pos[0]); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if _, err := os.Stat(*archive); err == nil {
		if err := storeFile(*archive); err != nil {
			return fmt.Errorf("compact: --archive: %w", err)
		}
	}
	c, err := sqlite.Compact(ctx, pos[0], *archive, checkSnapshot)
	if err != nil {
		return err
	}
	if *format == "json" {
		out := map[string]any{"store": c.Store, "archive": c.Archive, "moved": c.Moved(), "limit": c.Limit}
		if c.Moved() {
			out["links"] = []int64{c.FromLink, c.ToLink}
			out["records"] = []int64{c.FromRecord, c.ToRecord}
			out["inputs"] = []int64{c.FromInput, c.ToInput}
			out["copied"] = c.Copied
			out["needs"] = map[string]any{"snapshot": map[string]any{"inputs": c.Snapshot.Inputs, "records": c.Snapshot.Records, "at": tmf.FormatOffset(c.Snapshot.At)},
				"or": "ordertwin uncompact " + c.Store + " --archive " + c.Archive}
		}
		return json.NewEncoder(stdout).Encode(out)
	}
	if !c.Moved() {
		_, err = fmt.Fprintf(stdout, "nothing moved from %s: %s\n", c.Store, c.Limit)
		return err
	}
	_, err = fmt.Fprintf(stdout, "moved links %d to %d (%s, %s) of %s into %s (%d links copied now)\nnot further: %s\n"+
		"from now on the store starts only from its latest snapshot (after %d inputs, at %s): should that not restore (the scenario edited, another build), "+
		"serve it with the scenario and build that wrote it, or put the archive back first (ordertwin uncompact %s --archive %s) to replay from T+0\n",
		c.FromLink, c.ToLink, span("records", c.FromRecord, c.ToRecord), span("inputs", c.FromInput, c.ToInput), c.Store, c.Archive, c.Copied, c.Limit,
		c.Snapshot.Inputs, tmf.FormatOffset(c.Snapshot.At), c.Store, c.Archive)
	return err
}

// checkSnapshot asks whether this build can restore a snapshot, as far as
// can be told without the scenario (engine.CheckSnapshot).
func checkSnapshot(s store.Snapshot) error {
	_, err := engine.CheckSnapshot(s)
	return err
}

// span says "what a to b", or "no what" when b < a.
func span(what string, a, b int64) string {
	if b < a {
		return "no " + what
	}
	return fmt.Sprintf("%s %d to %d", what, a, b)
}

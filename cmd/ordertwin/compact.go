package main

import (
	"context"
	"encoding/json"
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
	a, err := archiveArgs("compact", args, "the archive: a SQLite file of the store's schema, created, or appended to when it ends where the store's compacted journal does",
		"where the records moved out go", "compaction moves a SQLite file's journal into an archive; a PostgreSQL store is not compacted", false)
	if err != nil {
		return err
	}
	c, err := sqlite.Compact(ctx, a.store, a.archive, checkSnapshot)
	if err != nil {
		return err
	}
	if a.format == "json" {
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

// archived is what compact and uncompact are given: the store, its
// archive, and the output's format.
type archived struct{ store, archive, format string }

// archiveArgs reads the arguments of cmd (compact, uncompact): one store
// FILE, --archive, --format text|json; archiveUsage is --archive's help,
// archiveIs what it must be said to be when missing, postgres why a
// PostgreSQL store is refused. FILE must be a SQLite store, and so must
// the archive when it exists (must: always).
func archiveArgs(cmd string, args []string, archiveUsage, archiveIs, postgresWhy string, must bool) (archived, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	archive := fs.String("archive", "", archiveUsage)
	format := fs.String("format", "text", "text or json")
	pos, err := parse(fs, args)
	switch {
	case err != nil:
		return archived{}, err
	case len(pos) != 1:
		return archived{}, fmt.Errorf("%s: want exactly one store FILE", cmd)
	case *archive == "":
		return archived{}, fmt.Errorf("%s: want --archive FILE, %s", cmd, archiveIs)
	case *format != "text" && *format != "json":
		return archived{}, fmt.Errorf("%s: --format %q: want text or json", cmd, *format)
	case postgres.IsURL(pos[0]):
		return archived{}, fmt.Errorf("%s: %s: %s", cmd, storeName(pos[0]), postgresWhy)
	}
	if err := storeFile(pos[0]); err != nil {
		return archived{}, fmt.Errorf("%s: %w", cmd, err)
	}
	// An empty file (a compaction killed as it began to make it) is a
	// new archive, to compact into; to uncompact from, it is none.
	if fi, err := os.Stat(*archive); err == nil && (fi.Size() > 0 || !fi.Mode().IsRegular()) || must {
		if err := storeFile(*archive); err != nil {
			return archived{}, fmt.Errorf("%s: --archive: %w", cmd, err)
		}
	}
	return archived{pos[0], *archive, *format}, nil
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

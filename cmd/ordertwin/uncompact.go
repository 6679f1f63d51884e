package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/system"
)

// uncompactCmd puts back into a stopped server's store what compactions
// moved into the archive (sqlite.Uncompact): the store holds its whole
// journal again, and a restart whose latest snapshot cannot be used
// replays it from T+0.
func uncompactCmd(ctx context.Context, args []string, stdout io.Writer) error {
	a, err := archiveArgs("uncompact", args, "the archive the store's compactions wrote (ordertwin compact --archive), read only",
		"the archive the store was compacted into", "a PostgreSQL store is not compacted", true)
	if err != nil {
		return err
	}
	u, err := sqlite.Uncompact(ctx, a.store, a.archive)
	if err != nil {
		return err
	}
	if a.format == "json" {
		return json.NewEncoder(stdout).Encode(map[string]any{"store": u.Store, "archive": u.Archive,
			"links": []int64{1, u.Link}, "records": []int64{1, u.Records}, "inputs": []int64{1, u.Inputs},
			"commits": u.Commits, "head": u.Head.String()})
	}
	_, err = fmt.Fprintf(stdout, "put links 1 to %d (%s, %s) back from %s into %s, which verifies from link 1 to %d, head %s; the archive is left as it was\n",
		u.Link, span("records", 1, u.Records), span("inputs", 1, u.Inputs), u.Archive, u.Store, u.Commits, u.Head)
	return err
}

// withRecovery adds to a server's failed resume of the store db, when its
// latest snapshot cannot be used and the records before it were
// compacted into an archive, the ways it can start again.
func withRecovery(db string, err error) error {
	var needed *system.SnapshotNeededError
	if !errors.As(err, &needed) {
		return err
	}
	archive := "ARCHIVE"
	var c *sqlite.CompactedError
	if errors.As(err, &c) && c.Archive != "" {
		archive = c.Archive
	}
	return fmt.Errorf("%w: serve it with the scenario and the build that wrote the snapshot, or put the archive back first (ordertwin uncompact %s --archive %s) and serve again, replaying from T+0",
		err, db, archive)
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
)

// backupCmd copies a SQLite store, served or not, into a new file
// (sqlite.Backup) and says what the copy holds.
func backupCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return errors.New("backup: want the store FILE and DEST, the new file to copy it into")
	}
	if postgres.IsURL(pos[0]) {
		return fmt.Errorf("backup: %s: a PostgreSQL store is backed up with the database's own tools (pg_dump)", storeName(pos[0]))
	}
	if err := storeFile(pos[0]); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	a, err := sqlite.Backup(ctx, pos[0], pos[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s into %s: %d commits, %d records, %d inputs, chain verified to its head %x\n",
		pos[0], pos[1], a.Commits, a.Records, a.Inputs, a.Head[:8])
	if a.Archive != "" || a.From > 1 {
		fmt.Fprintf(stdout, "the store was compacted: links 1 to %d are in its archive, which is backed up alike\n", a.From-1)
	}
	return nil
}

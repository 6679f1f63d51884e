package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Backup copies the store in file into dest, a new file, as one
// consistent snapshot of it, while a server may be writing it (SQLite's
// VACUUM INTO, in a read transaction: the server is not held up), and
// verifies the copy's hash chain (Verify), which it returns. A copy of the
// file alone, while the server runs, may lack what its write-ahead log
// holds; this one does not. A compacted store's archive is another file,
// backed up alike. A dest that exists is refused; dest appears whole or
// not at all.
func Backup(ctx context.Context, file, dest string) (*Audit, error) {
	if _, err := os.Stat(dest); err == nil {
		return nil, fmt.Errorf("backup: %s exists: a backup is written into a new file", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("backup: %w", err)
	}
	db, err := openReadOnly(file)
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", file, err)
	}
	defer db.Close()
	// Written under another name, and given dest's once verified: a
	// backup killed half way leaves no dest, which a second try refused
	// as existing (and which was no backup).
	part := dest + ".part"
	os.Remove(part) // an earlier try's, killed
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, part); err != nil {
		os.Remove(part) // what was written of it is no backup
		return nil, fmt.Errorf("backup %s into %s: %w", file, dest, err)
	}
	a, err := Verify(ctx, part, nil)
	if err != nil {
		os.Remove(part)
		return nil, fmt.Errorf("backup %s: the copy does not verify: %w", file, err)
	}
	if err := os.Rename(part, dest); err != nil {
		os.Remove(part)
		return nil, fmt.Errorf("backup %s: %w", file, err)
	}
	return a, nil
}

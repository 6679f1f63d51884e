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
// backed up alike. A dest that exists is refused.
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
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		os.Remove(dest) // what was written of it is no backup
		return nil, fmt.Errorf("backup %s into %s: %w", file, dest, err)
	}
	a, err := Verify(ctx, dest, nil)
	if err != nil {
		return nil, fmt.Errorf("backup %s: the copy does not verify: %w", file, err)
	}
	return a, nil
}

package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store/sqlite"
)

// A backup of a store being written holds every commit made, those only
// in its write-ahead log too (a copy of the file alone lacks them), and
// verifies to the same head; a DEST that exists is refused, unchanged.
func TestBackupWhileWritten(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "journal.db")
	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Commit(batch(1, 4), inputs(1, 2)))
	require.NoError(t, s.Commit(batch(5, 4), inputs(3, 1)))
	head, commits := s.Head()

	plain := filepath.Join(dir, "plain.db")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(plain, b, 0o600))
	if a, err := sqlite.Verify(context.Background(), plain, nil); err == nil {
		require.Less(t, a.Commits, commits, "the file alone lacks what its log holds (else this test shows nothing)")
	}

	dest := filepath.Join(dir, "backup.db")
	// A try killed half way left its part, under another name than dest:
	// a new try writes over it, and dest appears whole.
	require.NoError(t, os.WriteFile(dest+".part", []byte("SQLite format 3\x00cut short"), 0o600))
	a, err := sqlite.Backup(context.Background(), file, dest)
	require.NoError(t, err)
	assert.NoFileExists(t, dest+".part")
	assert.Equal(t, commits, a.Commits)
	assert.Equal(t, int64(8), a.Records)
	assert.Equal(t, int64(3), a.Inputs)
	assert.Equal(t, head, a.Head)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "taken.db"), []byte("mine"), 0o600))
	_, err = sqlite.Backup(context.Background(), file, filepath.Join(dir, "taken.db"))
	require.ErrorContains(t, err, "exists")
	kept, err := os.ReadFile(filepath.Join(dir, "taken.db"))
	require.NoError(t, err)
	assert.Equal(t, "mine", string(kept))
}

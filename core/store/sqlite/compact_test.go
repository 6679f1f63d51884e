package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// served writes a store of ten commits, commit c (from 0) with records
// 3c+1 … 3c+3 and inputs 2c+1, 2c+2 (taken when 2c and 2c+1 inputs were
// handled), a snapshot after the first six commits (18 records, 12 inputs)
// unless snapshot is false, and the hub notifier's cursor at the end.
func served(t *testing.T, snapshot bool) string {
	t.Helper()
	return servedFrom(t, snapshot, 0)
}

// servedFrom is served with the records numbered from+1 on (another
// store's, when from is not 0).
func servedFrom(t *testing.T, snapshot bool, from int) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "serve.db")
	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	for c := range 10 {
		require.NoError(t, s.Commit(batch(from+3*c+1, 3), inputs(2*c, 2)))
	}
	if snapshot {
		require.NoError(t, s.SaveSnapshot(store.Snapshot{Inputs: 12, Records: 18, Body: []byte("state")}))
	}
	require.NoError(t, s.Close())
	setCursor(t, file, "", 30)
	return file
}

func setCursor(t *testing.T, file, listener string, seq int64) {
	t.Helper()
	o, err := sqlite.OpenOutbox(file)
	require.NoError(t, err)
	require.NoError(t, o.SetCursor(context.Background(), listener, seq))
	require.NoError(t, o.Close())
}

func journalMode(t *testing.T, file string) string {
	t.Helper()
	db, err := sql.Open("sqlite", file)
	require.NoError(t, err)
	defer db.Close()
	var mode string
	require.NoError(t, db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	return mode
}

// Compaction moves the links wholly before the latest snapshot and every
// delivery cursor into the archive, and says why not further; the store
// goes on from there (seqs never restart), refuses reads behind it naming
// the archive, and verifies alone (from the first link kept) and with the
// archive as one chain; a second compaction appends to the archive.
func TestCompact(t *testing.T) {
	ctx := context.Background()
	file := served(t, false)
	archive := filepath.Join(t.TempDir(), "serve.archive.db")

	c, err := sqlite.Compact(ctx, file, archive, nil)
	require.NoError(t, err)
	assert.False(t, c.Moved())
	assert.Contains(t, c.Limit, "no snapshot")
	assert.NoFileExists(t, archive, "nothing to move: no archive")

	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	require.NoError(t, s.SaveSnapshot(store.Snapshot{Inputs: 12, Records: 18, Body: []byte("state")}))
	head, _ := s.Head()
	require.NoError(t, s.Close())
	setCursor(t, file, "L-1", 0)
	c, err = sqlite.Compact(ctx, file, archive, nil)
	require.NoError(t, err)
	assert.False(t, c.Moved())
	assert.Contains(t, c.Limit, "hub listener L-1 has been given the records up to 0 only")

	setCursor(t, file, "L-1", 10) // within link 4 (records 10–12)
	c, err = sqlite.Compact(ctx, file, archive, nil)
	require.NoError(t, err)
	require.True(t, c.Moved())
	assert.Equal(t, [6]int64{1, 3, 1, 9, 1, 6}, [6]int64{c.FromLink, c.ToLink, c.FromRecord, c.ToRecord, c.FromInput, c.ToInput})
	assert.Equal(t, int64(3), c.Copied)
	assert.Contains(t, c.Limit, "up to 10 only")

	setCursor(t, file, "L-1", 30)
	c, err = sqlite.Compact(ctx, file, archive, nil)
	require.NoError(t, err)
	assert.Equal(t, [6]int64{4, 6, 10, 18, 7, 12}, [6]int64{c.FromLink, c.ToLink, c.FromRecord, c.ToRecord, c.FromInput, c.ToInput}, "the second appends")
	assert.Contains(t, c.Limit, "latest snapshot stands after record 18")
	c, err = sqlite.Compact(ctx, file, archive, nil)
	require.NoError(t, err)
	assert.False(t, c.Moved(), "up to the snapshot already")

	assert.Equal(t, "delete", journalMode(t, archive))
	assert.Equal(t, "wal", journalMode(t, file))

	// What a restart from the snapshot reads is all there; behind it, a
	// clear error naming the archive.
	s, err = sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	assert.Equal(t, 30, s.Len())
	h, commits := s.Head()
	assert.Equal(t, head, h)
	assert.Equal(t, int64(10), commits)
	tail, err := s.RecordsAfter(18)
	require.NoError(t, err)
	assert.Equal(t, batch(19, 12), tail)
	ins, err := s.InputsFrom(12)
	require.NoError(t, err)
	assert.Equal(t, inputs(12, 8), ins)
	_, err = s.RecordsAfter(17)
	assert.ErrorIs(t, err, sqlite.ErrCompacted)
	assert.ErrorContains(t, err, "records 1 to 18 were compacted into the archive "+archive)
	_, err = s.InputsFrom(11)
	assert.ErrorContains(t, err, "inputs 1 to 12 were compacted into the archive "+archive)
	_, err = s.Inputs()
	assert.ErrorIs(t, err, sqlite.ErrCompacted)
	_, err = s.Feed().After(ctx, 5, 10)
	assert.ErrorContains(t, err, "feed: records after 5: records 1 to 18 were compacted into the archive "+archive)
	got, err := s.Feed().After(ctx, 18, 100)
	require.NoError(t, err)
	assert.Len(t, got, 12)
	o, err := sqlite.OpenOutbox(file)
	require.NoError(t, err)
	_, err = o.After(ctx, 0, -1)
	assert.ErrorIs(t, err, sqlite.ErrCompacted)
	require.NoError(t, o.Close())
	cp, ok := s.Compacted()
	require.True(t, ok)
	assert.Equal(t, int64(6), cp.Link)
	// Numbering runs on.
	require.NoError(t, s.Commit(batch(31, 2), inputs(20, 1)))
	tail, err = s.RecordsAfter(30)
	require.NoError(t, err)
	assert.Equal(t, batch(31, 2), tail)
	head, commits = s.Head()
	assert.Equal(t, int64(11), commits)
	require.NoError(t, s.Close())

	a, err := sqlite.Verify(ctx, file, nil)
	require.NoError(t, err)
	assert.Equal(t, sqlite.Audit{Commits: 11, Records: 32, Inputs: 21, Head: head, From: 7, Given: cp.Head, Archive: cp.Archive}, *a,
		"alone: from link 7, link 6's hash given")
	a, err = sqlite.VerifyArchived(ctx, archive, file, nil)
	require.NoError(t, err)
	assert.Equal(t, sqlite.Audit{Commits: 11, Records: 32, Inputs: 21, Head: head, From: 1, Archive: archive, Archived: 6}, *a)
	a, err = sqlite.Verify(ctx, archive, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(6), a.Commits)
	assert.Equal(t, cp.Head, a.Head)

	// A change in the archive is found, named in it.
	tampered := filepath.Join(t.TempDir(), "tampered.db")
	body, err := os.ReadFile(archive)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(tampered, body, 0o600))
	tamper(t, tampered, `UPDATE inputs SET body = x'00' WHERE seq = 3`)
	_, err = sqlite.VerifyArchived(ctx, tampered, file, nil)
	var f *sqlite.Fault
	require.ErrorAs(t, err, &f)
	assert.Equal(t, sqlite.Fault{In: "archive " + tampered, Commit: 2, What: "input", Seq: 3, Entity: "com.Cancel", Reason: "changed: not the input chained"}, *f)
	// An archive of another store does not join.
	other := servedFrom(t, true, 100)
	c, err = sqlite.Compact(ctx, other, filepath.Join(t.TempDir(), "other.archive.db"), nil)
	require.NoError(t, err)
	require.True(t, c.Moved())
	_, err = sqlite.VerifyArchived(ctx, c.Archive, file, nil)
	require.ErrorAs(t, err, &f)
	assert.Equal(t, "link", f.What)
	assert.Equal(t, int64(6), f.Seq)
	assert.Contains(t, f.Reason, "not this store's")

	// Compaction refuses an archive that does not continue the store's.
	s, err = sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	require.NoError(t, s.SaveSnapshot(store.Snapshot{Inputs: 21, Records: 32, Body: []byte("state")}))
	require.NoError(t, s.Close())
	setCursor(t, file, "", 32)
	setCursor(t, file, "L-1", 32)
	refused := filepath.Join(t.TempDir(), "new.db")
	_, err = sqlite.Compact(ctx, file, refused, nil)
	assert.ErrorContains(t, err, "the archive is empty, but links 1 to 6 of this store were compacted into "+archive+": give that archive")
	assert.NoFileExists(t, refused, "a refused compaction leaves no archive of its making")
	_, err = sqlite.Compact(ctx, file, c.Archive, nil)
	assert.ErrorContains(t, err, "not an archive of this store")
	_, err = sqlite.Compact(ctx, file, file, nil)
	assert.ErrorContains(t, err, "another file than the store")
	link := filepath.Join(t.TempDir(), "link.db")
	require.NoError(t, os.Symlink(file, link))
	_, err = sqlite.Compact(ctx, file, link, nil)
	assert.ErrorContains(t, err, link+" is the store under another name", "it said: database is locked")
	c, err = sqlite.Compact(ctx, file, archive, nil)
	require.NoError(t, err)
	assert.Equal(t, [2]int64{7, 11}, [2]int64{c.FromLink, c.ToLink})
	assert.Contains(t, c.Limit, "nothing is left to move")
	s, err = sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	require.NoError(t, s.Commit(batch(33, 1), nil), "a store with every link compacted goes on")
	h, commits = s.Head()
	assert.Equal(t, int64(12), commits)
	require.NoError(t, s.Close())
	a, err = sqlite.VerifyArchived(ctx, archive, file, nil)
	require.NoError(t, err)
	assert.Equal(t, [4]int64{12, 33, 21, 11}, [4]int64{a.Commits, a.Records, a.Inputs, a.Archived})
	assert.Equal(t, h, a.Head)
}

// A crash between the archive's write and the store's delete loses
// nothing: the store holds everything still, the archive a verified
// copy, and a compaction run again carries on without copying twice.
func TestCompactCrashBeforeDelete(t *testing.T) {
	ctx := context.Background()
	file := served(t, true)
	archive := filepath.Join(t.TempDir(), "serve.archive.db")
	restore := sqlite.FailBeforeDelete(errors.New("killed"))
	_, err := sqlite.Compact(ctx, file, archive, nil)
	restore()
	require.ErrorContains(t, err, "killed")

	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	all, err := s.Records()
	require.NoError(t, err)
	assert.Equal(t, batch(1, 30), all, "the store lost nothing")
	_, ok := s.Compacted()
	assert.False(t, ok)
	require.NoError(t, s.Close())
	a, err := sqlite.Verify(ctx, archive, nil)
	require.NoError(t, err)
	assert.Equal(t, [3]int64{6, 18, 12}, [3]int64{a.Commits, a.Records, a.Inputs}, "the archive holds the copy")
	a, err = sqlite.VerifyArchived(ctx, archive, file, nil)
	require.NoError(t, err, "the copy is the store's")
	assert.Equal(t, int64(10), a.Commits)

	c, err := sqlite.Compact(ctx, file, archive, nil)
	require.NoError(t, err)
	assert.Equal(t, [3]int64{1, 6, 0}, [3]int64{c.FromLink, c.ToLink, c.Copied}, "moved, nothing copied twice")
	a, err = sqlite.VerifyArchived(ctx, archive, file, nil)
	require.NoError(t, err)
	assert.Equal(t, [3]int64{10, 30, 20}, [3]int64{a.Commits, a.Records, a.Inputs})
}

// A store held (by a server) is not compacted.
func TestCompactRefusesAHeldStore(t *testing.T) {
	file := served(t, true)
	release, err := sqlite.Hold(file)
	require.NoError(t, err)
	_, err = sqlite.Compact(context.Background(), file, file+".archive", nil)
	assert.ErrorIs(t, err, sqlite.ErrHeld)
	_, err = sqlite.Hold(file)
	assert.ErrorIs(t, err, sqlite.ErrHeld, "one holder at a time")
	require.NoError(t, release())
	c, err := sqlite.Compact(context.Background(), file, file+".archive", nil)
	require.NoError(t, err)
	assert.True(t, c.Moved())
}

package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// journalOf reads a store's whole journal, input log and head.
func journalOf(t *testing.T, file string) ([]store.Record, []store.Input, store.Hash) {
	t.Helper()
	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	defer s.Close()
	recs, err := s.Records()
	require.NoError(t, err)
	ins, err := s.Inputs()
	require.NoError(t, err)
	head, _ := s.Head()
	return recs, ins, head
}

// Uncompact puts back what compactions moved out: the store holds its
// whole journal and input log again, as before, verifies from link 1, and
// a restart can replay it from T+0; an archive not the store's, or
// changed since, changes nothing. A compaction into the same archive
// afterwards carries on from it.
func TestUncompact(t *testing.T) {
	ctx := context.Background()
	file := served(t, true)
	recs, ins, head := journalOf(t, file)
	archive := filepath.Join(t.TempDir(), "serve.archive.db")

	_, err := sqlite.Uncompact(ctx, file, archive)
	assert.ErrorContains(t, err, "archive: ")
	assert.NoFileExists(t, archive)
	c, err := sqlite.Compact(ctx, file, archive, nil)
	require.NoError(t, err)
	require.Equal(t, int64(6), c.ToLink)

	other := servedFrom(t, true, 100)
	oc, err := sqlite.Compact(ctx, other, filepath.Join(t.TempDir(), "other.archive.db"), nil)
	require.NoError(t, err)
	_, err = sqlite.Uncompact(ctx, file, oc.Archive)
	assert.ErrorContains(t, err, "the archive's link 6 has hash")
	assert.ErrorContains(t, err, "not an archive of this store")
	tampered := filepath.Join(t.TempDir(), "tampered.db")
	body, err := os.ReadFile(archive)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(tampered, body, 0o600))
	tamper(t, tampered, `UPDATE inputs SET body = x'00' WHERE seq = 3`)
	_, err = sqlite.Uncompact(ctx, file, tampered)
	assert.ErrorContains(t, err, "with links 1 to 6 put back, the store does not verify (nothing changed): input 3")
	_, err = sqlite.Uncompact(ctx, file, file)
	assert.ErrorContains(t, err, "another file than the store")
	release, err := sqlite.Hold(file)
	require.NoError(t, err)
	_, err = sqlite.Uncompact(ctx, file, archive)
	assert.ErrorIs(t, err, sqlite.ErrHeld)
	require.NoError(t, release())
	cp, ok, err := sqlite.CompactedOf(ctx, file)
	require.NoError(t, err)
	require.True(t, ok, "still compacted: nothing changed")
	assert.Equal(t, int64(6), cp.Link)

	u, err := sqlite.Uncompact(ctx, file, archive)
	require.NoError(t, err)
	assert.Equal(t, [4]int64{6, 18, 12, 10}, [4]int64{u.Link, u.Records, u.Inputs, u.Commits}, "links 1 to 6 put back; the chain has 10")
	assert.Equal(t, head, u.Head)
	gotRecs, gotIns, gotHead := journalOf(t, file)
	assert.Equal(t, recs, gotRecs, "the whole journal, as before the compaction")
	assert.Equal(t, ins, gotIns, "the whole input log")
	assert.Equal(t, head, gotHead)
	_, ok, err = sqlite.CompactedOf(ctx, file)
	require.NoError(t, err)
	assert.False(t, ok)
	a, err := sqlite.Verify(ctx, file, nil)
	require.NoError(t, err)
	assert.Equal(t, sqlite.Audit{Commits: 10, Records: 30, Inputs: 20, Head: head, From: 1}, *a)
	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	all, err := s.InputsFrom(0)
	require.NoError(t, err, "a replay from T+0 reads the whole input log")
	assert.Equal(t, ins, all)
	require.NoError(t, s.Close())
	_, err = sqlite.Uncompact(ctx, file, archive)
	assert.ErrorContains(t, err, "nothing of it was compacted")

	c, err = sqlite.Compact(ctx, file, archive, nil)
	require.NoError(t, err, "the archive it was put back from takes it again")
	assert.Equal(t, [3]int64{1, 6, 0}, [3]int64{c.FromLink, c.ToLink, c.Copied})
}

// Compaction asks first whether this build can restore the latest
// snapshot (engine.CheckSnapshot): moved out, the records before it would
// leave the store no start but from it. One it cannot restore refuses
// the compaction, moving nothing.
func TestCompactRefusesASnapshotThisBuildCannotRestore(t *testing.T) {
	ctx := context.Background()
	file := served(t, true)
	archive := filepath.Join(t.TempDir(), "serve.archive.db")
	var asked store.Snapshot
	_, err := sqlite.Compact(ctx, file, archive, func(s store.Snapshot) error {
		asked = s
		return errors.New("the engine's state does not decode")
	})
	assert.ErrorContains(t, err, "the latest snapshot (after 12 inputs and 18 records) cannot be restored by this build: the engine's state does not decode; "+
		"with the records before it moved out, the store would have no way to start but with the archive put back")
	assert.Equal(t, []byte("state"), asked.Body)
	assert.NoFileExists(t, archive)
	_, ok, err := sqlite.CompactedOf(ctx, file)
	require.NoError(t, err)
	assert.False(t, ok)

	c, err := sqlite.Compact(ctx, file, archive, func(store.Snapshot) error { return nil })
	require.NoError(t, err)
	assert.True(t, c.Moved())
	assert.Equal(t, store.Snapshot{Inputs: 12, Records: 18}, c.Snapshot, "its place, for what the store needs from now on")
}

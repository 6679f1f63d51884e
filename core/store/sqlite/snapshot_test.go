package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §2 snapshots: the store keeps the latest two snapshots across a reopen,
// and gives the tail after one: the records after it and the inputs taken
// after it.
func TestSnapshotsAndTheirTail(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	s, err := Open(file, Options{})
	require.NoError(t, err)
	_, ok, err := s.LatestSnapshot()
	require.NoError(t, err)
	assert.False(t, ok, "a new store has no snapshot")
	rec := func(e string) store.Record { return store.Record{Kind: "productOrder", Entity: e, To: "acknowledged"} }
	in := func(before uint64) store.Input {
		return store.Input{Before: before, Kind: "com.OrderRequest", Body: []byte{byte(before)}}
	}
	require.NoError(t, s.Commit([]store.Record{rec("PO-001"), rec("PO-002")}, []store.Input{in(0), in(1)}))
	require.NoError(t, s.SaveSnapshot(store.Snapshot{Inputs: 2, Records: 2, At: 7, Body: []byte("first")}))
	require.NoError(t, s.Commit([]store.Record{rec("PO-003")}, []store.Input{in(2)}))
	require.NoError(t, s.SaveSnapshot(store.Snapshot{Inputs: 3, Records: 3, At: 9, Body: []byte("second")}))
	require.NoError(t, s.Commit([]store.Record{rec("PO-004")}, []store.Input{in(3), in(3)}))
	require.NoError(t, s.SaveSnapshot(store.Snapshot{Inputs: 5, Records: 4, At: 11, Body: []byte("third")}))
	assert.ErrorContains(t, s.SaveSnapshot(store.Snapshot{Inputs: 6, Records: 9}), "journal ends at 4",
		"a snapshot beyond the journal is refused")
	require.NoError(t, s.Close())

	s, err = Open(file, Options{})
	require.NoError(t, err)
	defer s.Close()
	snap, ok, err := s.LatestSnapshot()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, store.Snapshot{Inputs: 5, Records: 4, At: 11, Body: []byte("third")}, snap)
	var kept int
	require.NoError(t, s.db.QueryRow(`SELECT count(*) FROM snapshot`).Scan(&kept))
	assert.Equal(t, 2, kept)

	after, err := s.RecordsAfter(2)
	require.NoError(t, err)
	assert.Equal(t, []store.Record{rec("PO-003"), rec("PO-004")}, after)
	tail, err := s.InputsFrom(3)
	require.NoError(t, err)
	assert.Equal(t, []store.Input{in(3), in(3)}, tail)
}

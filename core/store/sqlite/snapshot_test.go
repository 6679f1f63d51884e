package sqlite

import (
	"fmt"
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
	var chunksOf []int
	rows, err := s.db.Query(`SELECT DISTINCT inputs FROM snapshot_chunk ORDER BY inputs`)
	require.NoError(t, err)
	for rows.Next() {
		var in int
		require.NoError(t, rows.Scan(&in))
		chunksOf = append(chunksOf, in)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []int{3, 5}, chunksOf, "the chunks of the snapshot dropped went with it")

	after, err := s.RecordsAfter(2)
	require.NoError(t, err)
	assert.Equal(t, []store.Record{rec("PO-003"), rec("PO-004")}, after)
	tail, err := s.InputsFrom(3)
	require.NoError(t, err)
	assert.Equal(t, []store.Input{in(3), in(3)}, tail)
}

// §2 snapshots: a body larger than a chunk comes back byte for byte from
// its chunks, each of which fits in a page; a snapshot whose chunks are
// not all there is an error naming it, not a shorter state.
func TestSnapshotBodyInChunks(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	s, err := Open(file, Options{})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Commit([]store.Record{{Kind: "productOrder", Entity: "PO-001", To: "acknowledged"}}, nil))
	body := make([]byte, 2*snapshotChunk+1)
	for i := range body {
		body[i] = byte(i * 7)
	}
	require.NoError(t, s.SaveSnapshot(store.Snapshot{Inputs: 1, Records: 1, At: 3, Body: body}))
	require.NoError(t, s.SaveSnapshot(store.Snapshot{Inputs: 1, Records: 1, At: 3, Body: body}), "saved again at the same place, it replaces itself")
	var chunks, largest int
	require.NoError(t, s.db.QueryRow(`SELECT count(*), max(length(body)) FROM snapshot_chunk`).Scan(&chunks, &largest))
	assert.Equal(t, 3, chunks)
	assert.Equal(t, snapshotChunk, largest)
	var page int
	require.NoError(t, s.db.QueryRow(`PRAGMA page_size`).Scan(&page))
	assert.Less(t, snapshotChunk, page-35-16, "a chunk's row fits whole in a page")

	snap, ok, err := s.LatestSnapshot()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, store.Snapshot{Inputs: 1, Records: 1, At: 3, Body: body}, snap)

	_, err = s.db.Exec(`DELETE FROM snapshot_chunk WHERE n = 1`)
	require.NoError(t, err)
	_, _, err = s.LatestSnapshot()
	assert.ErrorContains(t, err, "snapshot after 1 inputs: its chunks hold 4001 of its 8001 bytes")

	// A snapshot saved before bodies were chunked keeps its body in its row.
	_, err = s.db.Exec(`INSERT INTO snapshot (inputs, records, at, taken, body) VALUES (2, 1, 5, '', X'6f6c64')`)
	require.NoError(t, err)
	snap, ok, err = s.LatestSnapshot()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, store.Snapshot{Inputs: 2, Records: 1, At: 5, Body: []byte("old")}, snap)
}

// §2 snapshots: a large one is written in slices, a transaction each, so
// that commits go on between them, the snapshot before it the latest
// until its last slice; one cut short (its chunks written, its row
// not: a crash) leaves the snapshot before it the latest, and its chunks
// go with the next one saved.
func TestSnapshotWrittenInSlices(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	s, err := Open(file, Options{})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Commit([]store.Record{{Kind: "productOrder", Entity: "PO-001", To: "acknowledged"}}, nil))
	require.NoError(t, s.SaveSnapshot(store.Snapshot{Inputs: 1, Records: 1, At: 3, Body: []byte("first")}))

	body := make([]byte, 3*snapshotSlice+5)
	for i := range body {
		body[i] = byte(i * 13)
	}
	// Between two slices, a commit, and a look at what is kept.
	slices, latest := 0, []uint64{}
	afterSlice = func() {
		slices++
		require.NoError(t, s.Commit([]store.Record{{Kind: "productOrder", Entity: fmt.Sprint("PO-", slices), To: "acknowledged"}}, nil))
		snap, _, err := s.LatestSnapshot()
		require.NoError(t, err)
		latest = append(latest, snap.Inputs)
	}
	defer func() { afterSlice = nil }()
	pieces := [][]byte{body[:snapshotSlice/2], body[snapshotSlice/2:]}
	require.NoError(t, s.SaveSnapshot(store.Snapshot{Inputs: 7, Records: 1, At: 9, Pieces: pieces}))
	assert.GreaterOrEqual(t, slices, 3, "slices of about a megabyte")
	assert.Equal(t, slices, len(latest))
	for _, inputs := range latest {
		assert.Equal(t, uint64(1), inputs, "the one before is the latest until the last slice is written")
	}
	assert.Equal(t, 1+slices, s.Len(), "the commits between the slices")
	snap, ok, err := s.LatestSnapshot()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, uint64(7), snap.Inputs)
	assert.True(t, string(body) == string(snap.Body), "byte for byte")

	// Cut short: the chunks of a snapshot after 9 inputs, no row.
	_, err = s.db.Exec(`INSERT INTO snapshot_chunk (inputs, n, body) VALUES (9, 0, X'00'), (9, 1, X'01')`)
	require.NoError(t, err)
	snap, _, err = s.LatestSnapshot()
	require.NoError(t, err)
	assert.Equal(t, uint64(7), snap.Inputs, "the one before stays the latest")
	afterSlice = nil
	require.NoError(t, s.SaveSnapshot(store.Snapshot{Inputs: 8, Records: 2, At: 9, Body: []byte("next")}))
	var orphans int
	require.NoError(t, s.db.QueryRow(`SELECT count(*) FROM snapshot_chunk WHERE inputs = 9`).Scan(&orphans))
	assert.Zero(t, orphans, "dropped by the next snapshot")
	snap, _, err = s.LatestSnapshot()
	require.NoError(t, err)
	assert.Equal(t, store.Snapshot{Inputs: 8, Records: 2, At: 9, Body: []byte("next")}, snap)
}

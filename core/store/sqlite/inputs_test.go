package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Inputs and records committed together are kept together, in order, and
// read back after the file is reopened; meta settings too.
func TestCommitInputsWithRecords(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	s, err := Open(file, Options{})
	require.NoError(t, err)
	in := []store.Input{{Before: 0, At: 5, To: 1, Kind: "com.OrderRequest", Body: []byte{1, 2}},
		{Before: 3, At: 9, To: 5, Kind: "docs.Put", Body: []byte(`{}`)}}
	rec := []store.Record{{At: 5, Kind: "productOrder", Entity: "PO-001", To: "acknowledged"}}
	require.NoError(t, s.Commit(rec, in[:1]))
	require.NoError(t, s.LogInputs(in[1:]))
	require.NoError(t, s.SetMeta("scale", "86400"))
	require.NoError(t, s.Close())

	s, err = Open(file, Options{})
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Inputs()
	require.NoError(t, err)
	assert.Equal(t, in, got)
	records, err := s.Records()
	require.NoError(t, err)
	assert.Equal(t, rec, records)
	v, ok, err := s.Meta("scale")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "86400", v)
	_, ok, err = s.Meta("start")
	require.NoError(t, err)
	assert.False(t, ok)
	var _ store.Batch = s
}

// A store written before journal_batch existed keeps its rows: records
// read back in order, the old rows first, and seq numbering runs on from
// them, for the hub's outbox too.
func TestJournalRowsThenBatches(t *testing.T) {
	file := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(file, Options{})
	require.NoError(t, err)
	_, err = s.db.Exec(`INSERT INTO journal (at, kind, entity, to_state) VALUES (1, 'quote', 'QT-001', 'inProgress'), (2, 'quote', 'QT-001', 'approved')`)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = Open(file, Options{})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, 2, s.Len())
	require.NoError(t, s.Append([]store.Record{{At: 3, Kind: "productOrder", Entity: "PO-001", To: "acknowledged"},
		{At: 4, Kind: "quote", Entity: "QT-001", To: "accepted"}}))
	records, err := s.Records()
	require.NoError(t, err)
	var states []string
	for _, r := range records {
		states = append(states, r.To)
	}
	assert.Equal(t, []string{"inProgress", "approved", "acknowledged", "accepted"}, states)

	o, err := OpenOutbox(file)
	require.NoError(t, err)
	defer o.Close()
	ctx := context.Background()
	assert.Equal(t, int64(4), s.Feed().Last())
	after, err := o.After(ctx, 1, 2)
	require.NoError(t, err)
	require.Len(t, after, 2)
	assert.Equal(t, int64(2), after[0].Seq)
	assert.Equal(t, int64(3), after[1].Seq)
	after, err = s.Feed().After(ctx, 1, 3)
	require.NoError(t, err, "the rows of the journal table, then the batches, read behind the feed's window")
	assert.Equal(t, []int64{2, 3, 4}, []int64{after[0].Seq, after[1].Seq, after[2].Seq})
	assert.Equal(t, []string{"approved", "acknowledged", "accepted"}, []string{after[0].To, after[1].To, after[2].To})
}

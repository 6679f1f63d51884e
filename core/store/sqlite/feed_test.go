package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The store publishes each commit to its feed once it is in the file;
// the feed hands the records after any seq from its window, or, behind
// it, from the file by seq range; a reopened store's feed goes on from
// its last record (docs/architecture.md §7).
func TestFeed(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "journal.db")
	s, err := Open(file, Options{})
	require.NoError(t, err)
	var told []int64
	s.Feed().Watch(func(first int64, records []store.Record) {
		for i := range records {
			told = append(told, first+int64(i))
		}
	})
	sub := s.Feed().Subscribe()
	rec := func(i int) store.Record {
		return store.Record{Kind: "productOrder", Entity: fmt.Sprintf("PO-%03d", i), To: "acknowledged"}
	}
	for i := 0; i < 30; i += 3 {
		require.NoError(t, s.Append([]store.Record{rec(i + 1), rec(i + 2), rec(i + 3)}))
	}
	assert.Len(t, told, 30)
	assert.Equal(t, int64(30), told[29])
	<-sub.C()
	page, err := s.Feed().After(ctx, 10, 5)
	require.NoError(t, err)
	require.Len(t, page, 5)
	assert.Equal(t, int64(11), page[0].Seq)
	assert.Equal(t, "PO-011", page[0].Entity)
	sub.Close()
	require.NoError(t, s.Close())

	s, err = Open(file, Options{})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, int64(30), s.Feed().Last())
	for after := int64(0); after < 30; after += 4 {
		page, err := s.Feed().After(ctx, after, 4)
		require.NoError(t, err)
		require.Len(t, page, int(min(4, 30-after)))
		for i, e := range page {
			assert.Equal(t, after+int64(i)+1, e.Seq)
			assert.Equal(t, fmt.Sprintf("PO-%03d", e.Seq), e.Entity, "record %d read from the file", e.Seq)
		}
	}
	require.NoError(t, s.Append([]store.Record{rec(31)}))
	page, err = s.Feed().After(ctx, 29, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"PO-030", "PO-031"}, []string{page[0].Entity, page[1].Entity})
}

// A read of the records after a seq searches the journal by primary key
// from that seq on: its cost follows the records read, never a scan of
// the whole journal, however long.
func TestReadJournalSearchesByKey(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "journal.db"), Options{})
	require.NoError(t, err)
	defer s.Close()
	for _, q := range []string{batchesAfter, journalAfter} {
		rows, err := s.db.Query(`EXPLAIN QUERY PLAN `+q, 100, 10)
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Err())
		rows.Close()
		for _, step := range plan {
			assert.False(t, strings.HasPrefix(step, "SCAN"), "plan %q of %s", plan, q)
		}
		assert.NotEmpty(t, plan)
	}
}

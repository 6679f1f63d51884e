package sqlite

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

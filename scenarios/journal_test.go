package scenarios

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The worked example journalled into the embedded durable store gives the
// same report, and the file holds the same records as the in-memory
// journal, in the same order.
func TestDurableJournal(t *testing.T) {
	sc := load(t, globaltech)
	mem := store.NewMemory()
	want, err := sc.Run(context.Background(), Options{Journal: mem})
	require.NoError(t, err)

	file := filepath.Join(t.TempDir(), "journal.db")
	db, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	got, err := sc.Run(context.Background(), Options{Journal: db})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	assert.Equal(t, want, got)

	db, err = sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	defer db.Close()
	recs, err := db.Records()
	require.NoError(t, err)
	assert.Equal(t, mem.Records(), recs)
	assert.Greater(t, len(recs), 100)
}

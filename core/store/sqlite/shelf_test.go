package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §7 the shelf, in memory and in SQLite alike: a doc is read back by kind
// and id, the last one shelved staying; lists go by creation number; an
// item finds its order (Owner), by kind; the SQLite shelf keeps it all
// across a reopen.
func TestShelf(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	db, err := Open(file, Options{})
	require.NoError(t, err)
	for name, shelf := range map[string]store.Shelf{"memory": store.NewMemory(), "sqlite": db} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, shelf.Shelve([]store.Doc{
				{Kind: "serviceOrder", ID: "SO-002", Ord: 2, Party: "CUST-1", Body: []byte("two"), Items: []string{"SOI-003", "SOI-004"}},
				{Kind: "serviceOrder", ID: "SO-001", Ord: 1, Party: "CUST-1", Body: []byte("one"), Items: []string{"SOI-001"}},
				{Kind: "resourceOrder", ID: "RO-001", Ord: 1, Body: []byte("ro"), Items: []string{"SOI-001"}},
			}))
			require.NoError(t, shelf.Shelve([]store.Doc{{Kind: "serviceOrder", ID: "SO-001", Ord: 1, Party: "CUST-1", Body: []byte("one again"),
				Items: []string{"SOI-001", "SOI-002"}}}))
			d, ok, err := shelf.Shelved("serviceOrder", "SO-001")
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, "one again", string(d.Body), "the last one shelved stays")
			assert.Equal(t, "CUST-1", d.Party)
			_, ok, err = shelf.Shelved("serviceOrder", "SO-009")
			require.NoError(t, err)
			assert.False(t, ok)
			all, err := shelf.ShelvedAll("serviceOrder")
			require.NoError(t, err)
			require.Len(t, all, 2)
			assert.Equal(t, []string{"SO-001", "SO-002"}, []string{all[0].ID, all[1].ID}, "by creation number")
			for item, want := range map[string]string{"SOI-001": "SO-001", "SOI-002": "SO-001", "SOI-004": "SO-002"} {
				id, ok, err := shelf.Owner("serviceOrder", item)
				require.NoError(t, err)
				assert.True(t, ok, item)
				assert.Equal(t, want, id, item)
			}
			id, ok, err := shelf.Owner("resourceOrder", "SOI-001")
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, "RO-001", id, "by kind")
			_, ok, err = shelf.Owner("serviceOrder", "SOI-999")
			require.NoError(t, err)
			assert.False(t, ok)
		})
	}
	require.NoError(t, db.Close())
	db, err = Open(file, Options{})
	require.NoError(t, err)
	defer db.Close()
	id, ok, err := db.Owner("serviceOrder", "SOI-003")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "SO-002", id, "across a reopen")
}

package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The outbox reads what the store committed, by sequence number, while
// the store goes on writing; cursors are kept, added once, moved only
// while they exist, and survive a reopening.
func TestOutbox(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "journal.db")
	_, err := sqlite.OpenOutbox(file)
	assert.ErrorContains(t, err, "open the store first")
	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	defer s.Close()
	ob, err := sqlite.OpenOutbox(file)
	require.NoError(t, err)

	require.NoError(t, s.Append(batch(0, 5)))
	require.NoError(t, s.Append([]store.Record{{Kind: "hub", Entity: "HUB-001", To: "created", Event: "create"}}))
	require.NoError(t, s.Append(batch(5, 4)))
	page, err := ob.After(ctx, 3, 4)
	require.NoError(t, err)
	require.Len(t, page, 4)
	assert.EqualValues(t, 4, page[0].Seq)
	assert.Equal(t, batch(3, 1)[0], page[0].Record)
	assert.Equal(t, "HUB-001", page[2].Entity)
	all, err := ob.After(ctx, 0, -1)
	require.NoError(t, err)
	assert.Len(t, all, 10)

	at, err := ob.AddCursor(ctx, "HUB-001", 6)
	require.NoError(t, err)
	assert.EqualValues(t, 6, at)
	require.NoError(t, ob.MoveCursor(ctx, "HUB-001", 9))
	at, err = ob.AddCursor(ctx, "HUB-001", 6)
	require.NoError(t, err)
	assert.EqualValues(t, 9, at, "a cursor is added once")
	require.NoError(t, ob.SetCursor(ctx, "", 10))
	require.NoError(t, ob.MoveCursor(ctx, "HUB-404", 10))
	require.NoError(t, ob.Close())

	ob, err = sqlite.OpenOutbox(file)
	require.NoError(t, err)
	defer ob.Close()
	cursors, err := ob.Cursors(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"HUB-001": 9, "": 10}, cursors, "moving a cursor that is not there creates none")
	require.NoError(t, ob.DeleteCursor(ctx, "HUB-001"))
	cursors, err = ob.Cursors(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"": 10}, cursors)
}

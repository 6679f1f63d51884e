package peer

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An inbox restored from a snapshot knows the last message of every
// stream, and snapshots to the same bytes; a used inbox refuses a
// restore.
func TestInboxSnapshot(t *testing.T) {
	in := NewInbox()
	in.last["som→com"], in.last["rom→som"], in.last["com→som"] = 7, 3, 12
	b, err := in.Snapshot()
	require.NoError(t, err)
	again := NewInbox()
	require.NoError(t, again.Restore(b))
	assert.Equal(t, uint64(7), again.Last("som→com"))
	assert.Equal(t, uint64(3), again.Last("rom→som"))
	assert.Equal(t, uint64(12), again.Last("com→som"))
	b2, err := again.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, b, b2)
	require.EqualError(t, again.Restore(b), "peer inbox restore: the inbox has had messages already")
	require.ErrorContains(t, NewInbox().Restore([]byte("junk")), "peer inbox restore")

	empty, err := NewInbox().Snapshot()
	require.NoError(t, err)
	fresh := NewInbox()
	require.NoError(t, fresh.Restore(empty))
	assert.Zero(t, fresh.Last("som→com"))
}

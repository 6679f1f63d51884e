package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store"
)

// A WAL of more than walFrames frames after a passive checkpoint is
// checkpointed to its end and truncated, so that a writer that never
// pauses does not grow it without bound; a smaller one is left to the
// passive runs (the writer is not held up).
func TestCheckpointBoundsTheWAL(t *testing.T) {
	file := filepath.Join(t.TempDir(), "journal.db")
	s, err := Open(file, Options{})
	require.NoError(t, err)
	defer s.Close()
	walSize := func() int64 {
		fi, err := os.Stat(file + "-wal")
		require.NoError(t, err)
		return fi.Size()
	}
	write := func(from int) {
		for k := from; k < from+50; k++ {
			require.NoError(t, s.Append([]store.Record{{Kind: "resourceOrderItem", Entity: fmt.Sprintf("ROI-%05d", k),
				Reason: strings.Repeat("x", 2000)}}))
		}
	}
	defer func(was int) { walFrames = was }(walFrames)

	write(0)
	walFrames = 1 << 30 // far above the WAL
	s.checkpoints.checkpoint()
	assert.Positive(t, walSize(), "a WAL under the bound is only checkpointed, passively")

	write(50)
	walFrames = 10
	s.checkpoints.checkpoint()
	assert.Zero(t, walSize(), "a WAL over the bound is truncated")
	write(100)
	got, err := s.Records()
	require.NoError(t, err)
	assert.Len(t, got, 150, "nothing is lost")
}

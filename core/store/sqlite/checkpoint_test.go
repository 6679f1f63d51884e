package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store"
)

// A WAL of more than walFrames frames after a passive checkpoint is
// started over by the writer before its next commit (checkpointed to its
// end, and written again from its start), so that a writer that never pauses does not grow it
// without bound; a smaller one is left to the passive runs. A reader that
// still needs the WAL makes the writer try again later, without waiting
// for it; at four times the bound the checkpointer truncates it itself.
func TestCheckpointBoundsTheWAL(t *testing.T) {
	file := filepath.Join(t.TempDir(), "journal.db")
	s, err := Open(file, Options{})
	require.NoError(t, err)
	defer s.Close()
	stopRunning(s.checkpoints) // its runs are the test's
	walSize := func() int64 {
		fi, err := os.Stat(file + "-wal")
		require.NoError(t, err)
		return fi.Size()
	}
	next := 0
	write := func(n int) {
		for ; n > 0; n-- {
			require.NoError(t, s.Append([]store.Record{{Kind: "resourceOrderItem", Entity: fmt.Sprintf("ROI-%05d", next),
				Reason: strings.Repeat("x", 2000)}}))
			next++
		}
	}
	frames := func() int {
		var busy, n, copied int
		require.NoError(t, s.reader.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &n, &copied))
		return n
	}
	defer func(was int) { walFrames = was }(walFrames)

	write(50)
	walFrames = 1 << 30 // far above the WAL
	s.checkpoints.checkpoint()
	assert.Positive(t, walSize(), "a WAL under the bound is only checkpointed, passively")
	assert.False(t, s.checkpoints.long.Load())

	write(50)
	n := frames()
	walFrames = n / 2
	s.checkpoints.checkpoint()
	require.True(t, s.checkpoints.long.Load(), "%d frames, over the bound of %d", n, walFrames)
	assert.Greater(t, walSize(), int64(n*4096), "left to the writer")
	write(1)
	assert.False(t, s.checkpoints.long.Load())
	assert.Less(t, frames(), 10, "started over before the commit: its frames only")

	// A reader on an old snapshot keeps the writer from starting it over.
	write(50)
	tx, err := s.reader.Begin()
	require.NoError(t, err)
	var count int
	require.NoError(t, tx.QueryRow(`SELECT count(*) FROM journal_batch`).Scan(&count))
	write(50)
	walFrames = frames() / 2
	s.checkpoints.checkpoint()
	require.True(t, s.checkpoints.long.Load())
	began := time.Now()
	write(1)
	assert.Less(t, time.Since(began), busyMillis*time.Millisecond/2, "the writer did not wait for the reader")
	assert.True(t, s.checkpoints.long.Load(), "tried again later")
	require.NoError(t, tx.Rollback())
	s.checkpoints.tried = time.Time{}
	write(1)
	assert.False(t, s.checkpoints.long.Load())

	write(50)
	walFrames = frames() / 5
	s.checkpoints.checkpoint()
	assert.Zero(t, walSize(), "far over the bound: truncated by the checkpointer")
	got, err := s.Records()
	require.NoError(t, err)
	assert.Len(t, got, next, "nothing is lost")
}

// stopRunning ends c's own runs (run), leaving its connection open for the
// test's calls; close still closes it.
func stopRunning(c *checkpointer) {
	close(c.stop)
	<-c.done
	c.stop = make(chan struct{})
}

// after's channel closes once a checkpoint that began after the call has
// run: what was committed before the call is in the file then (a paced
// snapshot waits for it after each slice), which grows by it.
func TestCheckpointAfter(t *testing.T) {
	file := filepath.Join(t.TempDir(), "j.db")
	s, err := Open(file, Options{})
	require.NoError(t, err)
	defer s.Close()
	size := func() int64 {
		fi, err := os.Stat(file)
		require.NoError(t, err)
		return fi.Size()
	}
	for i := range 3 {
		before := size()
		// About 200 KB of records: pages the file does not have yet.
		recs := make([]store.Record, 2000)
		for k := range recs {
			recs[k] = store.Record{Kind: "productOrder", Entity: fmt.Sprintf("PO-%d-%d", i, k), To: "acknowledged", Reason: strings.Repeat("x", 64)}
		}
		require.NoError(t, s.Commit(recs, nil))
		s.mu.Lock()
		ran := s.checkpoints.after()
		s.mu.Unlock()
		select {
		case <-ran:
		case <-time.After(time.Minute):
			t.Fatal("no checkpoint ran")
		}
		assert.Greater(t, size(), before, "the commit's pages were copied into the file")
	}
}

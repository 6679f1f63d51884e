package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §2 snapshots taken beside the engine: a reader of the file cuts it at
// one commit while the writer goes on committing. Each commit here holds
// as many records as inputs, so every cut must too: a cut that read the
// records of a commit and not its inputs, or the other way round, is
// caught. After a snapshot, the cut starts after it.
func TestCutIsOneCommit(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	w, err := Open(file, Options{})
	require.NoError(t, err)
	defer w.Close()
	r, err := Open(file, Options{})
	require.NoError(t, err)
	defer r.Close()
	cut, err := r.Cut()
	require.NoError(t, err)
	assert.Equal(t, store.Cut{}, cut, "nothing committed")

	const commits = 300
	commit := func(i int) error {
		n := 1 + i%3
		records, inputs := make([]store.Record, n), make([]store.Input, n)
		for k := range n {
			records[k] = store.Record{Kind: "productOrder", Entity: fmt.Sprintf("PO-%d-%d", i, k), To: "acknowledged"}
			inputs[k] = store.Input{Before: uint64(i), Kind: "com.OrderRequest", Body: fmt.Appendf(nil, "%d-%d", i, k)}
		}
		return w.Commit(records, inputs)
	}
	done := make(chan error, 1)
	go func() {
		for i := range commits {
			if err := commit(i); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	var cuts []int
	for running := true; running; {
		select {
		case err := <-done:
			require.NoError(t, err)
			running = false
		default:
		}
		cut, err := r.Cut()
		require.NoError(t, err)
		require.Len(t, cut.Inputs, len(cut.Records), "a cut is whole commits")
		for i, rec := range cut.Records {
			require.Equal(t, rec.Entity, "PO-"+string(cut.Inputs[i].Body), "each record with its commit's input")
		}
		cuts = append(cuts, len(cut.Records))
	}
	assert.Equal(t, commits*2, cuts[len(cuts)-1], "the last cut is the whole journal")

	require.NoError(t, w.SaveSnapshot(store.Snapshot{Inputs: 100, Records: 200, At: 7, Body: []byte("state")}))
	cut, err = r.Cut()
	require.NoError(t, err)
	require.NotNil(t, cut.Snapshot)
	assert.Equal(t, []byte("state"), cut.Snapshot.Body)
	assert.Len(t, cut.Records, commits*2-200, "the records after the snapshot's")
	assert.Equal(t, uint64(100), cut.Inputs[0].Before, "the inputs taken from the snapshot's on")
}

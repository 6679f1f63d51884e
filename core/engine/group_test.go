package engine

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Commands group into commits (docs/architecture.md §2, Group commit):
// while the commit of one command's step is written, the engine handles
// the commands that arrive instead of waiting for it, and answers each
// only once the commit holding its records is done (the outbox rule). The
// commands handled meanwhile go in one commit after it.
func TestCommandsGroupWhileACommitIsWritten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDisk()
		d.gate = make(chan struct{})
		var log []string
		e, stop := ordersEngine(t, d, Limits{}, &log)
		answers := make(chan string, 3)
		for _, id := range []string{"PO-1", "PO-2", "PO-3"} {
			go func() {
				v, err := e.Command(context.Background(), COM, id)
				answers <- fmt.Sprintf("%v %v", v, err)
			}()
			synctest.Wait()
		}
		assert.Equal(t, []string{"0s PO-1", "0s PO-2", "0s PO-3"}, log, "every command handled while the first commit is written")
		assert.Empty(t, answers, "none answered before its records are committed")
		assert.Empty(t, d.entities())

		close(d.gate)
		synctest.Wait()
		require.Len(t, answers, 3)
		got := []string{<-answers, <-answers, <-answers} // their callers race to say so
		slices.Sort(got)
		assert.Equal(t, []string{"placed PO-1 <nil>", "placed PO-2 <nil>", "placed PO-3 <nil>"}, got)
		assert.Equal(t, []string{"PO-1", "PO-2", "PO-3"}, d.entities())
		assert.Equal(t, 2, d.mem.Commits(), "the first command's commit, then the two handled while it was written")
		require.ErrorIs(t, stop(), context.Canceled)
	})
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A query shows only what is committed, but the engine does not stop for
// that commit: it runs the query, holds its result, and handles the next
// commands while the commit is written (docs/architecture.md §2, the
// outbox rule).
func TestQueryWaitsForTheCommitNotTheEngine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDisk()
		d.gate = make(chan struct{})
		var log []string
		e, stop := ordersEngine(t, d, Limits{}, &log)
		ctx := context.Background()
		go e.Command(ctx, COM, "PO-1")
		synctest.Wait() // handled; its commit waits at the gate

		seen := -1
		queried := make(chan error, 1)
		go func() { queried <- e.Query(ctx, func() { seen = len(log) }) }()
		synctest.Wait()
		assert.Empty(t, queried, "the query saw PO-1, which is not committed yet")

		go e.Command(ctx, COM, "PO-2")
		synctest.Wait()
		assert.Equal(t, []string{"0s PO-1", "0s PO-2"}, log, "the engine went on while the query waited")

		close(d.gate)
		synctest.Wait()
		require.Len(t, queried, 1)
		require.NoError(t, <-queried)
		assert.Equal(t, 1, seen, "the query saw the state at its turn: PO-1 handled, PO-2 not yet")

		// A commit slower than the admission time is no refusal: the
		// admitted query ran, and waits for it as long as its caller does.
		d.gate = make(chan struct{})
		go e.Command(ctx, COM, "PO-2b")
		synctest.Wait()
		go func() { queried <- e.QueryAdmitted(ctx, func() { seen = len(log) }) }()
		time.Sleep(3 * e.Limits().Admission)
		synctest.Wait()
		assert.Empty(t, queried, "still waiting for the commit")
		close(d.gate)
		synctest.Wait()
		require.Len(t, queried, 1)
		require.NoError(t, <-queried)
		assert.Equal(t, 3, seen)

		// A caller that stops waiting first is told that what the query saw
		// is not committed.
		d.gate = make(chan struct{})
		go e.Command(ctx, COM, "PO-3")
		synctest.Wait()
		short, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		err := e.Query(short, func() { seen = len(log) })
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorContains(t, err, "not committed yet")
		assert.Equal(t, 4, seen, "it ran")
		close(d.gate)
		require.ErrorIs(t, stop(), context.Canceled)
	})
}

// CommandWith runs its check when the engine takes the command and its
// read right after the handler, both on the engine's goroutine: a failed
// check refuses the command before it is logged, and is answered once
// what the check saw is committed; the read's value is the answer.
func TestCommandWithChecksAndReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDisk()
		var log []string
		e, stop := ordersEngine(t, d, Limits{}, &log)
		ctx := context.Background()

		v, err := e.CommandWith(ctx, COM, "PO-1", Around{
			Check: func() error { return nil },
			Read:  func(reply any) any { return fmt.Sprintf("%v, %d handled", reply, len(log)) }})
		require.NoError(t, err)
		assert.Equal(t, "placed PO-1, 1 handled", v, "read on the state the handler left")

		inputs := len(d.mem.Inputs())
		d.gate = make(chan struct{})
		go e.Command(ctx, COM, "PO-2")
		synctest.Wait() // handled; its commit waits at the gate
		refused := make(chan error, 1)
		go func() {
			_, err := e.CommandWith(ctx, COM, "PO-3", Around{
				Check: func() error {
					if len(log) > 1 {
						return errors.New("PO-2 came first")
					}
					return nil
				},
				Read: func(any) any { t.Error("read after a failed check"); return nil }})
			refused <- err
		}()
		synctest.Wait()
		assert.Empty(t, refused, "the check saw PO-2, not committed yet")
		close(d.gate)
		synctest.Wait()
		require.Len(t, refused, 1)
		err = <-refused
		var ce *CheckError
		require.ErrorAs(t, err, &ce)
		assert.EqualError(t, err, "PO-2 came first")
		assert.NotErrorIs(t, err, ErrRefused)
		assert.Equal(t, []string{"0s PO-1", "0s PO-2"}, log, "PO-3 was not handled")
		assert.Len(t, d.mem.Inputs(), inputs+1, "nor logged: PO-2 was")
		assert.Equal(t, []string{"PO-1", "PO-2"}, d.entities())
		require.ErrorIs(t, stop(), context.Canceled)
	})
}

// A refused command is answered with its refusal: the read is not made.
func TestCommandWithReadsNoRefusal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := New(Options{Store: newDisk(), Codec: NewCodec("")})
		e.Handle(COM, recorder{log: new([]string), then: func(now time.Duration, msg any, out *Out) {
			out.Error(errors.New("no such offering"))
		}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.Serve(ctx) }()
		_, err := e.CommandWith(ctx, COM, "PO-1", Around{Read: func(any) any { t.Error("read after a refusal"); return nil }})
		assert.ErrorIs(t, err, ErrRefused)
		assert.ErrorContains(t, err, "no such offering")
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
}

package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// disk is a journal and input log in memory that fails like a full disk
// while full is set: each commit (and write probe) then fails with ENOSPC
// and keeps nothing. Hits counts the failures.
type disk struct {
	mem  *store.Memory
	full atomic.Bool
	hits atomic.Int64
	// gate, when set, holds every commit until it is closed.
	gate chan struct{}
}

func newDisk() *disk { return &disk{mem: store.NewMemory()} }

func (d *disk) fail() error {
	if d.full.Load() {
		d.hits.Add(1)
		return fmt.Errorf("write journal: %w", syscall.ENOSPC)
	}
	return nil
}

func (d *disk) Commit(records []store.Record, inputs []store.Input) error {
	if d.gate != nil {
		<-d.gate
	}
	if err := d.fail(); err != nil {
		return err
	}
	return d.mem.Commit(records, inputs)
}

func (d *disk) Append(records []store.Record) error  { return d.Commit(records, nil) }
func (d *disk) LogInputs(inputs []store.Input) error { return d.Commit(nil, inputs) }
func (d *disk) Probe() error                         { return d.fail() }

// entities lists the entities of the records the disk holds, in order.
func (d *disk) entities() []string {
	var out []string
	for _, r := range d.mem.Records() {
		out = append(out, r.Entity)
	}
	return out
}

// ordersEngine serves a component that records an order per command
// (the command is the order's id) and replies "placed ID".
func ordersEngine(t *testing.T, d *disk, limits Limits, log *[]string) (*Engine, func() error) {
	t.Helper()
	e := New(Options{Store: d, Log: d, Codec: NewCodec(""), Limits: limits})
	e.LogTo(slog.New(slog.DiscardHandler))
	e.Handle(COM, recorder{log: log, then: func(now time.Duration, msg any, out *Out) {
		out.Record(store.Record{Kind: "productOrder", Entity: msg.(string), To: "acknowledged"})
		out.Reply("placed " + msg.(string))
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx) }()
	return e, func() error {
		cancel()
		return <-done
	}
}

// A commit that fails on a full disk never stops a serving engine: the
// step it holds waits, unanswered; the store's fault is visible; commands
// and reads are refused at once; the same commit is retried until space
// comes back, and then the step's effects go out once, its command
// handled once (docs/architecture.md §2, the outbox rule; §9: nothing is lost).
func TestFullDiskWaitsAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDisk()
		var log []string
		e, stop := ordersEngine(t, d, Limits{}, &log)
		ctx := context.Background()
		v, err := e.Command(ctx, COM, "PO-1")
		require.NoError(t, err)
		assert.Equal(t, "placed PO-1", v)
		assert.Nil(t, e.StoreFault())

		d.full.Store(true)
		second := make(chan error, 1)
		go func() {
			_, err := e.Command(ctx, COM, "PO-2")
			second <- err
		}()
		synctest.Wait()
		f := e.StoreFault()
		require.NotNil(t, f, "the failed commit is visible")
		assert.ErrorIs(t, f, syscall.ENOSPC)
		assert.ErrorIs(t, f, ErrStoreCannotWrite)
		err = <-second
		assert.ErrorIs(t, err, ErrUnconfirmed, "taken, not committed: the caller is told at once")
		assert.ErrorIs(t, err, syscall.ENOSPC)

		began := time.Now()
		_, err = e.Command(ctx, COM, "PO-3")
		assert.ErrorIs(t, err, ErrStoreCannotWrite)
		assert.NotErrorIs(t, err, ErrUnconfirmed, "refused, not taken")
		assert.ErrorIs(t, e.Query(ctx, func() { t.Error("a query ran on state not committed") }), ErrStoreCannotWrite)
		assert.Zero(t, time.Since(began), "refused at once")

		time.Sleep(10 * time.Second)
		assert.GreaterOrEqual(t, d.hits.Load(), int64(5), "the commit is retried")
		assert.Equal(t, []string{"PO-1"}, d.entities(), "nothing of the failed commit is kept")
		assert.Equal(t, []string{"0s PO-1", "0s PO-2"}, log)

		d.full.Store(false)
		time.Sleep(e.Limits().RetryMax)
		synctest.Wait()
		assert.Nil(t, e.StoreFault(), "the store writes again")
		assert.Equal(t, []string{"PO-1", "PO-2"}, d.entities(), "the waiting step is committed once")
		assert.Len(t, d.mem.Inputs(), 2, "PO-2 is logged with its records; PO-3 never was")
		assert.Equal(t, []string{"0s PO-1", "0s PO-2"}, log, "PO-2 was handled once, not again")
		v, err = e.Command(ctx, COM, "PO-4")
		require.NoError(t, err)
		assert.Equal(t, "placed PO-4", v)
		require.ErrorIs(t, stop(), context.Canceled)
	})
}

// A server started on a store that cannot write says so at once (its
// write probe fails), refuses commands but answers reads of what is
// committed, and is ready once the probe succeeds.
func TestProbeAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDisk()
		d.full.Store(true)
		var log []string
		e, stop := ordersEngine(t, d, Limits{}, &log)
		synctest.Wait()
		require.NotNil(t, e.StoreFault())
		ctx := context.Background()
		_, err := e.Command(ctx, COM, "PO-1")
		assert.ErrorIs(t, err, ErrStoreCannotWrite)
		read := false
		require.NoError(t, e.Query(ctx, func() { read = true }), "nothing waits for a commit: reads work")
		assert.True(t, read)

		d.full.Store(false)
		time.Sleep(e.Limits().RetryMax)
		synctest.Wait()
		assert.Nil(t, e.StoreFault())
		_, err = e.Command(ctx, COM, "PO-1")
		require.NoError(t, err)
		assert.Equal(t, []string{"0s PO-1"}, log, "the refused command was never handled")
		require.ErrorIs(t, stop(), context.Canceled)
	})
}

// Stopped while the store cannot write, the engine gives up the commit
// and its run ends with the store's error: nothing it held was answered,
// and the engine does not hang.
func TestStopWhileTheDiskIsFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDisk()
		var log []string
		e, stop := ordersEngine(t, d, Limits{}, &log)
		_, err := e.Command(context.Background(), COM, "PO-1")
		require.NoError(t, err)
		d.full.Store(true)
		go e.Command(context.Background(), COM, "PO-2")
		synctest.Wait()
		require.NotNil(t, e.StoreFault())
		err = stop()
		assert.ErrorIs(t, err, ErrStoreCannotWrite)
		assert.ErrorIs(t, err, syscall.ENOSPC)
		assert.Equal(t, []string{"PO-1"}, d.entities())
	})
}

// An engine that is behind refuses commands at once rather than queue
// them: a command it has not taken within the admission time is
// withdrawn, never handled; beyond the bound of commands waiting, or while
// a commit has run too long, a command is refused before it is submitted.
func TestOverloadRefusesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDisk()
		var log []string
		limits := Limits{Commands: 2, Admission: time.Second, SlowCommit: 2 * time.Second}
		e := New(Options{Store: d, Log: d, Codec: NewCodec(""), Limits: limits})
		release := make(chan struct{})
		e.Handle(COM, recorder{log: &log, then: func(now time.Duration, msg any, out *Out) {
			if msg == "slow" {
				<-release // a step that takes long
			}
			out.Reply("done " + msg.(string))
		}})
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- e.Serve(ctx) }()

		var wg sync.WaitGroup
		wg.Go(func() {
			v, err := e.Command(context.Background(), COM, "slow")
			assert.NoError(t, err)
			assert.Equal(t, "done slow", v)
		})
		synctest.Wait() // the engine is in the slow step
		late := make(chan error, 1)
		go func() {
			_, err := e.Command(context.Background(), COM, "late")
			late <- err
		}()
		synctest.Wait()
		_, err := e.Command(context.Background(), COM, "third")
		assert.ErrorIs(t, err, ErrOverloaded, "two commands wait: the bound")
		assert.ErrorContains(t, err, "2 commands wait")

		err = <-late // after the admission time
		assert.ErrorIs(t, err, ErrOverloaded)
		assert.ErrorContains(t, err, "within 1s")
		close(release)
		wg.Wait()
		synctest.Wait()
		assert.Equal(t, []string{"0s slow"}, log, "the withdrawn command was never handled")

		// A commit that has run for longer than SlowCommit.
		d.gate = make(chan struct{})
		wg.Go(func() {
			_, err := e.Command(context.Background(), COM, "held")
			assert.NoError(t, err)
		})
		time.Sleep(3 * time.Second)
		_, err = e.Command(context.Background(), COM, "behind")
		assert.ErrorIs(t, err, ErrOverloaded)
		assert.ErrorContains(t, err, "commit in progress has taken 3s")
		close(d.gate)
		wg.Wait()
		v, err := e.Command(context.Background(), COM, "after")
		require.NoError(t, err)
		assert.Equal(t, "done after", v)
		cancel()
		require.ErrorIs(t, <-served, context.Canceled)
	})
}

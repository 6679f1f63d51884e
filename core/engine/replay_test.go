package engine

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// order is a command for the counter below.
type order struct{ Name string }

// counter numbers the orders it takes, answers each with its number, and
// completes it an hour later: state that only a faithful replay rebuilds.
type counter struct {
	n    int
	done []string
}

func (c *counter) Handle(now time.Duration, msg any, out *Out) {
	switch m := msg.(type) {
	case order:
		c.n++
		id := fmt.Sprintf("%s-%d", m.Name, c.n)
		out.Record(store.Record{Kind: "order", Entity: id, To: "acknowledged"})
		out.Send(COM, time.Hour, id)
		out.Reply(id)
	case string:
		c.done = append(c.done, m)
		out.Record(store.Record{Kind: "order", Entity: m, To: "completed"})
	}
}

// A command is answered once its step is committed, with the handler's
// reply; a command of an unregistered type is refused and not handled.
// A restarted engine replays the input log and reaches the state and the
// journal of the run it replaces, then serves on (docs/architecture.md §2: after a
// crash the driver reloads state from the store).
func TestCommandAndReplay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		codec := NewCodec(order{})
		mem := store.NewMemory()
		start := time.Now()
		first := &counter{}
		e := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: mem, Log: mem, Codec: codec})
		e.Handle(COM, first)
		stop := serve(t, e)

		got, err := e.Command(context.Background(), COM, order{"a"})
		require.NoError(t, err)
		assert.Equal(t, "a-1", got)
		assert.Equal(t, 1, mem.Len(), "answered after its record is committed")
		time.Sleep(1500 * time.Millisecond) // a-1 completes at 1h
		got, err = e.Command(context.Background(), COM, order{"b"})
		require.NoError(t, err)
		assert.Equal(t, "b-2", got)
		_, err = e.Command(context.Background(), COM, 42)
		require.ErrorIs(t, err, ErrNotCommand)
		synctest.Wait()
		stop() // "crash": b-2 is not completed yet
		require.Equal(t, []string{"a-1"}, first.done)
		logged := mem.Inputs()
		require.Len(t, logged, 2)
		assert.Equal(t, uint64(0), logged[0].Before)
		assert.Equal(t, uint64(2), logged[1].Before, "b was taken after a and a's completion")

		// Restart: a fresh engine on the same stores, replayed.
		held := mem.Records()
		again := &counter{}
		resumed := store.Resume(mem, held)
		r := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: resumed, Log: mem, Codec: codec})
		r.Handle(COM, again)
		require.NoError(t, r.Replay(context.Background(), logged, resumed.Caught))
		assert.Equal(t, first.n, again.n)
		assert.Equal(t, first.done, again.done)
		assert.Equal(t, len(held), mem.Len(), "the replay committed nothing twice")

		stop = serve(t, r)
		got, err = r.Command(context.Background(), COM, order{"c"})
		require.NoError(t, err)
		assert.Equal(t, "c-3", got, "numbering carries on")
		time.Sleep(2 * time.Hour / 3600)
		synctest.Wait()
		stop()
		assert.Equal(t, []string{"a-1", "b-2", "c-3"}, again.done)
	})
}

// A replay that does not reproduce the journal stops with an error naming
// the record: the state it would build is not the one that was lost.
func TestReplayDiverges(t *testing.T) {
	mem := store.NewMemory()
	require.NoError(t, mem.Append([]store.Record{{Kind: "order", Entity: "x-1", To: "acknowledged"}}))
	codec := NewCodec(order{})
	kind, body, err := codec.Encode(order{"a"})
	require.NoError(t, err)
	resumed := store.Resume(mem, mem.Records())
	e := New(Options{Store: resumed, Codec: codec})
	e.Handle(COM, &counter{})
	err = e.Replay(context.Background(), []store.Input{{Kind: kind, Body: body, To: uint8(COM)}}, resumed.Caught)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "replay diverged at record 1")
}

// serve has e serve until the returned stop, which checks that it stopped
// for being told to.
func serve(t *testing.T, e *Engine) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Serve(ctx) }()
	return func() {
		t.Helper()
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	}
}

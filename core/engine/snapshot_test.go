package engine

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ticker is a component with state (a count) and a timer of its own that
// waits in the queue.
type ticker struct{ n int }

type tick struct{ Left int }

func (t *ticker) Handle(now time.Duration, msg any, out *Out) {
	m := msg.(tick)
	t.n++
	out.Record(store.Record{Kind: "tick", Entity: strconv.Itoa(t.n), To: strconv.Itoa(m.Left)})
	if m.Left > 0 {
		out.Send(COM, time.Duration(t.n)*time.Minute, tick{m.Left - 1})
	}
}

func (t *ticker) Messages() []any { return []any{tick{}} }

func (t *ticker) Snapshot() ([]byte, error) { return []byte(strconv.Itoa(t.n)), nil }

func (t *ticker) Restore(b []byte) (err error) {
	t.n, err = strconv.Atoi(string(b))
	return err
}

// tickers is an engine with a ticker and two timers queued.
func tickers(j store.Journal) *Engine {
	e := New(Options{Store: j})
	e.Handle(COM, &ticker{})
	e.Inject(0, COM, tick{5})
	e.Inject(time.Minute, COM, tick{3})
	return e
}

// §2 snapshots: an engine restored from a snapshot taken between two
// steps, its queue and its components' state, runs on as the saved one
// would have: the same records after the snapshot, the same end state.
func TestSnapshotRestoresQueueAndParts(t *testing.T) {
	whole := store.NewMemory()
	w := tickers(whole)
	require.NoError(t, w.Run(context.Background()))
	end, err := w.Snapshot()
	require.NoError(t, err)

	cut := store.NewMemory()
	e := tickers(cut)
	require.NoError(t, e.RunUntil(context.Background(), 4*time.Minute))
	snap, err := e.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, uint64(len(cut.Records())), snap.Records)
	assert.Equal(t, e.Processed(), snap.Inputs)

	tail := store.NewMemory()
	fresh := tickers(tail)
	require.NoError(t, fresh.Restore(snap))
	assert.Equal(t, e.Pending(), fresh.Pending(), "the queue is the snapshot's, not the one built")
	require.NoError(t, fresh.Run(context.Background()))
	assert.Equal(t, whole.Records()[snap.Records:], tail.Records())
	last, err := fresh.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, end, last)
}

// shelfTicker is a ticker that reads the shelf once restored
// (ShelfRestorer), failing when told to.
type shelfTicker struct {
	ticker
	shelf store.Shelf
	calls int
	// had is the count restored when the shelf was given.
	had  int
	fail error
}

func (s *shelfTicker) RestoreShelf(shelf store.Shelf) error {
	s.shelf, s.calls, s.had = shelf, s.calls+1, s.n
	return s.fail
}

// A part that reads the shelf once restored is given the engine's, after
// every part is restored; its error is the restore's, naming the part.
func TestRestoreGivesTheShelf(t *testing.T) {
	run := tickers(nil)
	require.NoError(t, run.RunUntil(context.Background(), 4*time.Minute))
	snap, err := run.Snapshot()
	require.NoError(t, err)
	mem := store.NewMemory()
	e := New(Options{Store: mem})
	part := &shelfTicker{}
	e.Handle(COM, part)
	require.NoError(t, e.Restore(snap))
	assert.Equal(t, 1, part.calls)
	assert.Same(t, store.Shelf(mem), part.shelf)
	assert.Positive(t, part.had, "the part's state restored first")

	e = New(Options{})
	e.Handle(COM, &shelfTicker{fail: errors.New("no shelf to read")})
	assert.ErrorContains(t, e.Restore(snap), "restore: COM: no shelf to read")
}

// A snapshot names the part that keeps none; a restore refuses a body cut
// short or one of another system, naming what is wrong.
func TestSnapshotRefusals(t *testing.T) {
	e := New(Options{})
	e.Handle(SOM, recorder{log: new([]string)})
	_, err := e.Snapshot()
	assert.ErrorContains(t, err, "component SOM")

	snap, err := tickers(nil).Snapshot()
	require.NoError(t, err)
	cut := snap
	cut.Body = snap.Body[:len(snap.Body)-1]
	assert.ErrorContains(t, tickers(nil).Restore(cut), "cut short")

	other := New(Options{})
	other.Handle(COM, &ticker{})
	other.Keep("more", &ticker{})
	assert.ErrorContains(t, other.Restore(snap), fmt.Sprintf("%q", []string{"COM"}))
}

// A snapshot of an earlier build, whose body began with the gob of the
// engine's state, restores as it did; a part that appends its state
// (StateAppender) gives the bytes its Snapshot gives.
func TestRestoreAnEarlierBuildsSnapshot(t *testing.T) {
	e := tickers(nil)
	require.NoError(t, e.RunUntil(context.Background(), 4*time.Minute))
	snap, err := e.Snapshot()
	require.NoError(t, err)
	require.Equal(t, byte(savedHead), snap.Body[0])
	st, parts, err := decodeSaved(snap.Body)
	require.NoError(t, err)
	var old bytes.Buffer
	require.NoError(t, gob.NewEncoder(&old).Encode(&st))
	earlier := snap
	earlier.Body = append(old.Bytes(), parts...)

	fresh := tickers(nil)
	require.NoError(t, fresh.Restore(earlier))
	assert.Equal(t, e.Pending(), fresh.Pending())
	again, err := fresh.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, snap, again)
	assert.ErrorContains(t, tickers(nil).Restore(store.Snapshot{Body: snap.Body[:3]}), "cut short")
}

// appending is a ticker whose state is appended to the engine's buffer.
type appending struct{ ticker }

func (a *appending) AppendState(b []byte) ([]byte, error) {
	return strconv.AppendInt(b, int64(a.n), 10), nil
}

// A part that appends its state to the buffer the engine keeps gives the
// bytes its Snapshot gives, and a snapshot taken later, into the same
// buffer, leaves the bodies of earlier ones as they were.
func TestAppendedStatesKeepEarlierSnapshots(t *testing.T) {
	plain, app := tickers(nil), New(Options{})
	app.Handle(COM, &appending{})
	app.Inject(0, COM, tick{5})
	app.Inject(time.Minute, COM, tick{3})
	var kept, copies [][]byte
	for _, at := range []time.Duration{2 * time.Minute, 4 * time.Minute, 9 * time.Minute} {
		require.NoError(t, plain.RunUntil(context.Background(), at))
		require.NoError(t, app.RunUntil(context.Background(), at))
		want, err := plain.Snapshot()
		require.NoError(t, err)
		got, err := app.Snapshot()
		require.NoError(t, err)
		require.Equal(t, want, got, "at %s", at)
		kept, copies = append(kept, got.Body), append(copies, bytes.Clone(got.Body))
	}
	assert.Equal(t, copies, kept, "the bodies of earlier snapshots")
	app.Trim()
	assert.Nil(t, app.scratch, "an idle engine lets its buffers go")
	want, err := plain.Snapshot()
	require.NoError(t, err)
	got, err := app.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, want, got, "and encodes into new ones")
	assert.NotEqual(t, kept[0], kept[2])
}

// A snapshot describes the types of its queued inputs once a kind: each
// input's body is its message alone, and the restored queue is the saved.
func TestQueuedTypesDescribedOnce(t *testing.T) {
	e := New(Options{})
	e.Handle(COM, &ticker{})
	for i := range 5 {
		e.Inject(time.Duration(i)*time.Minute, COM, tick{i})
	}
	snap, err := e.Snapshot()
	require.NoError(t, err)
	st, _, err := decodeSaved(snap.Body)
	require.NoError(t, err)
	require.Len(t, st.Queue, 5)
	require.Len(t, st.Heads, 1)
	assert.Equal(t, "engine.tick", st.Heads[0].Kind)
	for _, q := range st.Queue {
		assert.True(t, q.Split)
		assert.Less(t, len(q.Body), len(st.Heads[0].Head), "the message alone")
	}
	fresh := New(Options{})
	fresh.Handle(COM, &ticker{})
	require.NoError(t, fresh.Restore(snap))
	assert.Equal(t, e.Pending(), fresh.Pending())
	again, err := fresh.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, snap, again)
}

// sized is a part whose state is size bytes.
type sized struct {
	ticker
	size int
}

func (s *sized) AppendState(b []byte) ([]byte, error) { return append(b, make([]byte, s.size)...), nil }

// The engine keeps the buffer a part's state was encoded into while the
// state fills more than a quarter of it: once the state has shrunk (a
// busy spell's orders finished), the peak's buffer goes with the
// snapshot written.
func TestShrunkStateLetsItsRoomGo(t *testing.T) {
	e := New(Options{})
	part := &sized{size: 4 << 20}
	e.Handle(COM, part)
	_, err := e.Snapshot()
	require.NoError(t, err)
	require.GreaterOrEqual(t, cap(e.scratch[0]), 4<<20, "kept for the next")
	part.size = 100 << 10
	snap, err := e.Snapshot()
	require.NoError(t, err)
	assert.Zero(t, cap(e.scratch[0]), "the state fills less than a quarter: let go")
	assert.Greater(t, len(snap.Body), 100<<10, "what was encoded into it is the snapshot's")
	_, err = e.Snapshot()
	require.NoError(t, err)
	assert.Less(t, cap(e.scratch[0]), 1<<20, "the next is encoded into room of its size")
}

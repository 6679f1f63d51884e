package engine

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store"
)

// halfway is the counter of replay_test.go, but an order named "boom"
// is counted, and then its handler panics: the count is changed by an
// input the engine refuses.
type halfway struct{ counter }

func (h *halfway) Handle(now time.Duration, msg any, out *Out) {
	h.counter.Handle(now, msg, out)
	if o, ok := msg.(order); ok && o.Name == "boom" {
		var none []int
		_ = none[len(o.Name)]
	}
}

// Snapshot and Restore keep the count.
func (h *halfway) Snapshot() ([]byte, error) { return []byte(strconv.Itoa(h.n)), nil }
func (h *halfway) Restore(b []byte) (err error) {
	h.n, err = strconv.Atoi(string(b))
	return err
}

// A serving engine whose component panics on a command refuses it,
// answers it, and stops (ErrPanicked) without a snapshot of the state the
// panic left; the restart's replay does not hand the command to the
// component again, so the state is the one before it, the journal is the
// same, and the engine serves on from there.
func TestServingEngineStopsOnAPanicAndItsReplayHeals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		codec := NewCodec(order{}, "")
		mem := store.NewMemory()
		start := time.Now()
		first := &halfway{}
		e := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: mem, Log: mem, Codec: codec,
			Snapshots: SnapshotPolicy{Store: mem, Every: 1 << 30, Interval: time.Hour}})
		e.Handle(COM, first)
		done := make(chan error, 1)
		go func() { done <- e.Serve(context.Background()) }()

		got, err := e.Command(context.Background(), COM, order{"a"})
		require.NoError(t, err)
		assert.Equal(t, "a-1", got)
		_, err = e.Command(context.Background(), COM, order{"boom"})
		var refusal *Refusal
		require.ErrorAs(t, err, &refusal)
		assert.True(t, refusal.Panicked)
		require.ErrorIs(t, <-done, ErrPanicked, "the engine stopped")
		assert.Equal(t, 2, first.n, "the panic left the count changed")
		_, ok, err := mem.LatestSnapshot()
		require.NoError(t, err)
		assert.False(t, ok, "no snapshot of that state")

		held, logged := mem.Records(), mem.Inputs()
		require.Len(t, logged, 2)
		resumed := store.Resume(mem, held)
		again := &halfway{}
		r := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: resumed, Log: mem, Codec: codec})
		r.Handle(COM, again)
		require.NoError(t, r.Replay(context.Background(), logged, resumed.Caught))
		assert.True(t, resumed.Caught(), "the journal is reproduced, the refusal too")
		assert.Equal(t, 1, again.n, "the state is the one before the input it panicked on")
		assert.Equal(t, len(held), mem.Len(), "the replay committed nothing twice")

		stop := serve(t, r)
		got, err = r.Command(context.Background(), COM, order{"c"})
		require.NoError(t, err, "it serves on")
		assert.Equal(t, "c-2", got)
		synctest.Wait()
		stop()
	})
}

// shelver records each order and shelves it as it goes.
type shelver struct{ counter }

func (s *shelver) Handle(now time.Duration, msg any, out *Out) {
	s.counter.Handle(now, msg, out)
	if o, ok := msg.(order); ok {
		out.Shelve(store.Doc{Kind: "order", ID: o.Name, Body: []byte(`{}`)})
	}
}

// fullDisk is a store whose shelf cannot be written.
type fullDisk struct{ *store.Memory }

func (fullDisk) Shelve([]store.Doc) error { return errors.New("database or disk is full") }

// A replay shelves nothing its journal shows shelved already (the records
// of the step that shelved it are held): a restart on a full disk
// replays, instead of failing on a write it need not make.
func TestReplayOnAFullDiskWritesNothing(t *testing.T) {
	codec := NewCodec(order{}, "")
	mem := store.NewMemory()
	e := New(Options{Store: mem, Log: mem, Codec: codec})
	e.Handle(COM, &shelver{})
	for i, name := range []string{"a", "b"} {
		kind, body, err := codec.Encode(order{name})
		require.NoError(t, err)
		require.NoError(t, mem.LogInputs([]store.Input{{Kind: kind, Body: body, To: uint8(COM), Before: uint64(i)}}))
		e.Inject(0, COM, order{name})
	}
	require.NoError(t, e.Run(context.Background()))
	_, ok, err := mem.Shelved("order", "b")
	require.NoError(t, err)
	require.True(t, ok)

	resumed := store.Resume(fullDisk{mem}, mem.Records())
	r := New(Options{Store: resumed, Codec: codec})
	r.Handle(COM, &shelver{})
	require.NoError(t, r.Replay(context.Background(), mem.Inputs(), resumed.Caught))
	assert.True(t, resumed.Caught())
}

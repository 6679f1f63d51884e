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

// §2 a serving engine's snapshot is due after Every inputs or Interval of
// wall time, whichever comes first, but never sooner than nine times the
// last one's cost after it; and never with nothing handled since, nor
// without a store. The defaults: every 50,000 inputs or a minute.
func TestSnapshotDue(t *testing.T) {
	p := SnapshotPolicy{}.withDefaults()
	assert.Equal(t, uint64(50_000), p.Every)
	assert.Equal(t, time.Minute, p.Interval)

	s := &snapshots{SnapshotPolicy: SnapshotPolicy{Store: store.NewMemory(), Every: 1000, Interval: time.Minute}}
	at := func(ago time.Duration) { s.lastAt = time.Now().Add(-ago) }
	s.last = 5000
	at(time.Second)
	assert.False(t, s.due(5999), "neither count nor interval")
	assert.True(t, s.due(6000), "Every inputs")
	at(61 * time.Second)
	assert.True(t, s.due(5001), "Interval")
	assert.False(t, s.due(5000), "nothing handled since")

	s.cost.Store(int64(2 * time.Second))
	at(17 * time.Second)
	assert.False(t, s.due(9000), "a snapshot that cost 2 s: none for 18 s after it")
	at(19 * time.Second)
	assert.True(t, s.due(9000))
	s.cost.Store(int64(10 * time.Second))
	at(61 * time.Second)
	assert.False(t, s.due(9000), "the interval does not beat the tenth")

	s.Store = nil
	at(time.Hour)
	s.cost.Store(0)
	assert.False(t, s.due(9000), "no store")
}

// burster answers "burst" with many inputs of the same instant, and stops
// its engine (cancel) as it handles the first of them.
type burster struct {
	cancel func()
	ticks  int
}

func (b *burster) Handle(_ time.Duration, msg any, out *Out) {
	switch msg.(type) {
	case order:
		for range 50 {
			out.Send(COM, 0, "tick")
		}
		out.Reply("bursting")
	case string:
		if b.ticks == 0 {
			b.cancel()
		}
		b.ticks++
		out.Record(store.Record{Kind: "tick", Entity: fmt.Sprint(b.ticks)})
	}
}

func (b *burster) Snapshot() ([]byte, error) { return []byte(fmt.Sprint(b.ticks)), nil }
func (b *burster) Restore(state []byte) error {
	_, err := fmt.Sscan(string(state), &b.ticks)
	return err
}

// §2 a clean stop in the middle of an instant's inputs (a step takes a
// batch of them) handles the rest of that instant first, then takes its
// snapshot: the restart replays nothing.
func TestCleanStopEndsTheInstant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := store.NewMemory()
		ctx, cancel := context.WithCancel(context.Background())
		b := &burster{cancel: cancel}
		e := New(Options{Clock: &Wall{Start: time.Now(), Scale: 3600}, Store: mem, Log: mem, Codec: NewCodec(order{}), Batch: 5,
			Snapshots: SnapshotPolicy{Store: mem, Every: 1 << 40, Interval: time.Hour}})
		e.Handle(COM, b)
		done := make(chan error)
		go func() { done <- e.Serve(ctx) }()
		_, err := e.Command(context.Background(), COM, order{"a"})
		require.NoError(t, err)
		require.ErrorIs(t, <-done, context.Canceled)
		assert.Equal(t, 50, b.ticks, "the instant's inputs all handled")
		snap, ok, err := mem.LatestSnapshot()
		require.NoError(t, err)
		require.True(t, ok, "the clean stop took its snapshot")
		assert.Equal(t, uint64(51), snap.Inputs, "the command and its 50 ticks")
		assert.Equal(t, 50, mem.Len())
	})
}

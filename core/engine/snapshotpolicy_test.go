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

// tally counts the commands it handles; its state is appended to the
// buffer the engine keeps for it (StateAppender).
type tally struct{ n int }

func (c *tally) Handle(_ time.Duration, _ any, out *Out) {
	c.n++
	out.Record(store.Record{Kind: "count", Entity: fmt.Sprint(c.n)})
	out.Reply(c.n)
}

func (c *tally) AppendState(b []byte) ([]byte, error) { return fmt.Appendf(b, "count %08d", c.n), nil }
func (c *tally) Snapshot() ([]byte, error)            { return c.AppendState(nil) }
func (c *tally) Restore(state []byte) error {
	_, err := fmt.Sscanf(string(state), "count %d", &c.n)
	return err
}

// slowSnapshots is a store whose snapshots are written only when let.
type slowSnapshots struct {
	*store.Memory
	let     chan struct{}
	writing chan store.Snapshot
}

func (s slowSnapshots) SaveSnapshot(snap store.Snapshot) error {
	s.writing <- snap
	<-s.let
	return s.Memory.SaveSnapshot(snap)
}

// §2 a serving engine encodes a snapshot between two steps, standing
// still for that only: the store writes it beside the engine, in pieces
// read from the buffers it was encoded into, while commands are answered;
// the next snapshot waits for it (it would encode into those buffers), so
// the one written is the state encoded, byte for byte.
func TestSnapshotWrittenBesideTheEngine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := store.NewMemory()
		slow := slowSnapshots{Memory: mem, let: make(chan struct{}), writing: make(chan store.Snapshot, 1)}
		ctx, cancel := context.WithCancel(context.Background())
		e := New(Options{Clock: &Wall{Start: time.Now(), Scale: 1}, Store: mem, Log: mem, Codec: NewCodec(order{}),
			Snapshots: SnapshotPolicy{Store: slow, Every: 1, Interval: time.Hour}})
		c := &tally{}
		e.Handle(COM, c)
		done := make(chan error)
		go func() { done <- e.Serve(ctx) }()

		got, err := e.Command(context.Background(), COM, order{"first"})
		require.NoError(t, err)
		assert.Equal(t, 1, got)
		first := <-slow.writing
		assert.NotNil(t, first.Pieces, "written from the engine's buffers, never assembled")
		written := first.Whole().Body
		for n := 2; n <= 4; n++ {
			got, err := e.Command(context.Background(), COM, order{"more"})
			require.NoError(t, err, "answered while the snapshot is written")
			assert.Equal(t, n, got)
		}
		taken := make(chan store.Snapshot)
		go func() {
			_ = e.Query(context.Background(), func() {
				s, err := e.Snapshot()
				assert.NoError(t, err)
				taken <- s
			})
		}()
		synctest.Wait()
		select {
		case <-taken:
			t.Fatal("a snapshot encoded into the buffers of the one being written")
		default:
		}
		close(slow.let)
		later := <-taken
		assert.Equal(t, uint64(1), first.Inputs)
		assert.Contains(t, string(written), "count 00000001", "the state encoded, not the state since")
		assert.Contains(t, string(later.Body), "count 00000004")
		saved, ok, err := mem.LatestSnapshot()
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, written, saved.Body, "kept as encoded: the next snapshot waited")
		cancel()
		<-slow.writing // the clean stop's
		require.ErrorIs(t, <-done, context.Canceled)
	})
}

// §2 snapshots taken beside the engine (SnapshotPolicy.Take): while it is
// given commands, a serving engine only marks the point, once the point's
// records are committed, and answers the next commands while the
// snapshot is taken; the store keeps what Take gives. Once the latest
// snapshot is small, or on a clean stop, the engine encodes its own.
func TestSnapshotTakenBesideWhileCommanded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := store.NewMemory()
		points, let := make(chan store.Snapshot, 1), make(chan struct{})
		take := func(ctx context.Context, at store.Snapshot) (store.Snapshot, time.Duration, error) {
			assert.Len(t, mem.Records(), int(at.Records), "taken once the point's records are committed")
			points <- at
			<-let
			at.Body = []byte("beside")
			return at, time.Millisecond, nil
		}
		ctx, cancel := context.WithCancel(context.Background())
		e := New(Options{Clock: &Wall{Start: time.Now(), Scale: 1}, Store: mem, Log: mem, Codec: NewCodec(order{}),
			Snapshots: SnapshotPolicy{Store: mem, Every: 1, Interval: time.Hour, Take: take}})
		e.Handle(COM, &tally{})
		done := make(chan error)
		go func() { done <- e.Serve(ctx) }()

		_, err := e.Command(context.Background(), COM, order{"first"})
		require.NoError(t, err)
		at := <-points
		assert.Equal(t, uint64(1), at.Inputs)
		assert.Equal(t, uint64(1), at.Records)
		for n := 2; n <= 3; n++ {
			got, err := e.Command(context.Background(), COM, order{"more"})
			require.NoError(t, err, "answered while the snapshot is taken")
			assert.Equal(t, n, got)
		}
		close(let)
		synctest.Wait()
		kept, ok, err := mem.LatestSnapshot()
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "beside", string(kept.Body), "the store keeps what was taken beside")
		assert.Equal(t, uint64(1), kept.Inputs)

		time.Sleep(10 * time.Millisecond) // the bubble's clock: past nine times its cost
		_, err = e.Command(context.Background(), COM, order{"fourth"})
		require.NoError(t, err)
		synctest.Wait()
		select {
		case <-points:
			t.Fatal("a small state taken beside the engine")
		default:
		}
		kept, _, err = mem.LatestSnapshot()
		require.NoError(t, err)
		assert.Contains(t, string(kept.Body), "count 0000000", "a small state: the engine encodes its own")
		assert.Greater(t, kept.Inputs, uint64(1))
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
		kept, _, err = mem.LatestSnapshot()
		require.NoError(t, err)
		assert.Contains(t, string(kept.Body), "count 00000004", "the clean stop's own")
	})
}

// §2 a snapshot taken beside the engine that fails (the helper could not
// rebuild the point) is told with its error, changes nothing kept, and
// costs its processor time like one that succeeds: the engine serves on,
// and the next is taken nine times that later, not at every step, by the
// engine itself; the one after that beside it again.
func TestSnapshotTakenBesideFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := store.NewMemory()
		// The engine's own snapshot is written while it goes on; the test
		// holds that write, so that the next one is due only once it lands
		// (else whether the command after it finds it written is a race).
		written := make(chan struct{})
		kept := heldSnapshots{Snapshots: mem, written: written}
		tries := 0
		take := func(context.Context, store.Snapshot) (store.Snapshot, time.Duration, error) {
			tries++
			return store.Snapshot{}, time.Second, fmt.Errorf("the helper died")
		}
		var told []error
		var cpu []time.Duration
		ctx, cancel := context.WithCancel(context.Background())
		e := New(Options{Clock: &Wall{Start: time.Now(), Scale: 1}, Store: mem, Log: mem, Codec: NewCodec(order{}),
			Snapshots: SnapshotPolicy{Store: kept, Every: 1, Interval: time.Hour, Take: take, TakeAlways: true,
				Told: func(_ store.Snapshot, took SnapshotTook, err error) {
					told, cpu = append(told, err), append(cpu, took.CPU)
				}}})
		e.Handle(COM, &tally{})
		done := make(chan error)
		go func() { done <- e.Serve(ctx) }()

		for n := 1; n <= 5; n++ {
			got, err := e.Command(context.Background(), COM, order{"more"})
			require.NoError(t, err, "served on")
			assert.Equal(t, n, got)
			synctest.Wait()
		}
		assert.Equal(t, 1, tries, "not tried again before nine times its cost")
		require.Len(t, told, 1)
		assert.ErrorContains(t, told[0], "the helper died")
		assert.Equal(t, time.Second, cpu[0], "its cost: the helper's processor time")
		_, ok, err := mem.LatestSnapshot()
		require.NoError(t, err)
		assert.False(t, ok, "nothing kept")

		time.Sleep(9 * time.Second) // the bubble's clock
		_, err = e.Command(context.Background(), COM, order{"later"})
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, 1, tries)
		close(written)
		synctest.Wait()
		own, ok, err := mem.LatestSnapshot()
		require.NoError(t, err)
		require.True(t, ok)
		assert.Contains(t, string(own.Body), "count 00000005", "after a failure, the engine's own, when next due")
		time.Sleep(time.Second)
		_, err = e.Command(context.Background(), COM, order{"later still"})
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, 2, tries, "then beside it again")
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
		last, _, err := mem.LatestSnapshot()
		require.NoError(t, err)
		assert.Contains(t, string(last.Body), "count 00000007", "the clean stop's, the engine's own")
	})
}

// heldSnapshots keeps snapshots in Snapshots once written is closed.
type heldSnapshots struct {
	store.Snapshots
	written chan struct{}
}

func (h heldSnapshots) SaveSnapshot(s store.Snapshot) error {
	<-h.written
	return h.Snapshots.SaveSnapshot(s)
}

// §2 an engine restored from a large snapshot takes its first snapshot
// beside it, though no command came since: it catches up the timers its
// downtime left due, and the clients coming back would wait out a pause.
// The next, with no command either, is its own; so is the first of an
// engine whose latest snapshot's size it does not know (replayed from
// T+0), or was small.
func TestSnapshotBesideAfterARestart(t *testing.T) {
	for _, c := range []struct {
		name   string
		size   int64
		beside bool
	}{{"large", besideMin, true}, {"small", besideMin - 1, false}, {"unknown", -1, false}} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mem := store.NewMemory()
				first := New(Options{Clock: &Wall{Start: time.Now(), Scale: 1}, Store: mem, Log: mem, Codec: NewCodec(order{})})
				first.Handle(COM, &tally{})
				stop := serve(t, first)
				for range 3 {
					_, err := first.Command(context.Background(), COM, order{"before"})
					require.NoError(t, err)
				}
				stop()

				points := make(chan store.Snapshot, 2)
				take := func(_ context.Context, at store.Snapshot) (store.Snapshot, time.Duration, error) {
					points <- at
					at.Body = []byte("beside")
					return at, time.Millisecond, nil
				}
				resumed := store.Resume(mem, mem.Records())
				again := New(Options{Clock: &Wall{Start: time.Now(), Scale: 1}, Store: resumed, Log: mem, Codec: NewCodec(order{}),
					Snapshots: SnapshotPolicy{Store: mem, Every: 1, Interval: time.Hour, Take: take}})
				again.Handle(COM, &tally{})
				require.NoError(t, again.Replay(context.Background(), mem.Inputs(), resumed.Caught))
				again.snaps.size.Store(c.size) // as restored from a snapshot of that size
				again.Inject(time.Hour, COM, "a timer the downtime left due")
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error)
				go func() { done <- again.Serve(ctx) }()
				synctest.Wait()
				select {
				case at := <-points:
					assert.True(t, c.beside, "a restart's first snapshot taken beside the engine")
					assert.Equal(t, uint64(3), at.Inputs, "the point after the replay")
				default:
					assert.False(t, c.beside, "the restarted engine's first snapshot was not taken beside it")
				}
				time.Sleep(2 * time.Hour) // the timer, then past nine times the snapshot's cost
				synctest.Wait()
				select {
				case <-points:
					t.Fatal("a later snapshot with no command taken beside the engine")
				default:
				}
				kept, ok, err := mem.LatestSnapshot()
				require.NoError(t, err)
				require.True(t, ok)
				assert.Contains(t, string(kept.Body), "count 00000004", "the engine's own, with the timer handled")
				cancel()
				require.ErrorIs(t, <-done, context.Canceled)
			})
		})
	}
}

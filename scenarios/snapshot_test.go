package scenarios

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/require"
)

// errCut stops a run at a cut point (cutClock).
var errCut = errors.New("cut")

// cutClock is the virtual clock of a run stopped before its first instant
// after at: the engine is then between two steps.
type cutClock struct{ at time.Duration }

func (c *cutClock) WaitUntil(_ context.Context, next time.Duration) error {
	if next > c.at {
		return errCut
	}
	return nil
}

// cuts returns n instants spread over a run of spec that lasts until end.
func cuts(end time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = end * time.Duration(i+1) / time.Duration(n+1)
	}
	return out
}

// runTo runs a new system of spec, with opt, to the cut at and returns
// it.
func runTo(t *testing.T, spec Spec, opt Options, at time.Duration) *System {
	t.Helper()
	opt.Clock = &cutClock{at}
	s, err := New(spec, opt)
	require.NoError(t, err)
	err = s.Engine.Run(context.Background())
	if err != nil {
		require.ErrorIs(t, err, errCut)
	}
	return s
}

// §2 snapshots: a system restored from a snapshot taken at a cut point and
// run on gives exactly what the uninterrupted run gives: the same journal
// records after the cut, and the same state at the end (the same
// snapshot, byte for byte). Cut points all along the worked example and
// scenarios with faults, planning tasks, an SLA breach and changes; with
// finished orders leaving memory after an hour, and without.
func TestSnapshotThenTailIsTheWholeRun(t *testing.T) {
	for _, file := range snapshotScenarios {
		for _, retention := range []time.Duration{0, time.Hour} {
			t.Run(file+" retention "+retention.String(), func(t *testing.T) { snapshotThenTail(t, file, retention) })
		}
	}
}

func snapshotThenTail(t *testing.T, file string, retention time.Duration) {
	sc, err := Load(file)
	require.NoError(t, err)
	specThenTail(t, sc.Spec, retention)
}

// specThenTail is snapshotThenTail of a spec.
func specThenTail(t *testing.T, spec Spec, retention time.Duration) {
	t.Helper()
	whole, err := New(spec, Options{Journal: store.NewMemory(), Retention: retention})
	require.NoError(t, err)
	require.NoError(t, whole.Engine.Run(context.Background()))
	want := whole.Journal.(*store.Memory).Records()
	end, err := whole.Engine.Snapshot()
	require.NoError(t, err)
	for _, at := range cuts(whole.Engine.Now(), 10) {
		s := runTo(t, spec, Options{Journal: store.NewMemory(), Retention: retention}, at)
		snap, err := s.Engine.Snapshot()
		require.NoError(t, err, "at %s", at)
		require.Equal(t, want[:snap.Records], s.Journal.(*store.Memory).Records())

		tail := store.NewMemory()
		copyShelf(t, s.Journal.(*store.Memory), tail)
		fresh, err := New(spec, Options{Journal: tail, Retention: retention})
		require.NoError(t, err)
		require.NoError(t, fresh.Engine.Restore(snap), "at %s", at)
		again, err := fresh.Engine.Snapshot()
		require.NoError(t, err)
		require.Equal(t, snap.Body, again.Body, "restored at %s, the state is the one saved", at)
		require.NoError(t, fresh.Engine.Run(context.Background()))
		require.Equal(t, want[snap.Records:], tail.Records(), "run on from %s", at)
		last, err := fresh.Engine.Snapshot()
		require.NoError(t, err)
		require.Equal(t, end, last, "run on from %s, the end state is the whole run's", at)
	}
}

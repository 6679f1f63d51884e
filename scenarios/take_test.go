package scenarios

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/system"
	"github.com/stretchr/testify/require"
)

// §2 snapshots taken beside the engine: a snapshot that another process
// takes from the store at a point the writer's engine marked
// (system.TakeSnapshot: the latest snapshot and the tail after it
// replayed to the point, from a store it only reads) is the snapshot the
// engine would have encoded there, byte for byte. A restart from it runs
// on to exactly the uninterrupted run's journal and end state. Cuts all
// along scenarios with faults, changes and finished orders leaving memory,
// from an earlier snapshot and from T+0; the reading process writes
// nothing.
func TestSnapshotTakenBesideIsTheWritersState(t *testing.T) {
	for _, file := range []string{"globaltech-5site.yaml", "flaky-netconf.yaml", "v2-changes-in-flight.yaml", "cancel-mid-rollout.yaml"} {
		for _, retention := range []time.Duration{0, time.Hour} {
			t.Run(file+" retention "+retention.String(), func(t *testing.T) { takenBeside(t, file, retention) })
		}
	}
}

func takenBeside(t *testing.T, file string, retention time.Duration) {
	ctx := context.Background()
	sc, err := Load(file)
	require.NoError(t, err)
	whole, err := New(sc.Spec, Options{Journal: store.NewMemory(), Retention: retention})
	require.NoError(t, err)
	require.NoError(t, whole.Engine.Run(ctx))
	want := whole.Journal.(*store.Memory).Records()
	end, err := whole.Engine.Snapshot()
	require.NoError(t, err)
	build := func(j store.Journal, log store.InputLog) (*System, error) {
		return New(sc.Spec, Options{Journal: j, Log: log, Retention: retention})
	}
	for i, at := range cuts(whole.Engine.Now(), 4) {
		db := filepath.Join(t.TempDir(), "serve.db")
		st, err := sqlite.Open(db, sqlite.Options{})
		require.NoError(t, err)
		clock := &cutClock{at / 2}
		s, err := New(sc.Spec, Options{Journal: st, Log: st, Retention: retention, Clock: clock})
		require.NoError(t, err)
		if err := s.Engine.Run(ctx); err != nil {
			require.ErrorIs(t, err, errCut)
		}
		if i%2 == 1 { // every other cut from an earlier snapshot, the others from T+0
			earlier, err := s.Engine.Snapshot()
			require.NoError(t, err)
			require.NoError(t, st.SaveSnapshot(earlier))
		}
		clock.at = at
		if err := s.Engine.Run(ctx); err != nil {
			require.ErrorIs(t, err, errCut)
		}
		records, kept := st.Len(), latest(t, st)
		own, err := s.Engine.Snapshot()
		require.NoError(t, err)

		beside, err := sqlite.Open(db, sqlite.Options{})
		require.NoError(t, err)
		taken, err := system.TakeSnapshot(ctx, beside, build, store.Snapshot{Inputs: own.Inputs, Records: own.Records, At: own.At})
		require.NoError(t, err, "at %s", at)
		require.NoError(t, beside.Close())
		require.Equal(t, own, taken, "at %s: the state the writer's engine had", at)
		require.Equal(t, records, st.Len(), "the process beside wrote no record")
		require.Equal(t, kept, latest(t, st), "nor a snapshot")

		require.NoError(t, st.SaveSnapshot(taken))
		restarted, err := system.ReplayFrom(ctx, st, build, &taken, slog.New(slog.DiscardHandler))
		require.NoError(t, err, "at %s", at)
		require.NoError(t, restarted.Engine.Run(ctx))
		all, err := st.RecordsAfter(0)
		require.NoError(t, err)
		require.Equal(t, want, all, "restarted from the snapshot taken at %s", at)
		last, err := restarted.Engine.Snapshot()
		require.NoError(t, err)
		require.Equal(t, end, last, "restarted from the snapshot taken at %s, the end state is the whole run's", at)
		require.NoError(t, st.Close())
	}
}

// latest is the number of inputs of st's latest snapshot, 0 for none.
func latest(t *testing.T, st store.Snapshots) uint64 {
	t.Helper()
	s, _, err := st.LatestSnapshot()
	require.NoError(t, err)
	return s.Inputs
}

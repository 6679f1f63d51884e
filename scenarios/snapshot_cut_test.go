package scenarios

import (
	"context"
	"errors"
	"testing"
	"time"

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

// runTo runs a new system of spec to the cut at and returns it.
func runTo(t *testing.T, spec Spec, at time.Duration) *System {
	t.Helper()
	s, err := New(spec, Options{Clock: &cutClock{at}})
	require.NoError(t, err)
	err = s.Engine.Run(context.Background())
	if err != nil {
		require.ErrorIs(t, err, errCut)
	}
	return s
}

// §2 snapshots: COM's state round-trips at many cut points of the worked
// example and of scenarios with planning tasks, an SLA breach and changes.
func TestCOMSnapshotRoundTrips(t *testing.T) {
	for _, file := range []string{"globaltech-5site.yaml", "brisbane-capacity.yaml", "pilot-sla-breach.yaml", "speed-upgrade.yaml", "remove-site.yaml", "cancel-mid-rollout.yaml"} {
		t.Run(file, func(t *testing.T) {
			sc, err := Load(file)
			require.NoError(t, err)
			whole, err := New(sc.Spec, Options{})
			require.NoError(t, err)
			require.NoError(t, whole.Engine.Run(context.Background()))
			for _, at := range cuts(whole.Engine.Now(), 12) {
				s := runTo(t, sc.Spec, at)
				saved, err := s.COM.Snapshot()
				require.NoError(t, err)
				fresh, err := New(sc.Spec, Options{})
				require.NoError(t, err)
				require.NoError(t, fresh.COM.Restore(saved), "at %s", at)
				again, err := fresh.COM.Snapshot()
				require.NoError(t, err)
				require.Equal(t, saved, again, "at %s", at)
			}
		})
	}
}

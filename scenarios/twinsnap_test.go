package scenarios

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stopAt is a virtual clock that stops the run before the first input
// after a cut.
type stopAt time.Duration

var errCut = errors.New("cut")

func (c stopAt) WaitUntil(_ context.Context, at time.Duration) error {
	if at > time.Duration(c) {
		return errCut
	}
	return nil
}

// The twin of a running system, saved at many cut points of the worked
// example and of faulted scenarios, is restored into a system built
// afresh from the same scenario, giving back the same bytes: its pools,
// faults and waiting calls fit, and its callers are found among the new
// engine's repliers.
func TestTwinSnapshotOfRunningSystems(t *testing.T) {
	for _, file := range []string{globaltech, "cpe-lost.yaml", "brisbane-capacity.yaml", "flaky-netconf.yaml",
		"pilot-sla-breach.yaml"} {
		sc := load(t, file)
		for day := 1; day <= 60; day += 3 {
			t.Run(fmt.Sprintf("%s day %d", file, day), func(t *testing.T) {
				sys, err := New(sc.Spec, Options{Clock: stopAt(time.Duration(day) * 24 * time.Hour)})
				require.NoError(t, err)
				err = sys.Engine.Run(context.Background())
				if err != nil {
					require.ErrorIs(t, err, errCut)
				}
				saved, err := sys.Twin.Snapshot()
				require.NoError(t, err)

				fresh, err := New(sc.Spec, Options{})
				require.NoError(t, err)
				require.NoError(t, fresh.Twin.Restore(saved))
				again, err := fresh.Twin.Snapshot()
				require.NoError(t, err)
				assert.Equal(t, saved, again)
				assert.Equal(t, sys.Twin.FaultHits(), fresh.Twin.FaultHits())
			})
		}
	}
}

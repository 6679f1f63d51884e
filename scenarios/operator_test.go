package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/store"
)

// acted is a scenario of the library without its timed events, resolved
// by an operator's action at a time instead.
type acted struct {
	file string
	at   time.Duration
	act  operator.Action
	// done is an entity the action lets reach state (from the scenario's
	// own timeline).
	entity, state string
}

var operatorCases = []acted{
	{"brisbane-capacity.yaml", 26 * 24 * time.Hour,
		operator.Action{Key: "k1", Kind: operator.ConfirmCapacity, Item: "TASK-001", By: "olivia", Note: "line card 2 fitted"}, "SO-WAVE3", "completed"},
	{"pilot-sla-breach.yaml", 9 * 24 * time.Hour,
		operator.Action{Key: "k1", Kind: operator.ReopenGate, Item: "PO-2024-01203/Pilot", By: "olivia", Note: "path re-routed"}, "SO-WAVE2", "completed"},
	{"v2-gates-manual-release.yaml", 3 * 24 * time.Hour,
		operator.Action{Key: "k1", Kind: operator.Release, Item: "PO-2025-00871/Regional", By: "olivia", Note: "regional crews ready"}, "SO-REGIONAL", "completed"},
	// A gate that can no longer open (the pilot failed), released by a
	// person: the rollout goes on without the pilot.
	{"pilot-fails.yaml", 24 * time.Hour,
		operator.Action{Key: "k1", Kind: operator.Release, Item: "PO-2024-01203/Wave 1", By: "olivia", Note: "pilot fault understood"}, "SO-WAVE2", "completed"},
	{"pilot-fails.yaml", 24 * time.Hour,
		operator.Action{Key: "k1", Kind: operator.CancelWaves, Item: "PO-2024-01203/Wave 1", By: "olivia", Note: "customer will re-plan"}, "PO-2024-01203/Wave 2", "cancelled"},
}

// newActed is a system of c's scenario without its events, c's action
// injected at its time (as the API hands it to COM).
func newActed(t *testing.T, c acted, opt Options) *System {
	t.Helper()
	sc, err := Load(c.file)
	require.NoError(t, err)
	sc.Spec.Events = nil
	s, err := New(sc.Spec, opt)
	require.NoError(t, err)
	s.Engine.Inject(c.at, engine.COM, c.act)
	return s
}

// §2 snapshots with people's actions: the holds of the scenario library
// resolved by an operator alone run to the same end from a snapshot at
// any cut, the action's log and keys included.
func TestOperatorActionsSnapshotThenTail(t *testing.T) {
	for _, c := range operatorCases {
		t.Run(c.file, func(t *testing.T) {
			whole := newActed(t, c, Options{Journal: store.NewMemory(), Timeline: true})
			require.NoError(t, whole.Engine.Run(context.Background()))
			want := whole.Journal.(*store.Memory).Records()
			reached := false
			for _, r := range want {
				reached = reached || (r.Name == c.entity || r.Entity == c.entity) && r.To == c.state
			}
			assert.True(t, reached, "%s %s after the action", c.entity, c.state)
			require.Len(t, whole.COM.Actions(), 1)
			assert.Equal(t, c.at, whole.COM.Actions()[0].At)
			end, err := whole.Engine.Snapshot()
			require.NoError(t, err)
			for _, at := range cuts(whole.Engine.Now(), 6) {
				s := newActed(t, c, Options{Journal: store.NewMemory(), Clock: &cutClock{at}})
				if err := s.Engine.Run(context.Background()); err != nil {
					require.ErrorIs(t, err, errCut)
				}
				snap, err := s.Engine.Snapshot()
				require.NoError(t, err, "at %s", at)
				tail := store.NewMemory()
				sc, err := Load(c.file)
				require.NoError(t, err)
				sc.Spec.Events = nil
				fresh, err := New(sc.Spec, Options{Journal: tail})
				require.NoError(t, err)
				// Before the action, the snapshot keeps it queued.
				require.NoError(t, fresh.Engine.Restore(snap), "at %s", at)
				require.NoError(t, fresh.Engine.Run(context.Background()))
				require.Equal(t, want[snap.Records:], tail.Records(), "run on from %s", at)
				last, err := fresh.Engine.Snapshot()
				require.NoError(t, err)
				require.Equal(t, end.Body, last.Body, "run on from %s, the end state is the whole run's", at)
			}
		})
	}
}

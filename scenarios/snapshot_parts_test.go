package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parts are the parts of a system whose snapshots this test checks: SOM,
// ROM, the documents and the peer inbox.
func parts(s *System) map[string]engine.Snapshotter {
	return map[string]engine.Snapshotter{"SOM": s.SOM, "ROM": s.ROM, "docs": s.Docs, "inbox": s.Inbox}
}

// At many cut points of the worked example and of a faulted scenario
// (retries, a held step), SOM, ROM, the documents and the peer inbox save
// their state, which a freshly built system restores and saves again to
// the same bytes.
func TestPartsSnapshotRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, file := range []string{globaltech, "flaky-netconf.yaml", "cpe-lost.yaml"} {
		t.Run(file, func(t *testing.T) {
			sc := load(t, file)
			whole, err := New(sc.Spec, Options{})
			require.NoError(t, err)
			require.NoError(t, whole.Run(ctx))
			end := whole.Engine.Now()
			require.Greater(t, end, time.Duration(0))
			require.NotEmpty(t, whole.ROM.Orders())
			const cuts = 12
			inFlight := 0
			for n := 1; n <= cuts; n++ {
				cut := end * time.Duration(n) / cuts
				a, err := New(sc.Spec, Options{})
				require.NoError(t, err)
				require.NoError(t, a.Engine.RunUntil(ctx, cut))
				for _, ro := range a.ROM.Orders() {
					if ro.State == lc.InProgress {
						inFlight++
						break
					}
				}
				b, err := New(sc.Spec, Options{})
				require.NoError(t, err)
				for name, p := range parts(a) {
					saved, err := p.Snapshot()
					require.NoError(t, err, "%s at %s", name, cut)
					fresh := parts(b)[name]
					require.NoError(t, fresh.Restore(saved), "%s at %s", name, cut)
					again, err := fresh.Snapshot()
					require.NoError(t, err)
					require.Equal(t, saved, again, "%s at %s: restored, it saves other bytes", name, cut)
				}
				if n == cuts {
					assert.Equal(t, whole.ROM.Orders(), b.ROM.Orders(), "ROM restored at the end")
					assert.Equal(t, whole.SOM.Orders(), b.SOM.Orders(), "SOM restored at the end")
					assert.Equal(t, whole.ROM.Resources.All(), b.ROM.Resources.All())
					assert.Equal(t, whole.SOM.Services.All(), b.SOM.Services.All())
				}
			}
			assert.Greater(t, inFlight, cuts/2, "most cuts fall while resource orders are in progress")
		})
	}
}

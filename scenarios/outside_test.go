package scenarios

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/twin"
)

// silentOnce is the access network outside the process: it hands every
// call to the twin, whose answers come back through the engine's inbox,
// except the call with key silent, which it never answers.
type silentOnce struct {
	tw     *twin.Twin
	silent string
	keys   []string
}

func (s *silentOnce) Call(now time.Duration, req *port.Request, reply port.Replier) {
	s.keys = append(s.keys, req.Key)
	if req.Key == s.silent {
		return
	}
	s.tw.Call(now, req, reply)
}

// The worked example with the access network outside the process, which
// never answers the pilot bearer's first reserve: the call's deadline
// answers it with a transient error, ROM's failure policy retries it under
// the next attempt's key, and the order completes (docs/architecture.md
// §2, Adapters outside the process; §5: every call has a deadline that
// becomes a transient error for the failure policy).
func TestOutsideDeadlineRetriedByROM(t *testing.T) {
	sc, err := Load(globaltech)
	require.NoError(t, err)
	mem := store.NewMemory()
	sys, err := New(sc.Spec, Options{Journal: mem})
	require.NoError(t, err)
	access := &silentOnce{tw: sys.Twin, silent: "ROI-001/reserve/1"}
	sys.Engine.Attach(access, port.Access)
	require.NoError(t, sys.Engine.Run(context.Background()))

	assert.Contains(t, access.keys, "ROI-001/reserve/2", "tried again under the next attempt's key")
	var retry *store.Record
	completed := false
	for _, r := range mem.Records() {
		if r.Kind == "retry" && r.Entity == "ROI-001" && retry == nil {
			retry = &r
		}
		if r.Entity == "ROI-001" && r.To == "completed" {
			completed = true
		}
	}
	require.NotNil(t, retry, "ROM's failure policy retried the item")
	assert.True(t, strings.HasPrefix(retry.Reason, "no answer from access to reserve ROI-001/reserve/1 within 2m0s"), retry.Reason)
	assert.True(t, completed, "the pilot bearer completes")
	assert.Equal(t, 0, sys.Engine.OutsideWaiting())
}

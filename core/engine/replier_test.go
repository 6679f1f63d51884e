package engine

import (
	"context"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An adapter's caller is found again by the name its replier gives
// (port.Named): an answer through the replier found reaches the same
// component, as a restored twin answers a call made before the restart.
func TestReplierByName(t *testing.T) {
	e := New(Options{})
	var log []string
	e.Handle(ROM, recorder{log: &log})
	r := e.Replier("ROM")
	require.NotNil(t, r)
	named, ok := r.(port.Named)
	require.True(t, ok, "the engine's repliers have names")
	assert.Equal(t, "ROM", named.ReplyTo())
	assert.Equal(t, "COM", e.Replier("COM").(port.Named).ReplyTo())
	assert.Nil(t, e.Replier("nobody"), "no component of that name")
	assert.Nil(t, e.Replier(""))

	r.Reply(time.Hour, &port.Result{Key: "ROI-001/commit/1", Final: true})
	require.NoError(t, e.Run(context.Background()))
	require.Len(t, log, 1)
	assert.Contains(t, log[0], "1h0m0s &{ROI-001/commit/1", "ROM takes the answer at its time")
}

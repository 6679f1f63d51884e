package engine

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RunUntil handles the inputs up to and at its instant, what they send for
// that instant included, and leaves the later ones queued for Run.
func TestRunUntil(t *testing.T) {
	var log []string
	e := New(Options{})
	e.Handle(COM, recorder{log: &log, then: func(now time.Duration, msg any, out *Out) {
		if msg == "a" {
			out.Send(COM, 0, "a-now")
			out.Send(COM, time.Hour, "a-later")
		}
	}})
	e.Inject(0, COM, "a")
	e.Inject(2*time.Hour, COM, "c")
	require.NoError(t, e.RunUntil(context.Background(), 90*time.Minute))
	assert.Equal(t, []string{"0s a", "0s a-now", "1h0m0s a-later"}, log)
	assert.Equal(t, time.Hour, e.Now())
	assert.Equal(t, 1, e.Pending())
	require.NoError(t, e.Run(context.Background()))
	assert.Equal(t, []string{"0s a", "0s a-now", "1h0m0s a-later", "2h0m0s c"}, log)
}

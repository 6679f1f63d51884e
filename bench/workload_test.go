package bench

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunMeasuresWhatItUsed: a run counts its resource order items and the
// bytes it allocated and, on Unix, reads the CPU time it took (enough
// orders that the kernel's accounting, by ticks on some, sees it).
func TestRunMeasuresWhatItUsed(t *testing.T) {
	r, err := Run(context.Background(), 50)
	require.NoError(t, err)
	assert.Equal(t, 50, r.Completed)
	assert.Equal(t, 1500, r.ResourceOrderItems, "five sites an order, six items a site")
	assert.Positive(t, r.TotalAlloc)
	_, readable := usage()
	require.Equal(t, readable, r.HasUsage)
	if runtime.GOOS == "linux" {
		require.True(t, r.HasUsage)
	}
	if !r.HasUsage {
		return
	}
	assert.Positive(t, r.Usage.User+r.Usage.System, "a run takes CPU time")
}

// A run whose context ends stops, with the context's error.
func TestRunStopsWhenItsContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, 50)
	require.ErrorIs(t, err, context.Canceled)
}

package bench

import (
	"context"
	"os"
	"runtime/debug"
	"testing"

	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/require"
)

// BenchmarkScale1000 runs 1,000 five-site orders (30,000 resource order
// items) through COM, SOM, ROM and the twin in virtual time with the
// in-memory store. It reports resource order items per second.
func BenchmarkScale1000(b *testing.B) { benchmarkScale(b, 1000) }

// BenchmarkScale100 is the same workload at a tenth of the size: per
// resource order item it should cost the same (linear growth).
func BenchmarkScale100(b *testing.B) { benchmarkScale(b, 100) }

func benchmarkScale(b *testing.B, n int) {
	// As the ordertwin binary runs (cmd/ordertwin: gcPercent), unless GOGC
	// is set: GOGC=100 go test -bench ... measures Go's default.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	spec, err := Workload(n)
	require.NoError(b, err)
	b.ReportAllocs()
	items := 0
	for b.Loop() {
		sys, err := scenarios.New(spec, scenarios.Options{})
		require.NoError(b, err)
		require.NoError(b, sys.Run(context.Background()))
		items += n * 30
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "ROI/s")
}

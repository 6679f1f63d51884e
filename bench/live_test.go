package bench

import (
	"context"
	"os"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkLive2000 and BenchmarkLive5000 serve 2,000 and 5,000
// concurrent 25-site orders on the wall clock at the default scale (a
// virtual day a second) on the durable store, the hub notifier running,
// until all end, and report how far the engine's virtual time fell behind
// the wall clock (in wall seconds): the live concurrency the service
// holds. One run takes minutes: use -benchtime=1x.
func BenchmarkLive2000(b *testing.B) { benchmarkLive(b, 2000) }
func BenchmarkLive5000(b *testing.B) { benchmarkLive(b, 5000) }

func benchmarkLive(b *testing.B, n int) {
	// As the ordertwin binary runs (cmd/ordertwin: gcPercent), unless GOGC
	// is set: GOGC=100 go test -bench ... measures Go's default.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	for range b.N {
		r, err := RunLive(context.Background(), n, 86400, b.TempDir())
		require.NoError(b, err)
		require.Equal(b, n, r.Completed)
		b.ReportMetric(r.LagP50.Seconds(), "lag-p50-s")
		b.ReportMetric(r.LagP99.Seconds(), "lag-p99-s")
		b.ReportMetric(r.LagMax.Seconds(), "lag-max-s")
		b.ReportMetric(r.Wall.Seconds(), "wall-s")
		b.ReportMetric(float64(r.Peak), "peak-in-flight")
	}
}

package bench

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"testing"

	"github.com/ordertwin/ordertwin/core/store/sqlite"
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

// BenchmarkScale1000Durable is BenchmarkScale1000 journalled into the
// embedded durable store (SQLite, WAL): durable resource order items per
// second, end to end.
func BenchmarkScale1000Durable(b *testing.B) { benchmarkScaleOn(b, 1000, true) }

func benchmarkScale(b *testing.B, n int) { benchmarkScaleOn(b, n, false) }

func benchmarkScaleOn(b *testing.B, n int, durable bool) {
	// As the ordertwin binary runs (cmd/ordertwin: gcPercent), unless GOGC
	// is set: GOGC=100 go test -bench ... measures Go's default.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	spec, err := Workload(n)
	require.NoError(b, err)
	b.ReportAllocs()
	items := 0
	runs := 0
	for b.Loop() {
		opt := scenarios.Options{}
		if durable {
			runs++
			db, err := sqlite.Open(filepath.Join(b.TempDir(), "journal"+strconv.Itoa(runs)+".db"), sqlite.Options{})
			require.NoError(b, err)
			defer db.Close()
			opt.Journal = db
		}
		sys, err := scenarios.New(spec, opt)
		require.NoError(b, err)
		require.NoError(b, sys.Run(context.Background()))
		items += n * 30
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "ROI/s")
}

package scenarios

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkGlobalTechOrder runs the worked example end to end: one
// five-site order, 30 resource order items, from quote to completion.
func BenchmarkGlobalTechOrder(b *testing.B) {
	sc, err := Load(globaltech)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		sys, err := New(sc.Spec, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := sys.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(30*b.N)/b.Elapsed().Seconds(), "ROI/s")
}

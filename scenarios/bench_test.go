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

// BenchmarkWhatIf1000 is `ordertwin whatif scenarios/globaltech-5site.yaml
// --runs 1000`: a thousand runs of the worked example, on all cores.
func BenchmarkWhatIf1000(b *testing.B) {
	sc, err := Load(globaltech)
	require.NoError(b, err)
	for b.Loop() {
		if _, err := sc.WhatIf(context.Background(), WhatIfOptions{Runs: 1000, CV: 0.25}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNationalRollout runs the national rollout scenario: 400
// customers, 10,000 sites, 60,000 resource order items, capacity shortages
// and late waves, in virtual time with the in-memory store.
func BenchmarkNationalRollout(b *testing.B) {
	sc, err := Load("national-rollout.yaml")
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
	b.ReportMetric(float64(60000*b.N)/b.Elapsed().Seconds(), "ROI/s")
}

package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkGlobalTechOrder runs the worked example end to end: one
// five-site order, 30 resource order items, from quote to completion.
func BenchmarkGlobalTechOrder(b *testing.B) { benchmarkRuns(b, globaltech) }

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
func BenchmarkNationalRollout(b *testing.B) { benchmarkRuns(b, "national-rollout.yaml") }

// benchmarkRuns runs a scenario end to end, in virtual time with the
// in-memory store, and reports its resource order items per second.
func benchmarkRuns(b *testing.B, file string) {
	sc, err := Load(file)
	require.NoError(b, err)
	b.ReportAllocs()
	items := 0
	for b.Loop() {
		sys, err := New(sc.Spec, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := sys.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		for _, ro := range sys.ROM.Orders() {
			items += len(ro.Items)
		}
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "ROI/s")
}

// BenchmarkSnapshotNationalRollout takes a snapshot of the national
// rollout in the middle of its run (every order placed, most in flight):
// the time the engine stands still for it, and its size.
func BenchmarkSnapshotNationalRollout(b *testing.B) {
	sc, err := Load("national-rollout.yaml")
	require.NoError(b, err)
	sys, err := New(sc.Spec, Options{})
	require.NoError(b, err)
	require.NoError(b, sys.Engine.RunUntil(context.Background(), 5*24*time.Hour))
	benchmarkSnapshots(b, sys)
}

// benchmarkSnapshots takes snapshots of sys, and reports their size.
func benchmarkSnapshots(b *testing.B, sys *System) {
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		snap, err := sys.Engine.Snapshot()
		if err != nil {
			b.Fatal(err)
		}
		size = len(snap.Body)
	}
	b.ReportMetric(float64(size)/(1<<20), "MB")
}

// BenchmarkSnapshotPopulation takes a snapshot of the live population
// (scenarios/live/population.yaml) with 5,000 of its customers' orders in
// flight, placed by the scenario a minute apart: the state a server under
// load snapshots. Run it with -cpu 1 for one core's stall. It reports the
// snapshot's size, the live heap of the system before it, and the
// resource orders in flight.
func BenchmarkSnapshotPopulation(b *testing.B) {
	data, err := os.ReadFile("live/population.yaml")
	require.NoError(b, err)
	here, err := filepath.Abs(".")
	require.NoError(b, err)
	file := strings.NewReplacer("../", here+"/", "orders: api", "orders: scenario\n  arrival: PT1M").Replace(string(data))
	path := filepath.Join(b.TempDir(), "population.yaml")
	require.NoError(b, os.WriteFile(path, []byte(file), 0o644))
	sc, err := Load(path)
	require.NoError(b, err)
	sys, err := New(sc.Spec, Options{})
	require.NoError(b, err)
	require.NoError(b, sys.Engine.RunUntil(context.Background(), 5000*time.Minute))
	// The live heap the system holds, for its orders in flight.
	var mem runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&mem)
	benchmarkSnapshots(b, sys)
	b.ReportMetric(float64(mem.HeapAlloc)/(1<<20), "heap-MB")
	b.ReportMetric(float64(len(sys.ROM.Orders())), "ROs")
}

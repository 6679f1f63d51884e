//go:build unix

package sqlite_test

import (
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// BenchmarkShelve shelves what a serving engine shelves in one commit
// while the national rollout's orders leave memory: 475 docs, in the
// rollout's mix of kinds, sizes and items (per 25 resource orders of 2.3
// KB with 6 items each, their 150 resources of 230 bytes, 75 services of
// 460 bytes and 25 products of 460 bytes; 3 service orders of 1 KB with 3
// items; a product order of 40 KB with 25 items and its quote of 7 KB),
// each body the same description of its kind's types (0.5 to 2.7 KB, as
// the components' encoding begins, given as the doc's Head) followed by
// bytes of its own. cpu-ms/op is the process's CPU time (the store's
// checkpointer with it): on a busy machine, a steadier figure than the
// wall time of ns/op.
func BenchmarkShelve(b *testing.B) {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "shelf.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	type kind struct {
		name, prefix, item      string
		per, size, types, items int
	}
	kinds := []kind{
		{"resourceOrder", "RO", "ROI", 25, 3000, 780, 6},
		{"resource", "RES", "", 150, 720, 490, 0},
		{"service", "SVC", "", 75, 1000, 540, 0},
		{"product", "PRD", "", 25, 950, 490, 0},
		{"serviceOrder", "SO", "SOI", 3, 1700, 740, 3},
		{"productOrder", "PO", "POI", 1, 40000, 2660, 25},
		{"quote", "QT", "", 1, 6800, 880, 0},
	}
	random := rand.New(rand.NewPCG(1, 2))
	bytesOf := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(random.Uint32())
		}
		return b
	}
	types := map[string][]byte{}
	for _, k := range kinds {
		types[k.name] = bytesOf(k.types)
	}
	next := map[string]int{}
	shelf := func() []store.Doc {
		var docs []store.Doc
		for _, k := range kinds {
			for range k.per {
				next[k.prefix]++
				d := store.Doc{Kind: k.name, ID: tmf.SeqID(k.prefix, next[k.prefix]), Ord: uint64(next[k.prefix]), Party: "CUST-ENT-00001",
					Head: types[k.name], Body: bytesOf(k.size - k.types)}
				for range k.items {
					next[k.item]++
					d.Items = append(d.Items, tmf.SeqID(k.item, next[k.item]))
				}
				docs = append(docs, d)
			}
		}
		return docs
	}
	batches := make([][]store.Doc, b.N)
	for i := range batches {
		batches[i] = shelf()
	}
	b.ReportAllocs()
	cpu := cpuTime(b)
	b.ResetTimer()
	for _, docs := range batches {
		if err := s.Shelve(docs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-cpu)/1e6/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(b.N*len(batches[0]))/b.Elapsed().Seconds(), "docs/s")
}

// cpuTime is the CPU time the process has used so far, in nanoseconds.
func cpuTime(b *testing.B) int64 {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return u.Utime.Nano() + u.Stime.Nano()
}

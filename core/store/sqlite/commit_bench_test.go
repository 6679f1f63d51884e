package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store/sqlite"
)

// BenchmarkCommit commits batches of 4,096 records, the engine's group
// commit, into a durable store: what a commit costs the committer, its
// hash chain link included.
func BenchmarkCommit(b *testing.B) {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "journal.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	recs := batch(0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := s.Append(recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "records/s")
}

package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
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

// BenchmarkCommitLive commits what a server under commands commits: many
// small batches (36 records and a command each, about what a commit holds
// at 500 orders a second), where what every commit costs whatever it
// holds (its transaction, its statements, its chain link) is most of it.
func BenchmarkCommitLive(b *testing.B) {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "journal.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	recs := batch(0, 36)
	in := []store.Input{{Kind: "com.OrderRequest", Body: make([]byte, 600), Origin: store.Origin{Actor: "dev-admin", Roles: []string{"admin"}}}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		in[0].Before = uint64(i)
		if err := s.Commit(recs, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

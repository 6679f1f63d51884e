package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/storetest"
)

// BenchmarkCommit commits ten records and an input per op to a store
// alone and to a shard's store under a lease, whose commits run the fence
// first in the same round trip: the difference is what fencing costs.
func BenchmarkCommit(b *testing.B) {
	records := make([]store.Record, 10)
	for i := range records {
		records[i] = store.Record{Kind: "productOrder", Entity: "PO-001", To: "acknowledged"}
	}
	inputs := []store.Input{{Kind: "com.OrderRequest", Body: []byte("{}")}}
	run := func(b *testing.B, st *postgres.Store) {
		defer st.Close()
		for b.Loop() {
			if err := st.Commit(records, inputs); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("alone", func(b *testing.B) {
		st, err := postgres.Open(storetest.Postgres(b), postgres.Options{})
		require.NoError(b, err)
		run(b, st)
	})
	b.Run("fenced", func(b *testing.B) {
		c, err := postgres.OpenCluster(storetest.Postgres(b), 1, "a")
		require.NoError(b, err)
		defer c.Close()
		l, err := c.TryAcquire(context.Background(), 0)
		require.NoError(b, err)
		st, err := l.Open()
		require.NoError(b, err)
		run(b, st)
	})
}

// BenchmarkTakeover measures a takeover of eight shards but their
// rebuild: from the end of the holder's lease connection to another
// instance holding every shard at the next epoch, with each shard's
// store open; ms-leases/op is the part until the leases are held.
func BenchmarkTakeover(b *testing.B) {
	const shards = 8
	url := storetest.Postgres(b)
	ctx := context.Background()
	holder, err := postgres.OpenCluster(url, shards, "holder")
	require.NoError(b, err)
	_, err = holder.Claim(ctx)
	require.NoError(b, err)
	var leasing time.Duration
	for b.Loop() {
		b.StopTimer()
		next, err := postgres.OpenCluster(url, shards, "next")
		require.NoError(b, err)
		b.StartTimer()
		began := time.Now()
		require.NoError(b, holder.Close())
		first, err := next.Take(ctx, 0)
		require.NoError(b, err)
		rest, err := next.Claim(ctx)
		require.NoError(b, err)
		leasing += time.Since(began)
		for _, l := range append(rest, first) {
			st, err := l.Open()
			require.NoError(b, err)
			st.Close()
		}
		if len(rest) != shards-1 {
			b.Fatalf("took %d shards, want %d", len(rest)+1, shards)
		}
		holder = next
	}
	holder.Close()
	b.ReportMetric(float64(leasing.Microseconds())/float64(b.N)/1000, "ms-leases/op")
}

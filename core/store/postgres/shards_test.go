package postgres_test

import (
	"context"
	"fmt"
	neturl "net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/storetest"
)

// A customer's shard depends on the customer and the count alone (the
// same in every instance and build: these values are FNV-1a's), and a
// thousand customers spread over every shard.
func TestShardOf(t *testing.T) {
	for _, c := range []struct {
		customer string
		shards   int
		want     int
	}{
		{"", 8, 5},          // FNV-1a offset basis 0x811c9dc5 % 8
		{"a", 8, 4},         // 0xe40c292c % 8
		{"CUST-0001", 1, 0}, // one shard holds everything
	} {
		assert.Equal(t, c.want, postgres.ShardOf(c.customer, c.shards), "%q of %d", c.customer, c.shards)
	}
	seen := map[int]int{}
	for i := range 1000 {
		seen[postgres.ShardOf(fmt.Sprintf("CUST-%04d", i), 8)]++
	}
	assert.Len(t, seen, 8)
	for shard, n := range seen {
		assert.Greater(t, n, 60, "shard %d has %d of 1000 customers", shard, n)
	}
}

// cluster opens the deployment at url for owner, closed when t ends, and
// drops its shards' schemas.
func cluster(t *testing.T, url string, shards int, owner string) *postgres.Cluster {
	t.Helper()
	c, err := postgres.OpenCluster(url, shards, owner)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// The first instance fixes the deployment's shard count; one started with
// another count is refused, both counts named.
func TestShardCountFixed(t *testing.T) {
	url := storetest.Postgres(t)
	a := cluster(t, url, 4, "a")
	assert.Equal(t, 4, a.Shards())
	cluster(t, url, 4, "b")
	_, err := postgres.OpenCluster(url, 8, "c")
	require.ErrorIs(t, err, postgres.ErrShardCount)
	assert.ErrorContains(t, err, "has 4 shards, this instance was started with 8")
	_, err = postgres.OpenCluster(url, 0, "d")
	assert.ErrorContains(t, err, "0 shards")

	// A single server's store is not opened on a deployment's schema,
	// nor a deployment on a single server's store.
	_, err = postgres.Open(url, postgres.Options{})
	require.ErrorIs(t, err, postgres.ErrShardCount)
	assert.ErrorContains(t, err, "the schema holds a deployment of 4 shards (serve --shards 4), not one server's store")
	single := storetest.Postgres(t)
	st, err := postgres.Open(single, postgres.Options{})
	require.NoError(t, err)
	require.NoError(t, st.Commit([]store.Record{{Kind: "productOrder", Entity: "PO-1", To: "acknowledged"}}, nil))
	require.NoError(t, st.Close())
	_, err = postgres.OpenCluster(single, 2, "e")
	require.ErrorIs(t, err, postgres.ErrShardCount)
	assert.ErrorContains(t, err, "the schema holds one server's store")
	st, err = postgres.Open(single, postgres.Options{})
	require.NoError(t, err, "and that store is as it was")
	assert.Equal(t, 1, st.Len())
	require.NoError(t, st.Close())
}

// A shard is held by one instance at a time: another's try gets nothing
// while the lease lasts, and the shard once it is let go, at the next
// epoch.
func TestLeaseExclusive(t *testing.T) {
	url := storetest.Postgres(t)
	a, b := cluster(t, url, 2, "a"), cluster(t, url, 2, "b")
	ctx := context.Background()
	la, err := a.TryAcquire(ctx, 0)
	require.NoError(t, err)
	require.NotNil(t, la)
	assert.Equal(t, int64(1), la.Epoch)
	lb, err := b.TryAcquire(ctx, 0)
	require.NoError(t, err)
	assert.Nil(t, lb, "held by a")
	took, err := b.Claim(ctx)
	require.NoError(t, err)
	require.Len(t, took, 1)
	assert.Equal(t, 1, took[0].Shard, "the shard a does not hold")
	require.NoError(t, a.Drop(la))
	lb, err = b.TryAcquire(ctx, 0)
	require.NoError(t, err)
	require.NotNil(t, lb)
	assert.Equal(t, int64(2), lb.Epoch)
	assert.Len(t, b.Held(), 2)
	assert.Empty(t, a.Held())
}

// Fencing: an instance whose lease connection ended (its locks gone with
// it) and that has not noticed still has its shard's store open. Another
// takes the shard over; the stale owner's next commit fails with
// ErrFenced and writes nothing, and so does every one after it, while
// the new owner reads what the old one wrote before and writes on.
func TestFencing(t *testing.T) {
	url := storetest.Postgres(t)
	ctx := context.Background()
	a, b := cluster(t, url, 2, "a"), cluster(t, url, 2, "b")
	la, err := a.TryAcquire(ctx, 1)
	require.NoError(t, err)
	stale, err := la.Open()
	require.NoError(t, err)
	defer stale.Close()
	rec := store.Record{Kind: "productOrder", Entity: "PO-001", To: "acknowledged"}
	require.NoError(t, stale.Append([]store.Record{rec}))

	require.NoError(t, a.Close()) // a's lease connection ends; its store does not know
	lb, err := b.Take(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, la.Epoch+1, lb.Epoch)

	err = stale.Append([]store.Record{rec, rec})
	require.ErrorIs(t, err, postgres.ErrFenced)
	assert.ErrorContains(t, err, "shard 1")
	assert.ErrorIs(t, stale.Append([]store.Record{rec}), postgres.ErrFenced, "a fenced store stays fenced")

	owner, err := lb.Open()
	require.NoError(t, err)
	defer owner.Close()
	assert.Equal(t, 1, owner.Len(), "the stale owner's first record, not its fenced ones")
	require.NoError(t, owner.Append([]store.Record{rec}))
	records, err := owner.Records()
	require.NoError(t, err)
	assert.Len(t, records, 2)
}

// Takeover: an instance that ends (its lease connection closed) loses
// every lease; another, at its next poll, takes each shard it does not
// hold at the next epoch, and reads each shard from the snapshot and the
// tail the first one left.
func TestTakeover(t *testing.T) {
	url := storetest.Postgres(t)
	ctx := context.Background()
	a, b := cluster(t, url, 3, "a"), cluster(t, url, 3, "b")
	took, err := a.Claim(ctx)
	require.NoError(t, err)
	require.Len(t, took, 3)
	st, err := took[2].Open()
	require.NoError(t, err)
	rec := store.Record{Kind: "productOrder", Entity: "PO-001", To: "acknowledged"}
	in := store.Input{Kind: "com.OrderRequest", Body: []byte("{}")}
	require.NoError(t, st.Commit([]store.Record{rec, rec}, []store.Input{in}))
	require.NoError(t, st.SaveSnapshot(store.Snapshot{Inputs: 1, Records: 2, At: 5, Body: []byte("state")}))
	in.Before = 1
	require.NoError(t, st.Commit([]store.Record{rec}, []store.Input{in}))
	require.NoError(t, st.Close())
	none, err := b.Claim(ctx)
	require.NoError(t, err)
	assert.Empty(t, none, "a holds every shard")

	require.NoError(t, a.Close())
	first, err := b.Take(ctx, 0) // returns once the database has ended a's session
	require.NoError(t, err)
	polls := make(chan time.Time)
	taken := make(chan *postgres.Lease, 3)
	watchCtx, stop := context.WithCancel(ctx)
	watched := make(chan error, 1)
	go func() { watched <- b.Watch(watchCtx, polls, func(l *postgres.Lease) { taken <- l }) }()
	polls <- time.Time{}
	got := []*postgres.Lease{first, <-taken, <-taken}
	stop()
	require.NoError(t, <-watched)
	for shard, l := range got {
		assert.Equal(t, shard, l.Shard)
		assert.Equal(t, int64(2), l.Epoch, "shard %d taken a second time", shard)
	}
	assert.Len(t, b.Held(), 3)

	st, err = got[2].Open()
	require.NoError(t, err)
	defer st.Close()
	snap, ok, err := st.LatestSnapshot()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "state", string(snap.Body))
	tail, err := st.RecordsAfter(snap.Records)
	require.NoError(t, err)
	assert.Len(t, tail, 1, "the record after the snapshot")
	inputs, err := st.InputsFrom(snap.Inputs)
	require.NoError(t, err)
	assert.Len(t, inputs, 1, "the input after the snapshot")
	require.NoError(t, st.Append([]store.Record{rec}), "the new owner writes on")
}

// Every write of a shard's store is fenced, not the journal's alone: a
// stale owner can neither save a snapshot, nor shelve a read model, nor
// move a hub listener's delivery cursor (so it delivers no event as
// delivered); each store below finds the fence on its first write.
func TestFencingEveryWrite(t *testing.T) {
	url := storetest.Postgres(t)
	ctx := context.Background()
	a, b := cluster(t, url, 1, "a"), cluster(t, url, 1, "b")
	la, err := a.TryAcquire(ctx, 0)
	require.NoError(t, err)
	open := func() *postgres.Store {
		st, err := la.Open()
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		return st
	}
	first := open()
	rec := store.Record{Kind: "productOrder", Entity: "PO-001", To: "acknowledged"}
	require.NoError(t, first.Append([]store.Record{rec}))
	cursors, err := first.OpenCursors()
	require.NoError(t, err)
	_, err = cursors.AddCursor(ctx, "listener-1", 0)
	require.NoError(t, err)
	snapshots, shelf, stale := open(), open(), open()
	staleCursors, err := stale.OpenCursors()
	require.NoError(t, err)

	require.NoError(t, a.Close())
	_, err = b.Take(ctx, 0)
	require.NoError(t, err)

	assert.ErrorIs(t, snapshots.SaveSnapshot(store.Snapshot{Inputs: 0, Records: 1, Body: []byte("x")}), postgres.ErrFenced)
	assert.ErrorIs(t, shelf.Shelve([]store.Doc{{Kind: "productOrder", ID: "PO-001", Party: "CUST-1", Body: []byte("{}")}}), postgres.ErrFenced)
	assert.ErrorIs(t, staleCursors.SetCursor(ctx, "listener-1", 1), postgres.ErrFenced)
	_, err = staleCursors.AddCursor(ctx, "listener-2", 0)
	assert.ErrorIs(t, err, postgres.ErrFenced, "fenced for good after the first")

	at, err := cursors.Cursors(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"listener-1": 0}, at, "the cursor where the owner left it")
	_, ok, err := first.LatestSnapshot()
	require.NoError(t, err)
	assert.False(t, ok, "no snapshot saved")
	_, ok, err = first.Shelved("productOrder", "PO-001")
	require.NoError(t, err)
	assert.False(t, ok, "nothing shelved")
}

// Members counts the instances of this deployment only: a schema of the
// same name in another database of the server is another deployment, and
// counting its instances left shards to no one.
func TestMembersOfThisDatabaseOnly(t *testing.T) {
	url := storetest.Postgres(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	var db, schema string
	require.NoError(t, conn.QueryRow(ctx, `SELECT current_database(), current_schema()`).Scan(&db, &schema))
	other := db + "_other"
	_, err = conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{other}.Sanitize())
	require.NoError(t, err)
	t.Cleanup(func() {
		conn.Exec(context.Background(), `DROP DATABASE `+pgx.Identifier{other}.Sanitize()+` WITH (FORCE)`)
		conn.Close(context.Background())
	})
	u, err := neturl.Parse(url)
	require.NoError(t, err)
	u.Path = "/" + other
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	otherURL, err := postgres.CreateSchema(u.String(), schema)
	require.NoError(t, err)

	a := cluster(t, url, 2, "a")
	cluster(t, otherURL, 2, "b")
	n, err := a.Members(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "b serves the schema of another database")
	cluster(t, url, 2, "c")
	n, err = a.Members(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
}

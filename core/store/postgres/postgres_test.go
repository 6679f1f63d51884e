package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// A server holds its store: a second hold is refused while the first
// lasts, and taken once it is let go; a hold is by schema, so stores in
// two schemas of one database are held apart.
func TestHold(t *testing.T) {
	url, other := storetest.Postgres(t), storetest.Postgres(t)
	release, err := postgres.Hold(url)
	require.NoError(t, err)
	_, err = postgres.Hold(url)
	assert.ErrorIs(t, err, postgres.ErrHeld)
	releaseOther, err := postgres.Hold(other)
	require.NoError(t, err, "another schema's store")
	require.NoError(t, releaseOther())
	require.NoError(t, release())
	release, err = postgres.Hold(url)
	require.NoError(t, err)
	require.NoError(t, release())
}

// Two stores opened on a new database at once migrate it once; a schema
// newer than this build knows is refused with the versions named.
func TestMigrate(t *testing.T) {
	url := storetest.Postgres(t)
	opened := make(chan error, 2)
	for range 2 {
		go func() {
			st, err := postgres.Open(url, postgres.Options{})
			if err == nil {
				err = st.Close()
			}
			opened <- err
		}()
	}
	require.NoError(t, <-opened)
	require.NoError(t, <-opened)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT version FROM ordertwin_schema ORDER BY version`)
	require.NoError(t, err)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	require.NoError(t, err)
	assert.Len(t, versions, postgres.Version(), "each migration once")
	_, err = conn.Exec(ctx, `INSERT INTO ordertwin_schema (version) VALUES ($1)`, postgres.Version()+1)
	require.NoError(t, err)
	_, err = postgres.Open(url, postgres.Options{})
	assert.ErrorContains(t, err, "newer than this ordertwin knows")
}

// A commit's records are one row and its inputs numbered on from the
// last, and every commit is a link of the hash chain, whose head goes on
// from where it stood across a reopen, as store.Chain computes it.
func TestCommitChains(t *testing.T) {
	url := storetest.Postgres(t)
	st, err := postgres.Open(url, postgres.Options{})
	require.NoError(t, err)
	rec := store.Record{Kind: "productOrder", Entity: "PO-001", To: "acknowledged"}
	in := store.Input{Kind: "com.OrderRequest", Body: []byte("{}")}
	require.NoError(t, st.Commit([]store.Record{rec, rec}, []store.Input{in}))
	require.NoError(t, st.Close())
	st, err = postgres.Open(url, postgres.Options{})
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Commit([]store.Record{rec}, []store.Input{in, in}))
	first := store.Chain(store.Hash{}, store.Link{Commit: 1, FirstRecord: 1, LastRecord: 2, FirstInput: 1, LastInput: 1},
		store.EncodeRecords(nil, []store.Record{rec, rec}), []store.Input{in})
	want := store.Chain(first, store.Link{Commit: 2, FirstRecord: 3, LastRecord: 3, FirstInput: 2, LastInput: 3},
		store.EncodeRecords(nil, []store.Record{rec}), []store.Input{in, in})
	head, links := st.Head()
	assert.Equal(t, int64(2), links)
	assert.Equal(t, want, head)
	inputs, err := st.Inputs()
	require.NoError(t, err)
	assert.Len(t, inputs, 3)
}

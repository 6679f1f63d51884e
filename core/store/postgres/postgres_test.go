package postgres_test

import (
	"context"
	neturl "net/url"
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
	held, err := postgres.Hold(url)
	require.NoError(t, err)
	_, err = postgres.Hold(url)
	assert.ErrorIs(t, err, postgres.ErrHeld)
	heldOther, err := postgres.Hold(other)
	require.NoError(t, err, "another schema's store")
	require.NoError(t, heldOther.Release())
	require.NoError(t, held.Release())
	held, err = postgres.Hold(url)
	require.NoError(t, err)
	require.NoError(t, held.Release())
}

// The database ends a holder's connection (a restart of the database, a
// DBA's pg_terminate_backend): the hold lapses. Taken again by its holder
// before anyone else, the store writes on. Taken by another server
// meanwhile, the first server's store refuses every write from then on
// (store.ErrTaken), changing nothing, and the second's writes.
func TestHoldLapses(t *testing.T) {
	url := storetest.Postgres(t)
	first, err := postgres.Hold(url)
	require.NoError(t, err)
	st, err := postgres.Open(url, postgres.Options{Held: first})
	require.NoError(t, err)
	defer st.Close()
	rec := func(entity string) []store.Record {
		return []store.Record{{Kind: "productOrder", Entity: entity, To: "acknowledged"}}
	}
	require.NoError(t, st.Commit(rec("PO-1"), nil))

	postgres.EndHoldConnection(t, first)
	postgres.CheckHold(first)
	require.True(t, first.Held(), "taken again by its holder")
	require.NoError(t, st.Commit(rec("PO-2"), nil), "nobody took it meanwhile: it writes on")

	postgres.EndHoldConnection(t, first)
	second, err := postgres.Hold(url)
	require.NoError(t, err, "another server takes the lapsed hold")
	defer second.Release()
	other, err := postgres.Open(url, postgres.Options{Held: second})
	require.NoError(t, err)
	defer other.Close()
	postgres.CheckHold(first)
	assert.False(t, first.Held(), "the other server holds it")

	err = st.Commit(rec("PO-3"), nil)
	require.ErrorIs(t, err, store.ErrTaken)
	require.ErrorIs(t, st.Commit(rec("PO-4"), nil), store.ErrTaken, "and every write after")
	require.NoError(t, other.Commit(rec("PO-3'"), nil))
	records, err := other.Records()
	require.NoError(t, err)
	var entities []string
	for _, r := range records {
		entities = append(entities, r.Entity)
	}
	assert.Equal(t, []string{"PO-1", "PO-2", "PO-3'"}, entities, "nothing of the first server's after the takeover")
	require.NoError(t, first.Release())
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

// A store is opened in a schema of its own: one that does not exist, or
// holds tables of something else, is refused naming it, changing nothing.
func TestStoreSchemaOfItsOwn(t *testing.T) {
	url := storetest.Postgres(t)
	u, err := neturl.Parse(url)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", "no_such_schema_here")
	u.RawQuery = q.Encode()
	_, err = postgres.Open(u.String(), postgres.Options{})
	assert.ErrorContains(t, err, "the search_path (no_such_schema_here) names no schema that exists")

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE invoices (id integer)`)
	require.NoError(t, err)
	_, err = postgres.Open(url, postgres.Options{})
	assert.ErrorContains(t, err, "holds tables, and no ordertwin store")
	var tables int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables))
	assert.Equal(t, 1, tables, "nothing created beside it")
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

// Package postgres is the durable store in a PostgreSQL database
// (docs/architecture.md §7), for an operator who runs one already: the
// journal, the input log, snapshots, the shelf, settings and the hub's
// delivery cursors, in the same tables as the SQLite file's. Each Commit
// is one transaction: the records the engine hands over at once (group
// commit) are one row of their encoding, the inputs taken with them one
// multi-row insert, and the link of the hash chain a third statement, sent
// together. Statements are prepared once per connection (pgx's statement
// cache). Each commit is published, once durable, to the store's feed,
// which reads records behind its window on other connections of the pool.
//
// The schema is versioned by the migrations in migrations/, applied in
// order at Open under an advisory lock; the table ordertwin_schema says
// which the database has.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordertwin/ordertwin/core/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options set up a store (the URL says where: its search_path is the
// schema the tables live in).
type Options struct {
	// Fence, when set, makes the store one shard's journal under a lease
	// (shards.go): every commit checks, in its transaction, that the lease
	// is still at the fence's epoch, and a store fenced off takes no more
	// commits.
	Fence *Fence
	// Held, when set, is the caller's hold on the store (Hold): the store
	// takes the next holder's epoch as it opens, and every commit checks,
	// in its transaction, that the store's epoch is still that one, so a
	// server whose hold lapsed while another took the store writes
	// nothing more (store.ErrTaken).
	Held *Holding
}

// Store is a journal in a PostgreSQL database.
type Store struct {
	mu     sync.Mutex
	pool   *pgxpool.Pool
	closed bool
	// last is the seq of the last record.
	last int64
	// buf holds a commit's records in the canonical encoding (the chain
	// hashes it), batch in the shorter one the journal keeps.
	buf, batch []byte
	chain      chain
	// unsure: the last commit failed as it was ended, and may have
	// reached the database all the same (see landed); then the chain
	// would stand at unsureChain.
	unsure      bool
	unsureChain chain
	feed        *store.Feed
	// fence is the lease the store writes under (nil: none); fenced, that
	// a write found the lease taken over.
	fence  *Fence
	fenced atomic.Bool
	// held is the holder's epoch the store writes at (0: not held).
	held int64
}

var _ store.Durable = (*Store)(nil)

// writeTimeout bounds one write: a database that does not answer fails
// the commit, which the engine gives again, rather than holding it for
// ever.
const writeTimeout = 30 * time.Second

// IsURL tells whether db names a PostgreSQL database (postgres://… or
// postgresql://…) rather than a file.
func IsURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Open connects to the database at url (postgres://user@host:port/db)
// and brings its schema up to date.
func Open(url string, opt Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	where := cfg.ConnConfig.Host + "/" + cfg.ConnConfig.Database
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store %s: %w", where, err)
	}
	s := &Store{pool: pool, fence: opt.Fence}
	if err := s.load(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store %s: %w", where, err)
	}
	if opt.Fence == nil {
		// A deployment's schema holds its shards' stores, not one: a
		// single server there would serve an empty system beside them.
		var shards int
		switch err := pool.QueryRow(ctx, `SELECT shards FROM shard_cluster`).Scan(&shards); {
		case err == nil:
			pool.Close()
			return nil, fmt.Errorf("postgres store %s: %w: the schema holds a deployment of %d shards (serve --shards %d), not one server's store", where, ErrShardCount, shards, shards)
		case !errors.Is(err, pgx.ErrNoRows):
			pool.Close()
			return nil, fmt.Errorf("postgres store %s: %w", where, err)
		}
	}
	if opt.Held != nil {
		// Under the hold: no other server opens the store meanwhile.
		if err := pool.QueryRow(ctx, `UPDATE store_hold SET epoch = epoch + 1 RETURNING epoch`).Scan(&s.held); err != nil {
			pool.Close()
			return nil, fmt.Errorf("postgres store %s: hold: %w", where, err)
		}
	}
	s.feed = store.NewFeed(s.last, store.DefaultWindow, func(ctx context.Context, seq int64, limit int) ([]store.Entry, error) {
		return readJournal(ctx, s.pool, seq, limit)
	})
	return s, nil
}

// CreateSchema creates the schema called name in the database at url,
// unless it exists, and returns the URL of a store in it (its
// search_path): a test's or a benchmark's store of its own.
func CreateSchema(url, name string) (string, error) {
	if err := onConn(url, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("postgres: schema %s: %w", name, err)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + name, nil
}

// DropSchema drops the schema called name, and the store in it, and the
// schemas of its shards' stores (name_shard_N) if it holds a deployment.
func DropSchema(url, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("postgres: drop schema %s: %w", name, err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname ~ ('^' || $1 || '_shard_[0-9]+$')`, name)
	if err != nil {
		return fmt.Errorf("postgres: drop schema %s: %w", name, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("postgres: drop schema %s: %w", name, err)
	}
	for _, n := range names {
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{n}.Sanitize()+` CASCADE`); err != nil {
			return fmt.Errorf("postgres: drop schema %s: %w", n, err)
		}
	}
	return nil
}

// onConn runs sql on a connection of its own to url.
func onConn(url, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// load migrates the schema and reads where the journal and its chain
// stand.
func (s *Store) load(ctx context.Context) error {
	if err := migrate(ctx, s.pool); err != nil {
		return err
	}
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(last_seq), 0) FROM journal_batch`).Scan(&s.last); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return s.loadChain(ctx)
}

// migrationLock is the advisory lock under which a store migrates its
// schema: two processes opening a new database at once apply each
// migration once.
const migrationLock = 0x6f7264657274776e // "ordertwn"

// Version is the schema version this build knows: its last migration.
func Version() int {
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	return len(files)
}

// migrate applies the migrations the database does not have yet, each in
// a transaction of its own with the version it reaches. Files are named
// NNNN_what.sql and numbered from 1 without gaps.
func migrate(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}) error {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(files)
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var schema *string
	if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if schema == nil {
		var path string
		_ = tx.QueryRow(ctx, `SHOW search_path`).Scan(&path)
		return fmt.Errorf("the search_path (%s) names no schema that exists: create it first (CREATE SCHEMA …), or name one in the URL (?search_path=…)", path)
	}
	var fresh, foreign bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('ordertwin_schema') IS NULL,
		EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema())`).Scan(&fresh, &foreign); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if fresh && foreign {
		return fmt.Errorf("schema %s holds tables, and no ordertwin store: give a schema of its own (an empty one, ?search_path=…)", *schema)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS ordertwin_schema (version integer NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM ordertwin_schema`).Scan(&have); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if have > len(files) {
		return fmt.Errorf("schema version %d is newer than this ordertwin knows (%d): use a newer ordertwin", have, len(files))
	}
	for i, f := range files[have:] {
		version := have + i + 1
		if want := fmt.Sprintf("migrations/%04d_", version); !strings.HasPrefix(f, want) {
			return fmt.Errorf("migration %s: want a name %sNNNN_what.sql numbered %d", f, "migrations/", version)
		}
		b, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, string(b)); err != nil {
			return fmt.Errorf("migration %s: %w", f, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ordertwin_schema (version) VALUES ($1)`, version); err != nil {
			return fmt.Errorf("migration %s: %w", f, err)
		}
	}
	return tx.Commit(ctx)
}

// Feed is the feed of the store's commits: each is published to it once
// the database has it, in commit order.
func (s *Store) Feed() *store.Feed { return s.feed }

// Append commits records in one transaction.
func (s *Store) Append(records []store.Record) error { return s.Commit(records, nil) }

// LogInputs commits inputs in one transaction.
func (s *Store) LogInputs(inputs []store.Input) error { return s.Commit(nil, inputs) }

// Commit commits records and inputs in one transaction: the records as
// one row, their encoding numbered from the next seq; the inputs in one
// insert; the commit's link of the hash chain. When it fails nothing of
// it is in the database, and the caller may give the same records and
// inputs again: a commit whose end failed but reached the database all
// the same is not written twice.
func (s *Store) Commit(records []store.Record, inputs []store.Input) error {
	if len(records) == 0 && len(inputs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("postgres store: closed")
	}
	if err := s.checkFence(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	first := s.last + 1
	if s.unsure {
		landed, err := s.landed(ctx)
		if err != nil {
			return fmt.Errorf("postgres store: after a failed commit: %w", err)
		}
		s.unsure = false
		if landed {
			s.committed(len(records), s.unsureChain)
			s.feed.Publish(first, records)
			return nil
		}
	}
	s.buf = store.EncodeRecords(s.buf[:0], records)
	last := s.last + int64(len(records))
	chained, link, err := s.chain.next(first, last, s.buf, inputs)
	if err != nil {
		return fmt.Errorf("postgres store: %w", err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres store: %w", err)
	}
	defer tx.Rollback(ctx)
	b := &pgx.Batch{}
	s.queueFence(b)
	if len(inputs) > 0 {
		queueInputs(b, s.chain.lastInput+1, inputs)
	}
	if len(records) > 0 {
		s.batch = store.EncodeBatch(s.batch[:0], records)
		b.Queue(`INSERT INTO journal_batch (first_seq, last_seq, data) VALUES ($1, $2, $3)`, first, last, s.batch)
	}
	b.Queue(`INSERT INTO journal_chain (commit_seq, first_record, last_record, first_input, last_input, hash, record_sums, input_sums)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, link.Commit, link.FirstRecord, link.LastRecord, link.FirstInput, link.LastInput,
		chained.head[:], []byte(chained.sums), []byte(chained.inSums))
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		if err := s.fenceError(err); errors.Is(err, ErrFenced) || errors.Is(err, store.ErrTaken) {
			return err
		}
		return fmt.Errorf("postgres store: records %d to %d, %d inputs: %w", first, last, len(inputs), err)
	}
	if err := tx.Commit(ctx); err != nil {
		s.unsure, s.unsureChain = true, chained
		return fmt.Errorf("postgres store: commit: %w", err)
	}
	s.committed(len(records), chained)
	s.feed.Publish(first, records)
	return nil
}

// committed counts a commit of records, after which the chain stands at c.
func (s *Store) committed(records int, c chain) {
	s.last += int64(records)
	s.chain = c
}

// landed reports whether the commit whose end failed is in the database:
// its link in the chain (every commit has one, in the same transaction).
func (s *Store) landed(ctx context.Context) (bool, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM journal_chain WHERE commit_seq = $1`, s.chain.commits+1).Scan(&n)
	return n > 0, err
}

// Probe tells whether the store can write now, by writing: it keeps in
// the meta table when it last could ("probe").
func (s *Store) Probe() error {
	if err := s.SetMeta("probe", time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("postgres store: write probe: %w", err)
	}
	return nil
}

// Len counts the records committed.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.last)
}

// Records returns everything committed, in order.
func (s *Store) Records() ([]store.Record, error) { return s.RecordsAfter(0) }

// RecordsAfter returns the records committed after the first n, in order:
// what a restart from a snapshot checks its replay against.
func (s *Store) RecordsAfter(n uint64) ([]store.Record, error) {
	entries, err := readJournal(context.Background(), s.pool, int64(n), -1)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	out := make([]store.Record, len(entries))
	for i, e := range entries {
		out[i] = e.Record
	}
	return out, nil
}

// readJournal returns up to limit records after seq (all when limit < 0),
// with their seq, in order: from the batch that holds seq+1 (the last to
// start at or before it) on, by primary key.
func readJournal(ctx context.Context, pool *pgxpool.Pool, after int64, limit int) ([]store.Entry, error) {
	var rows pgx.Rows
	var err error
	const batches = `SELECT first_seq, last_seq, data FROM journal_batch
		WHERE first_seq >= coalesce((SELECT max(first_seq) FROM journal_batch WHERE first_seq <= $1 + 1), 0)
		ORDER BY first_seq`
	if limit < 0 {
		rows, err = pool.Query(ctx, batches, after)
	} else {
		rows, err = pool.Query(ctx, batches+` LIMIT $2`, after, limit)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Entry
	var records []store.Record
	full := func() bool { return limit >= 0 && len(out) >= limit }
	for rows.Next() && !full() {
		var first, last int64
		var data []byte
		if err := rows.Scan(&first, &last, &data); err != nil {
			return nil, err
		}
		if out, records, err = store.AppendBatch(out, records, first, last, after, limit, data); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// Head is the hash of the chain's last link and how many links it has.
func (s *Store) Head() (store.Hash, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chain.head, s.chain.commits
}

// Close closes the store's connections; it takes no more records.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.pool.Close()
	return nil
}

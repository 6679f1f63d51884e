// Package sqlite is the embedded durable store (docs/architecture.md §7): the journal,
// the input log and the hub's delivery cursors in one SQLite file in WAL
// mode. Each Commit is one transaction: the engine hands over many steps'
// records at once (group commit), kept as one row of their encoding with
// their sequence numbers, and the commands it took with them. Each commit
// is published, once durable, to the store's feed (Store.Feed), which
// reads records behind its window on connections of its own, never holding
// up a commit; the Outbox keeps the hub's delivery cursors.
//
// The schema is versioned by the migrations in migrations/, applied in
// order at Open; the database's user_version says which it has.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/store"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Sync says when a commit reaches the disk.
type Sync string

const (
	// SyncNormal: a commit survives the process being killed at any
	// point; the last commits before a power loss may be lost. The
	// default.
	SyncNormal Sync = "normal"
	// SyncFull: a commit survives a power loss too, at the cost of a
	// disk flush per commit.
	SyncFull Sync = "full"
)

// Options set up a store.
type Options struct {
	Sync Sync // "" is SyncNormal
}

// Store is a journal in a SQLite file.
type Store struct {
	mu     sync.Mutex
	db     *sql.DB
	closed bool
	// n counts the records; last is the seq of the last one.
	n    int
	last int64
	// buf holds a commit's records in the canonical encoding (the chain
	// hashes it), batch in the shorter one the journal keeps.
	buf, batch []byte
	chain      chain
	// unsure: the last commit failed when SQLite was asked to commit, and
	// may have reached the file all the same (see landed); then the chain
	// would stand at unsureChain.
	unsure      bool
	unsureChain chain
	// checkpoints copies the WAL into the file, off the writer's path.
	checkpoints *checkpointer
	// feed publishes every commit; reader serves its reads behind the
	// window, on connections other than the writer's.
	feed   *store.Feed
	reader *sql.DB
	// owner is Owner's query, prepared on the readers at its first use
	// (a step asks it of every new idempotency key).
	owner struct {
		once sync.Once
		stmt *sql.Stmt
		err  error
	}
	// compacted: what a compaction moved out into an archive (compact.go).
	compacted Compacted
	// shelfPrefixes: the prefixes shelved bodies share, by kind (the
	// writer's); prefixCache: those the readers read.
	shelfPrefixes prefixes
	prefixCache   prefixCache
	// squeezer squeezes the writer's shelved bodies and packs.
	squeezer squeezer
	// packer writes the short docs of a shelving into packs (shelfpack.go).
	packer packer
	// commits are the statements every commit runs.
	commits commitStatements
	file    string
}

// commitStatements are the inserts of a commit, prepared once on the
// writer's connection: a server under commands commits hundreds of times
// a second, a few rows each, and preparing them again for each commit was
// about a sixth of the committer's time in a profile at 500 orders a
// second (BenchmarkCommitLive: 6% less a commit).
type commitStatements struct {
	input, batch, link *sql.Stmt
}

const (
	insertInput = `INSERT INTO inputs (seq, before, at, address, kind, body, origin) VALUES (?, ?, ?, ?, ?, ?, ?)`
	insertBatch = `INSERT INTO journal_batch (first_seq, last_seq, data) VALUES (?, ?, ?)`
	insertLink  = `INSERT INTO journal_chain (commit_seq, first_record, last_record, first_input, last_input, hash, record_sums, input_sums)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
)

// exec executes st (one of the prepared statements, or nil before they
// are: the chain a store is given when it opens) in tx, else q.
func exec(tx *sql.Tx, st *sql.Stmt, q string, args ...any) error {
	var err error
	if st != nil {
		_, err = tx.Stmt(st).Exec(args...)
	} else {
		_, err = tx.Exec(q, args...)
	}
	return err
}

// prepare prepares the statements on db, unless done already.
func (c *commitStatements) prepare(db *sql.DB) error {
	if c.input != nil {
		return nil
	}
	var err error
	var stmts [3]*sql.Stmt
	for i, q := range [...]string{insertInput, insertBatch, insertLink} {
		if stmts[i], err = db.Prepare(q); err != nil {
			for _, st := range stmts[:i] {
				st.Close()
			}
			return err
		}
	}
	c.input, c.batch, c.link = stmts[0], stmts[1], stmts[2]
	return nil
}

// close closes the statements.
func (c *commitStatements) close() {
	for _, st := range []*sql.Stmt{c.input, c.batch, c.link} {
		if st != nil {
			st.Close()
		}
	}
	*c = commitStatements{}
}

var _ store.Durable = (*Store)(nil)

// Open opens the store in file (creating it if need be) and brings its
// schema up to date.
func Open(file string, opt Options) (*Store, error) {
	if err := CheckName(file); err != nil {
		return nil, err
	}
	sync := opt.Sync
	if sync == "" {
		sync = SyncNormal
	}
	if sync != SyncNormal && sync != SyncFull {
		return nil, fmt.Errorf("sqlite store: sync %q: want %q or %q", sync, SyncNormal, SyncFull)
	}
	// wal_autocheckpoint(0): checkpoints are the checkpointer's
	// (checkpoint.go). temp_store(MEMORY): a statement's journal (the pages
	// a statement of many rows, such as a shelving's, changes, kept to undo
	// it alone) is kept in memory, not written to a temporary file.
	// _txlock(immediate): a transaction takes the write lock when it
	// begins, waiting busy_timeout for it. A deferred one that read first
	// (a shelving reads its pack) and wrote after another connection (the
	// outbox's cursors) committed would fail at once with SQLITE_BUSY,
	// which no busy timeout waits out.
	q := url.Values{"_pragma": {"journal_mode(WAL)", "synchronous(" + string(sync) + ")", fmt.Sprintf("busy_timeout(%d)", busyMillis), "foreign_keys(1)",
		"wal_autocheckpoint(0)", "temp_store(MEMORY)"}, "_txlock": {"immediate"}}
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite store %s: %w", file, err)
	}
	// One connection: the engine is the only writer, and SQLite takes one
	// writer at a time anyway.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, file: file}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", file, err)
	}
	if s.compacted, err = loadCompacted(context.Background(), db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", file, err)
	}
	// The batches tile their records without a gap (each starts after
	// the last record), so the first and the last tell how many they hold
	// and where numbering is, from the primary key: no scan of every
	// batch, whose time would grow with the journal.
	if err := db.QueryRow(`WITH b AS (SELECT (SELECT first_seq FROM journal_batch ORDER BY first_seq LIMIT 1) AS lo,
			(SELECT last_seq FROM journal_batch ORDER BY first_seq DESC LIMIT 1) AS hi)
		SELECT (SELECT count(*) FROM journal) + coalesce((SELECT hi - lo + 1 FROM b), 0),
		max(coalesce((SELECT max(seq) FROM journal), 0), coalesce((SELECT hi FROM b), 0))`).Scan(&s.n, &s.last); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", file, err)
	}
	// Records compacted out count, and numbering runs on after them.
	s.n += int(s.compacted.Records)
	s.last = max(s.last, s.compacted.Records)
	if err := s.loadChain(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", file, err)
	}
	if s.reader, err = openReader(file); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", file, err)
	}
	if s.checkpoints, err = startCheckpointer(file); err != nil {
		s.reader.Close()
		db.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", file, err)
	}
	s.feed = s.newFeed()
	return s, nil
}

// newFeed is a feed of the commits after the last one.
func (s *Store) newFeed() *store.Feed {
	compacted := s.compacted
	return store.NewFeed(s.last, store.DefaultWindow, func(ctx context.Context, seq int64, limit int) ([]store.Entry, error) {
		if err := compacted.recordsAfter(seq); err != nil {
			return nil, err
		}
		return readJournal(ctx, s.reader, seq, limit)
	})
}

// readerConns is how many connections the feed's reads may hold: SQLite
// serves many readers at once in WAL mode, none waiting for the writer.
const readerConns = 2

// openReader opens the connections that read the journal for the feed:
// read only, never taking the writer's lock.
func openReader(file string) (*sql.DB, error) {
	q := url.Values{"_pragma": {"busy_timeout(5000)", "query_only(1)"}}
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(readerConns)
	return db, nil
}

// Feed is the feed of the store's commits: each is published to it once
// it is in the file, in commit order.
func (s *Store) Feed() *store.Feed { return s.feed }

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// schema lists the migrations in version order; file names are
// NNNN_what.sql, numbered from 1 without gaps.
func schema() ([]migration, error) {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, f := range files {
		base := path.Base(f)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: want a name NNNN_what.sql", base)
		}
		b, err := migrations.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d (versions run from 1 without gaps)", m.name, i+1)
		}
	}
	return out, nil
}

// Version is the schema version this build knows: its last migration.
func Version() int {
	ms, err := schema()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrationSteps are the migrations that SQL alone cannot make, by
// version: each runs after its file's SQL, in its transaction.
var migrationSteps = map[int]func(tx *sql.Tx) error{
	17: partOrders,
}

// migrate applies the migrations the database does not have yet, each in
// a transaction of its own with the version it reaches.
func (s *Store) migrate() error { return migrate(s.db) }

// migrate brings the schema of db up to date.
func migrate(db *sql.DB) error {
	ms, err := schema()
	if err != nil {
		return err
	}
	var have int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&have); err != nil {
		return err
	}
	if have > len(ms) {
		return fmt.Errorf("schema version %d is newer than this ordertwin knows (%d): use a newer ordertwin", have, len(ms))
	}
	for _, m := range ms[have:] {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if then := migrationSteps[m.version]; then != nil {
			if err := then(tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		if _, err := tx.Exec(`PRAGMA user_version = ` + strconv.Itoa(m.version)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// Append commits records in one transaction: when it returns nil they are
// in the file.
func (s *Store) Append(records []store.Record) error { return s.Commit(records, nil) }

// Commit commits records and inputs in one transaction. The records are
// one row: their encoding, numbered from the next seq. When it fails
// (a full disk: "database or disk is full"), nothing of it is in the
// file, and the caller may give the same records and inputs again: a
// commit that failed only as SQLite ended it, and reached the file all
// the same, is not written twice.
func (s *Store) Commit(records []store.Record, inputs []store.Input) error {
	if len(records) == 0 && len(inputs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("sqlite store: closed")
	}
	if s.unsure {
		landed, err := s.landed()
		if err != nil {
			return fmt.Errorf("sqlite store: after a failed commit: %w", err)
		}
		s.unsure = false
		if landed {
			first := s.last + 1
			s.committed(len(records), s.unsureChain)
			s.feed.Publish(first, records)
			return nil
		}
	}
	s.checkpoints.restart(s.db)
	if err := s.commits.prepare(s.db); err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	if err := insertInputs(tx, s.commits.input, s.chain.lastInput+1, inputs); err != nil {
		tx.Rollback()
		return err
	}
	s.buf = store.EncodeRecords(s.buf[:0], records)
	first, last := s.last+1, s.last+int64(len(records))
	s.batch = s.batch[:0]
	if len(records) > 0 {
		s.batch = store.EncodeBatch(s.batch, records)
		if err := exec(tx, s.commits.batch, insertBatch, first, last, s.batch); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite store: records %d to %d: %w", first, last, err)
		}
	}
	chained, err := s.link(tx, first, last, s.buf, s.chain.lastInput+1, inputs)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("sqlite store: %w", err)
	}
	if err := tx.Commit(); err != nil {
		s.unsure, s.unsureChain = true, chained
		return fmt.Errorf("sqlite store: commit: %w", err)
	}
	s.committed(len(records), chained)
	s.checkpoints.wrote(len(s.batch))
	s.feed.Publish(first, records)
	return nil
}

// committed counts a commit of records, after which the chain stands at c.
func (s *Store) committed(records int, c chain) {
	s.n += records
	s.last += int64(records)
	s.chain = c
}

// landed reports whether the commit whose end failed is in the file: its
// link in the chain (every commit has one, in the same transaction).
func (s *Store) landed() (bool, error) {
	var n int64
	err := s.db.QueryRow(`SELECT count(*) FROM journal_chain WHERE commit_seq = ?`, s.chain.commits+1).Scan(&n)
	return n > 0, err
}

// Probe tells whether the store can write now, by writing: it keeps in
// the meta table when it last could ("probe"). A server probes its store
// before it says it is ready.
func (s *Store) Probe() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("sqlite store: closed")
	}
	if _, err := s.db.Exec(`INSERT INTO meta (key, value) VALUES ('probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("sqlite store: write probe: %w", err)
	}
	return nil
}

// Records returns everything committed, in order.
func (s *Store) Records() ([]store.Record, error) { return s.RecordsAfter(0) }

// History returns the records of one entity, in order: a scan of the
// journal.
func (s *Store) History(entity string) ([]store.Record, error) {
	all, err := s.Records()
	if err != nil {
		return nil, err
	}
	var out []store.Record
	for _, r := range all {
		if r.Entity == entity {
			out = append(out, r)
		}
	}
	return out, nil
}

// readJournal returns up to limit records after seq (all when limit < 0),
// with their seq, in order: the rows of the journal table, then the
// batches. Both reads search by primary key from seq on (the batch that
// holds seq+1 is the last to start at or before it): their cost follows
// the records read, not the journal's size.
func readJournal(ctx context.Context, db *sql.DB, after int64, limit int) ([]store.Entry, error) {
	var out []store.Entry
	full := func() bool { return limit >= 0 && len(out) >= limit }
	rows, err := db.QueryContext(ctx, journalAfter, after, limit)
	if err != nil {
		return nil, err
	}
	for rows.Next() && !full() {
		var e store.Entry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Kind, &e.Entity, &e.Name, &e.System, &e.From, &e.To, &e.Event, &e.Reason); err != nil {
			rows.Close()
			return nil, err
		}
		e.At = time.Duration(at)
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if full() {
		return out, nil
	}
	rows, err = db.QueryContext(ctx, batchesAfter, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var records []store.Record
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

// journalAfter selects the rows of the journal table after ?1, at most
// ?2 of them (all when ?2 < 0).
const journalAfter = `SELECT seq, at, kind, entity, name, system, from_state, to_state, event, reason
	FROM journal WHERE seq > ?1 ORDER BY seq LIMIT ?2`

// batchesAfter selects the batches that hold records after ?1, at most
// ?2 of them (all when ?2 < 0).
const batchesAfter = `SELECT first_seq, last_seq, data FROM journal_batch
	WHERE first_seq >= coalesce((SELECT max(first_seq) FROM journal_batch WHERE first_seq <= ?1 + 1), 0)
	ORDER BY first_seq LIMIT ?2`

// Len counts the records committed.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Close closes the file; the store takes no more records.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	cerr := s.checkpoints.close()
	s.commits.close()
	s.owner.once.Do(func() { s.owner.err = errors.New("closed") }) // none prepared after
	if s.owner.stmt != nil {
		s.owner.stmt.Close()
	}
	s.reader.Close()
	if err := s.db.Close(); err != nil {
		return err
	}
	return cerr
}

// Package sqlite is the embedded durable store (DESIGN.md §7): the journal
// in one SQLite file in WAL mode. Each Append is one transaction: the
// engine hands over a whole step's records at once, so a commit carries
// many rows (group commit), which is what makes SQLite fast here.
//
// The schema is versioned by the migrations in migrations/, applied in
// order at Open; the database's user_version says which it has.
package sqlite

import (
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
	// inserts[k] inserts k rows in one statement, prepared when first
	// needed: fewer, larger statements cost SQLite and database/sql less
	// per row.
	inserts [rowsPerInsert + 1]*sql.Stmt
	args    []any
	n       int
}

// rowsPerInsert is the most rows one INSERT carries (9 parameters a row,
// well under SQLite's limit of parameters per statement).
const rowsPerInsert = 64

const insertRow = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"

// Open opens the store in file (creating it if need be) and brings its
// schema up to date.
func Open(file string, opt Options) (*Store, error) {
	sync := opt.Sync
	if sync == "" {
		sync = SyncNormal
	}
	if sync != SyncNormal && sync != SyncFull {
		return nil, fmt.Errorf("sqlite store: sync %q: want %q or %q", sync, SyncNormal, SyncFull)
	}
	q := url.Values{"_pragma": {"journal_mode(WAL)", "synchronous(" + string(sync) + ")", "busy_timeout(5000)", "foreign_keys(1)"}}
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite store %s: %w", file, err)
	}
	// One connection: the engine is the only writer, and SQLite takes one
	// writer at a time anyway.
	db.SetMaxOpenConns(1)
	s := &Store{db: db}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", file, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM journal`).Scan(&s.n); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", file, err)
	}
	return s, nil
}

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

// migrate applies the migrations the database does not have yet, each in
// a transaction of its own with the version it reaches.
func (s *Store) migrate() error {
	ms, err := schema()
	if err != nil {
		return err
	}
	var have int
	if err := s.db.QueryRow(`PRAGMA user_version`).Scan(&have); err != nil {
		return err
	}
	if have > len(ms) {
		return fmt.Errorf("schema version %d is newer than this ordertwin knows (%d): use a newer ordertwin", have, len(ms))
	}
	for _, m := range ms[have:] {
		tx, err := s.db.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
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

// Commit commits records and inputs in one transaction.
func (s *Store) Commit(records []store.Record, inputs []store.Input) error {
	if len(records) == 0 && len(inputs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("sqlite store: closed")
	}
	// The statements this batch needs, prepared before the transaction
	// takes the one connection.
	for _, k := range [...]int{min(len(records), rowsPerInsert), len(records) % rowsPerInsert} {
		if err := s.prepare(k); err != nil {
			return fmt.Errorf("sqlite store: %w", err)
		}
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	if err := insertInputs(tx, inputs); err != nil {
		tx.Rollback()
		return err
	}
	for from := 0; from < len(records); from += rowsPerInsert {
		part := records[from:min(from+rowsPerInsert, len(records))]
		if err := s.insert(tx, part); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite store: records %d to %d of %d: %w", from+1, from+len(part), len(records), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: commit: %w", err)
	}
	s.n += len(records)
	return nil
}

// prepare prepares the statement inserting k rows, once; k = 0 needs none.
func (s *Store) prepare(k int) error {
	if k == 0 || s.inserts[k] != nil {
		return nil
	}
	st, err := s.db.Prepare("INSERT INTO journal (at, kind, entity, name, system, from_state, to_state, event, reason) VALUES " +
		strings.Repeat(insertRow+", ", k-1) + insertRow)
	if err != nil {
		return err
	}
	s.inserts[k] = st
	return nil
}

// insert inserts up to rowsPerInsert records with one prepared statement.
func (s *Store) insert(tx *sql.Tx, records []store.Record) error {
	k := len(records)
	s.args = s.args[:0]
	for i := range records {
		r := &records[i]
		s.args = append(s.args, int64(r.At), r.Kind, r.Entity, r.Name, r.System, r.From, r.To, r.Event, r.Reason)
	}
	_, err := tx.Stmt(s.inserts[k]).Exec(s.args...)
	clear(s.args) // hold no strings of the batch
	return err
}

// Records returns everything committed, in order.
func (s *Store) Records() ([]store.Record, error) {
	return s.query(`SELECT at, kind, entity, name, system, from_state, to_state, event, reason FROM journal ORDER BY seq`)
}

// History returns the records of one entity, in order.
func (s *Store) History(entity string) ([]store.Record, error) {
	return s.query(`SELECT at, kind, entity, name, system, from_state, to_state, event, reason FROM journal
		WHERE entity = ? ORDER BY seq`, entity)
}

func (s *Store) query(q string, args ...any) ([]store.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.db.Query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		var r store.Record
		var at int64
		if err := rows.Scan(&at, &r.Kind, &r.Entity, &r.Name, &r.System, &r.From, &r.To, &r.Event, &r.Reason); err != nil {
			return nil, fmt.Errorf("sqlite store: %w", err)
		}
		r.At = time.Duration(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	return out, nil
}

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
	for _, st := range s.inserts {
		if st != nil {
			st.Close()
		}
	}
	return s.db.Close()
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"

	"github.com/ordertwin/ordertwin/core/store"
)

// Outbox keeps the hub notifier's delivery cursors, and reads the journal
// for a process other than the engine's. It is a second handle on the file
// the engine writes through its Store: in WAL mode its reads never wait
// for the engine's commits, nor the commits for them; its own writes (a
// cursor) are one short transaction each. The engine's Store must have
// opened the file first, so that its schema is current. The notifier takes
// the committed records themselves from the Store's Feed.
type Outbox struct {
	db *sql.DB
	// write serialises the outbox's own writes: they never wait for each
	// other in SQLite's busy handler, only (briefly) for the engine's.
	write sync.Mutex
}

// outboxConns is how many connections the outbox may hold: the cursors'
// writes take one at a time.
const outboxConns = 2

// OpenOutbox opens the journal in file for the notifier.
func OpenOutbox(file string) (*Outbox, error) {
	q := url.Values{"_pragma": {"busy_timeout(5000)", "synchronous(normal)"}, "_txlock": {"immediate"}}
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("outbox %s: %w", file, err)
	}
	db.SetMaxOpenConns(outboxConns)
	var have int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&have); err != nil {
		db.Close()
		return nil, fmt.Errorf("outbox %s: %w", file, err)
	}
	if want := Version(); have != want {
		db.Close()
		return nil, fmt.Errorf("outbox %s: schema version %d, want %d: open the store first", file, have, want)
	}
	return &Outbox{db: db}, nil
}

// OpenCursors opens an Outbox on the store's file: the hub notifier's
// handle on its delivery cursors.
func (s *Store) OpenCursors() (store.Cursors, error) { return OpenOutbox(s.file) }

// Close closes the outbox's handle on the file.
func (o *Outbox) Close() error { return o.db.Close() }

// After returns up to limit records after seq (all when limit < 0), in
// journal order: a reader of the file outside the engine's process
// (ordertwin journal). Within the process, the store's Feed hands them.
func (o *Outbox) After(ctx context.Context, seq int64, limit int) ([]store.Entry, error) {
	c, err := loadCompacted(ctx, o.db)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	if err := c.recordsAfter(seq); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	out, err := readJournal(ctx, o.db, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return out, nil
}

// Cursors returns every delivery cursor: listener id → seq.
func (o *Outbox) Cursors(ctx context.Context) (map[string]int64, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT listener, seq FROM delivery_cursor`)
	if err != nil {
		return nil, fmt.Errorf("outbox: cursors: %w", err)
	}
	defer rows.Close()
	out, err := store.ScanCursors(rows)
	if err != nil {
		return nil, fmt.Errorf("outbox: cursors: %w", err)
	}
	return out, nil
}

// AddCursor starts the cursor of listener at seq, unless it has one, and
// returns where the cursor is.
func (o *Outbox) AddCursor(ctx context.Context, listener string, seq int64) (int64, error) {
	o.write.Lock()
	defer o.write.Unlock()
	var at int64
	if err := o.db.QueryRowContext(ctx, `INSERT INTO delivery_cursor (listener, seq) VALUES (?, ?)
		ON CONFLICT (listener) DO UPDATE SET seq = seq RETURNING seq`, listener, seq).Scan(&at); err != nil {
		return 0, fmt.Errorf("outbox: cursor of %q: %w", listener, err)
	}
	return at, nil
}

// SetCursor moves the cursor of listener to seq, creating it if need be.
func (o *Outbox) SetCursor(ctx context.Context, listener string, seq int64) error {
	o.write.Lock()
	defer o.write.Unlock()
	if _, err := o.db.ExecContext(ctx, `INSERT INTO delivery_cursor (listener, seq) VALUES (?, ?)
		ON CONFLICT (listener) DO UPDATE SET seq = excluded.seq`, listener, seq); err != nil {
		return fmt.Errorf("outbox: cursor of %q: %w", listener, err)
	}
	return nil
}

// MoveCursor moves the cursor of listener to seq if it still has one: a
// listener removed meanwhile stays removed.
func (o *Outbox) MoveCursor(ctx context.Context, listener string, seq int64) error {
	o.write.Lock()
	defer o.write.Unlock()
	if _, err := o.db.ExecContext(ctx, `UPDATE delivery_cursor SET seq = ? WHERE listener = ?`, seq, listener); err != nil {
		return fmt.Errorf("outbox: cursor of %q: %w", listener, err)
	}
	return nil
}

// DeleteCursor forgets the cursor of listener.
func (o *Outbox) DeleteCursor(ctx context.Context, listener string) error {
	o.write.Lock()
	defer o.write.Unlock()
	if _, err := o.db.ExecContext(ctx, `DELETE FROM delivery_cursor WHERE listener = ?`, listener); err != nil {
		return fmt.Errorf("outbox: cursor of %q: %w", listener, err)
	}
	return nil
}

// MoveCursors moves the cursors of the listeners forward to seq, in one
// write: the notifier keeps so where its idle listeners are.
func (o *Outbox) MoveCursors(ctx context.Context, listeners []string, seq int64) error {
	if len(listeners) == 0 {
		return nil
	}
	ids, err := json.Marshal(listeners)
	if err != nil {
		return fmt.Errorf("outbox: cursors: %w", err)
	}
	o.write.Lock()
	defer o.write.Unlock()
	if _, err := o.db.ExecContext(ctx, `UPDATE delivery_cursor SET seq = ?1
		WHERE seq < ?1 AND listener IN (SELECT value FROM json_each(?2))`, seq, string(ids)); err != nil {
		return fmt.Errorf("outbox: cursors of %d listeners: %w", len(listeners), err)
	}
	return nil
}

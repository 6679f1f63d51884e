package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordertwin/ordertwin/core/store"
)

// Cursors keeps the hub notifier's delivery cursors, on the store's pool
// of connections: each call is one short statement of its own, after the
// fence's check when the store writes under a lease (one round trip, one
// implicit transaction), so an instance that lost a shard moves none of
// its cursors.
type Cursors struct {
	pool *pgxpool.Pool
	s    *Store
}

// OpenCursors returns the store's delivery cursors.
func (s *Store) OpenCursors() (store.Cursors, error) { return &Cursors{pool: s.pool, s: s}, nil }

// Close does nothing: the connections are the store's, closed with it.
func (c *Cursors) Close() error { return nil }

// Cursors returns every delivery cursor: listener id → seq.
func (c *Cursors) Cursors(ctx context.Context) (map[string]int64, error) {
	rows, err := c.pool.Query(ctx, `SELECT listener, seq FROM delivery_cursor`)
	if err != nil {
		return nil, fmt.Errorf("cursors: %w", err)
	}
	defer rows.Close()
	out, err := store.ScanCursors(rows)
	if err != nil {
		return nil, fmt.Errorf("cursors: %w", err)
	}
	return out, nil
}

// AddCursor starts the cursor of listener at seq, unless it has one, and
// returns where the cursor is.
func (c *Cursors) AddCursor(ctx context.Context, listener string, seq int64) (int64, error) {
	var at int64
	b := &pgx.Batch{}
	c.s.queueFence(b)
	b.Queue(`INSERT INTO delivery_cursor (listener, seq) VALUES ($1, $2)
		ON CONFLICT (listener) DO UPDATE SET seq = delivery_cursor.seq RETURNING seq`, listener, seq).QueryRow(func(row pgx.Row) error {
		return row.Scan(&at)
	})
	if err := c.send(ctx, b); err != nil {
		return 0, fmt.Errorf("cursor of %q: %w", listener, err)
	}
	return at, nil
}

// SetCursor moves the cursor of listener to seq, creating it if need be.
func (c *Cursors) SetCursor(ctx context.Context, listener string, seq int64) error {
	return c.exec(ctx, listener, `INSERT INTO delivery_cursor (listener, seq) VALUES ($1, $2)
		ON CONFLICT (listener) DO UPDATE SET seq = excluded.seq`, listener, seq)
}

// MoveCursor moves the cursor of listener to seq if it still has one.
func (c *Cursors) MoveCursor(ctx context.Context, listener string, seq int64) error {
	return c.exec(ctx, listener, `UPDATE delivery_cursor SET seq = $2 WHERE listener = $1`, listener, seq)
}

// DeleteCursor forgets the cursor of listener.
func (c *Cursors) DeleteCursor(ctx context.Context, listener string) error {
	return c.exec(ctx, listener, `DELETE FROM delivery_cursor WHERE listener = $1`, listener)
}

// MoveCursors moves the cursors of listeners forward to seq, in one
// statement.
func (c *Cursors) MoveCursors(ctx context.Context, listeners []string, seq int64) error {
	if len(listeners) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	c.s.queueFence(b)
	b.Queue(`UPDATE delivery_cursor SET seq = $1 WHERE seq < $1 AND listener = ANY($2)`, seq, listeners)
	if err := c.send(ctx, b); err != nil {
		return fmt.Errorf("cursors of %d listeners: %w", len(listeners), err)
	}
	return nil
}

// exec runs one write of listener's cursor.
func (c *Cursors) exec(ctx context.Context, listener, sql string, args ...any) error {
	b := &pgx.Batch{}
	c.s.queueFence(b)
	b.Queue(sql, args...)
	if err := c.send(ctx, b); err != nil {
		return fmt.Errorf("cursor of %q: %w", listener, err)
	}
	return nil
}

// send sends a write's statements, the fence's first.
func (c *Cursors) send(ctx context.Context, b *pgx.Batch) error {
	if err := c.s.checkFence(); err != nil {
		return err
	}
	return c.s.fenceError(c.pool.SendBatch(ctx, b).Close())
}

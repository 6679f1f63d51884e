package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordertwin/ordertwin/core/store"
)

// keptSnapshots is how many snapshots the store keeps: the latest, and the
// one before it.
const keptSnapshots = 2

// snapshotChunk is the size of the chunks a snapshot's body is kept in:
// no row, nor any message to the server, grows with the whole state.
const snapshotChunk = 1 << 20

// SaveSnapshot keeps snap as the latest snapshot, its body copied in
// chunks (COPY), and drops all but the latest two, in one transaction.
func (s *Store) SaveSnapshot(snap store.Snapshot) error {
	s.mu.Lock()
	last := s.last
	s.mu.Unlock()
	if int64(snap.Records) > last {
		return fmt.Errorf("postgres store: a snapshot after record %d, but the journal ends at %d", snap.Records, last)
	}
	if err := s.checkFence(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres store: snapshot: %w", err)
	}
	defer tx.Rollback(ctx)
	in := int64(snap.Inputs)
	b := &pgx.Batch{}
	s.queueFence(b)
	b.Queue(`DELETE FROM snapshot_chunk WHERE inputs = $1`, in)
	b.Queue(`INSERT INTO snapshot (inputs, records, at, taken, size) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (inputs) DO UPDATE SET records = excluded.records, at = excluded.at, taken = excluded.taken, size = excluded.size`,
		in, int64(snap.Records), int64(snap.At), time.Now().UTC(), snap.Size())
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres store: snapshot: %w", s.fenceError(err))
	}
	n := 0
	next, stop := iter.Pull(snap.Chunks(snapshotChunk))
	defer stop()
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"snapshot_chunk"}, []string{"inputs", "n", "body"},
		pgx.CopyFromFunc(func() ([]any, error) {
			c, ok := next()
			if !ok {
				return nil, nil
			}
			n++
			return []any{in, int32(n - 1), c}, nil
		})); err != nil {
		return fmt.Errorf("postgres store: snapshot: chunks: %w", err)
	}
	b = &pgx.Batch{}
	b.Queue(`DELETE FROM snapshot WHERE inputs NOT IN (SELECT inputs FROM snapshot ORDER BY inputs DESC LIMIT $1)`, keptSnapshots)
	b.Queue(`DELETE FROM snapshot_chunk WHERE inputs < (SELECT min(inputs) FROM snapshot)`)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres store: snapshot: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres store: snapshot: %w", err)
	}
	return nil
}

// LatestSnapshot returns the latest snapshot saved.
func (s *Store) LatestSnapshot() (store.Snapshot, bool, error) {
	ctx := context.Background()
	var snap store.Snapshot
	var inputs, records, at, size int64
	err := s.pool.QueryRow(ctx, `SELECT inputs, records, at, size FROM snapshot ORDER BY inputs DESC LIMIT 1`).Scan(&inputs, &records, &at, &size)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Snapshot{}, false, nil
	case err != nil:
		return store.Snapshot{}, false, fmt.Errorf("postgres store: snapshot: %w", err)
	}
	snap.Inputs, snap.Records, snap.At = uint64(inputs), uint64(records), time.Duration(at)
	if snap.Body, err = s.snapshotBody(ctx, inputs, size); err != nil {
		return store.Snapshot{}, false, fmt.Errorf("postgres store: snapshot after %d inputs: %w", inputs, err)
	}
	return snap, true, nil
}

// snapshotBody reads the body of the snapshot after inputs, size bytes,
// from its chunks.
func (s *Store) snapshotBody(ctx context.Context, inputs, size int64) ([]byte, error) {
	rows, err := s.pool.Query(ctx, `SELECT body FROM snapshot_chunk WHERE inputs = $1 ORDER BY n`, inputs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	body := make([]byte, 0, size)
	for rows.Next() {
		chunk := rows.RawValues()[0] // the row's bytes, valid until Next: copied once, into body
		if int64(len(body)+len(chunk)) > size {
			return nil, fmt.Errorf("its chunks hold more than its %d bytes", size)
		}
		body = append(body, chunk...)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if int64(len(body)) != size {
		return nil, fmt.Errorf("its chunks hold %d of its %d bytes", len(body), size)
	}
	return body, nil
}

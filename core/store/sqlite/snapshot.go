package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
)

// keptSnapshots is how many snapshots the store keeps: the latest, and the
// one before it.
const keptSnapshots = 2

// snapshotChunk is the size of the chunks a snapshot's body is kept in
// (snapshot_chunk): a chunk and its row fit whole in a page of the file
// (4 KiB, of which a row may hold 4,061 bytes), so that reading one is a
// single copy out of the page cache, with no buffer for the whole body in
// SQLite or in the driver.
const snapshotChunk = 4000

// snapshotCollect is how many bytes of a snapshot's body are read between
// two garbage collections (snapshotBody): with little else live while a
// restart reads it, each takes a millisecond or so.
const snapshotCollect = 8 << 20

// snapshotSlice is about how many bytes of a snapshot's body one
// transaction writes: the store lets go of the writer between two, so
// that commits go on while a large snapshot is written (tens of
// megabytes, most of a second) instead of waiting for all of it.
const snapshotSlice = 1 << 20

// afterSlice, when set, is called after each slice of a snapshot is
// written, the writer let go: tests commit there.
var afterSlice func()

// SaveSnapshot keeps snap as the latest snapshot, and drops all but the
// latest two. Its chunks are written in slices, a transaction each, the
// journal's commits going on between them; the snapshot is kept, its row
// written, in the last: until then (or when a crash cuts it short) the
// latest snapshot is the one before, and chunks without their row are
// dropped by the next.
func (s *Store) SaveSnapshot(snap store.Snapshot) error {
	in, size := int64(snap.Inputs), snap.Size()
	err := s.snapshotTx(func(tx *sql.Tx) error {
		if int64(snap.Records) > s.last {
			return fmt.Errorf("a snapshot after record %d, but the journal ends at %d", snap.Records, s.last)
		}
		// Saved again at the same place: the one saved goes first. Chunks
		// after the latest kept are those of one cut short.
		if _, err := tx.Exec(`DELETE FROM snapshot WHERE inputs = ?`, in); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM snapshot_chunk WHERE inputs = ? OR inputs > (SELECT coalesce(max(inputs), -1) FROM snapshot)`, in)
		return err
	})
	_, commits := s.Head()
	n, chunks := 0, snap.Chunks(snapshotChunk)
	next, stop := iter.Pull(chunks)
	defer stop()
	c, more := next()
	for err == nil && more {
		err = s.snapshotTx(func(tx *sql.Tx) error {
			chunk, err := tx.Prepare(`INSERT INTO snapshot_chunk (inputs, n, body) VALUES (?, ?, ?)`)
			if err != nil {
				return err
			}
			defer chunk.Close()
			written := 0
			for ; more && written < snapshotSlice; c, more = next() {
				if _, err := chunk.Exec(in, n, c); err != nil {
					return fmt.Errorf("chunk %d: %w", n, err)
				}
				n++
				written += len(c)
			}
			s.checkpoints.wrote(written)
			return nil
		})
		if afterSlice != nil && err == nil {
			afterSlice()
		}
		if _, c := s.Head(); err == nil && more && c != commits {
			s.paceSnapshot()
			commits = c
		}
	}
	if err == nil {
		err = s.snapshotTx(func(tx *sql.Tx) error {
			if _, err := tx.Exec(`INSERT INTO snapshot (inputs, records, at, taken, body, size) VALUES (?, ?, ?, ?, X'', ?)`,
				in, int64(snap.Records), int64(snap.At), time.Now().UTC().Format(time.RFC3339Nano), size); err != nil {
				return err
			}
			if _, err := tx.Exec(`DELETE FROM snapshot WHERE inputs NOT IN (SELECT inputs FROM snapshot ORDER BY inputs DESC LIMIT ?)`, keptSnapshots); err != nil {
				return err
			}
			// The chunks of the snapshots dropped, by a range of the index (a
			// NOT IN would read every chunk of the file).
			_, err := tx.Exec(`DELETE FROM snapshot_chunk WHERE inputs < (SELECT min(inputs) FROM snapshot)`)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("sqlite store: snapshot: %w", err)
	}
	return nil
}

// snapshotTx runs fn in a transaction of its own, holding the writer (and
// the store's lock, which the checkpointer's count needs too).
func (s *Store) snapshotTx(fn func(tx *sql.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("closed")
	}
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// paceSnapshot waits, after a slice of a snapshot, until the checkpointer
// has copied the WAL into the file once more (at most a second): a
// snapshot's slices written as fast as they could be (19 MB at 500 orders
// a second) left it a copy of them all at its next run, which the
// journal's commits waited behind, and the orders' p99 of the second after
// the snapshot was handed over was 24-39 ms; paced, each copy is of one
// slice and what was committed beside it, and it was 15-23 ms (four pairs
// of runs). A snapshot is saved in the background: it only takes longer.
// Only while the journal commits beside it: with nothing waiting (a clean
// stop's), pacing would only make the stop slower.
func (s *Store) paceSnapshot() {
	select {
	case <-s.checkpoints.after():
	case <-time.After(time.Second):
	}
}

// LatestSnapshot returns the latest snapshot saved.
func (s *Store) LatestSnapshot() (store.Snapshot, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var snap store.Snapshot
	var inputs, records, at, size int64
	err := s.db.QueryRow(`SELECT inputs, records, at, body, size FROM snapshot ORDER BY inputs DESC LIMIT 1`).Scan(&inputs, &records, &at, &snap.Body, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Snapshot{}, false, nil
	}
	if err != nil {
		return store.Snapshot{}, false, fmt.Errorf("sqlite store: snapshot: %w", err)
	}
	snap.Inputs, snap.Records, snap.At = uint64(inputs), uint64(records), time.Duration(at)
	if size > 0 {
		if snap.Body, err = s.snapshotBody(inputs, size); err != nil {
			return store.Snapshot{}, false, fmt.Errorf("sqlite store: snapshot after %d inputs: %w", inputs, err)
		}
	}
	return snap, true, nil
}

// snapshotBody reads the body of the snapshot after inputs, size bytes,
// from its chunks: each is copied once, into the body.
func (s *Store) snapshotBody(inputs, size int64) ([]byte, error) {
	rows, err := s.db.Query(`SELECT body FROM snapshot_chunk WHERE inputs = ? ORDER BY n`, inputs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	body := make([]byte, 0, size)
	for rows.Next() {
		var chunk sql.RawBytes
		if err := rows.Scan(&chunk); err != nil {
			return nil, err
		}
		if int64(len(body)+len(chunk)) > size {
			return nil, fmt.Errorf("its chunks hold more than its %d bytes", size)
		}
		body = append(body, chunk...)
		if len(body)%snapshotCollect < len(chunk) {
			// The driver hands each chunk in a slice of its own: a
			// collection now lets the next chunks reuse their memory
			// instead of touching fresh pages, most of a read's cost.
			runtime.GC()
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if int64(len(body)) != size {
		return nil, fmt.Errorf("its chunks hold %d of its %d bytes", len(body), size)
	}
	return body, nil
}

// RecordsAfter returns the records committed after the first n, in order:
// what a restart from a snapshot checks its replay against.
func (s *Store) RecordsAfter(n uint64) ([]store.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.compacted.recordsAfter(int64(n)); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	entries, err := readJournal(context.Background(), s.db, int64(n), -1)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	out := make([]store.Record, len(entries))
	for i, e := range entries {
		out[i] = e.Record
	}
	return out, nil
}

// InputsFrom returns the inputs logged when the engine had handled n
// inputs or more, in order: the tail a restart from a snapshot replays.
func (s *Store) InputsFrom(n uint64) ([]store.Input, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.compacted.inputsFrom(n); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	from, err := s.firstInputFrom(int64(n))
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	out, err := queryInputs(s.db, `seq >= ?`, from)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	return out, nil
}

// firstInputFrom is the seq of the first input logged when the engine had
// handled n inputs or more. The engine logs its inputs in the order it
// takes them, so before rises with seq, and the seqs have no gap (a
// compaction takes a prefix): a bisection on the primary key finds it in
// a few lookups, where a condition on before would read every input.
func (s *Store) firstInputFrom(n int64) (int64, error) {
	// Each bound a query of its own: SQLite finds a lone min or max at an
	// end of the primary key, and scans the whole table for both at once
	// (0.18 s of a restart at 1.5M inputs).
	var lo, hi int64
	if err := s.db.QueryRow(`SELECT coalesce((SELECT min(seq) FROM inputs), 1), coalesce((SELECT max(seq) FROM inputs), 0) + 1`).Scan(&lo, &hi); err != nil {
		return 0, err
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		var before int64
		if err := s.db.QueryRow(`SELECT before FROM inputs WHERE seq = ?`, mid).Scan(&before); err != nil {
			return 0, fmt.Errorf("input %d: %w", mid, err)
		}
		if before >= n {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
)

// keptSnapshots is how many snapshots the store keeps: the latest, and the
// one before it.
const keptSnapshots = 2

// SaveSnapshot keeps s as the latest snapshot, and drops all but the
// latest two.
func (s *Store) SaveSnapshot(snap store.Snapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("sqlite store: closed")
	}
	if int64(snap.Records) > s.last {
		return fmt.Errorf("sqlite store: a snapshot after record %d, but the journal ends at %d", snap.Records, s.last)
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("sqlite store: snapshot: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT OR REPLACE INTO snapshot (inputs, records, at, taken, body) VALUES (?, ?, ?, ?, ?)`,
		int64(snap.Inputs), int64(snap.Records), int64(snap.At), time.Now().UTC().Format(time.RFC3339Nano), snap.Body); err != nil {
		return fmt.Errorf("sqlite store: snapshot: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM snapshot WHERE inputs NOT IN (SELECT inputs FROM snapshot ORDER BY inputs DESC LIMIT ?)`, keptSnapshots); err != nil {
		return fmt.Errorf("sqlite store: snapshot: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: snapshot: %w", err)
	}
	s.checkpoints.wrote(len(snap.Body))
	return nil
}

// LatestSnapshot returns the latest snapshot saved.
func (s *Store) LatestSnapshot() (store.Snapshot, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var snap store.Snapshot
	var inputs, records, at int64
	err := s.db.QueryRow(`SELECT inputs, records, at, body FROM snapshot ORDER BY inputs DESC LIMIT 1`).Scan(&inputs, &records, &at, &snap.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Snapshot{}, false, nil
	}
	if err != nil {
		return store.Snapshot{}, false, fmt.Errorf("sqlite store: snapshot: %w", err)
	}
	snap.Inputs, snap.Records, snap.At = uint64(inputs), uint64(records), time.Duration(at)
	return snap, true, nil
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
	out, err := queryInputs(s.db, `before >= ?`, int64(n))
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	return out, nil
}

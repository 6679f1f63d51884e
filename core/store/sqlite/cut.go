package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ordertwin/ordertwin/core/store"
)

// Cut reads the latest snapshot and what was committed after it up to the
// last commit in the file, as one whole (store.Cutter), while another
// process writes the file. Records and inputs are only ever appended, a
// commit's at once with its row in the commit chain: the chain's last row,
// read first, names a commit whose records and inputs are all there, and
// whatever lands while they are read is left out.
func (s *Store) Cut() (store.Cut, error) {
	var cut store.Cut
	snap, ok, err := s.LatestSnapshot()
	if err != nil {
		return cut, err
	}
	var from store.Snapshot
	if ok {
		cut.Snapshot, from = &snap, snap
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var lastRecord, lastInput int64
	err = s.db.QueryRow(`SELECT last_record, last_input FROM journal_chain ORDER BY commit_seq DESC LIMIT 1`).Scan(&lastRecord, &lastInput)
	if errors.Is(err, sql.ErrNoRows) {
		return cut, nil // nothing committed
	}
	if err != nil {
		return cut, fmt.Errorf("sqlite store: the last commit: %w", err)
	}
	if lastRecord < int64(from.Records) {
		return cut, fmt.Errorf("sqlite store: the last commit ends at record %d, before the latest snapshot's %d", lastRecord, from.Records)
	}
	if err := s.compacted.recordsAfter(int64(from.Records)); err != nil {
		return cut, fmt.Errorf("sqlite store: %w", err)
	}
	if err := s.compacted.inputsFrom(from.Inputs); err != nil {
		return cut, fmt.Errorf("sqlite store: %w", err)
	}
	entries, err := readJournal(context.Background(), s.db, int64(from.Records), int(lastRecord-int64(from.Records)))
	if err != nil {
		return cut, fmt.Errorf("sqlite store: %w", err)
	}
	if want := lastRecord - int64(from.Records); int64(len(entries)) != want {
		return cut, fmt.Errorf("sqlite store: %d records after %d, want %d", len(entries), from.Records, want)
	}
	cut.Records = make([]store.Record, len(entries))
	for i, e := range entries {
		cut.Records[i] = e.Record
	}
	first, err := s.firstInputFrom(int64(from.Inputs))
	if err != nil {
		return cut, fmt.Errorf("sqlite store: %w", err)
	}
	if cut.Inputs, err = queryInputs(s.db, `seq >= ? AND seq <= ?`, first, lastInput); err != nil {
		return cut, fmt.Errorf("sqlite store: %w", err)
	}
	return cut, nil
}

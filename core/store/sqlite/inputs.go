package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
)

// LogInputs commits inputs in one transaction.
func (s *Store) LogInputs(inputs []store.Input) error { return s.Commit(nil, inputs) }

// insertInputs inserts inputs in tx with insert (commitStatements.input),
// numbered from first.
func insertInputs(tx *sql.Tx, insert *sql.Stmt, first int64, inputs []store.Input) error {
	if len(inputs) == 0 {
		return nil
	}
	insert = tx.Stmt(insert)
	for i, in := range inputs {
		if _, err := insert.Exec(first+int64(i), int64(in.Before), int64(in.At), int(in.To), in.Kind, in.Body, in.Origin.Encode()); err != nil {
			return fmt.Errorf("sqlite store: input %s: %w", in.Kind, err)
		}
	}
	return nil
}

// Inputs returns the logged inputs in order.
func (s *Store) Inputs() ([]store.Input, error) { return s.InputsAfter(0) }

// InputsAfter returns the logged inputs after seq, in order: the first is
// input seq+1. Inputs a compaction moved out are an error
// (*CompactedError).
func (s *Store) InputsAfter(seq int64) ([]store.Input, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.compacted.inputsAfter(seq); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	out, err := readInputs(s.db, seq)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	return out, nil
}

// readInputs returns the inputs after seq, in order.
func readInputs(db *sql.DB, after int64) ([]store.Input, error) {
	return queryInputs(db, `seq > ?`, after)
}

// queryInputs returns the inputs where says, in order.
func queryInputs(db *sql.DB, where string, args ...any) ([]store.Input, error) {
	rows, err := db.Query(`SELECT `+inputColumns+` FROM inputs WHERE `+where+` ORDER BY seq`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Input
	for rows.Next() {
		_, in, err := scanInput(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// inputColumns are the columns of an input, as scanInput reads them.
const inputColumns = `seq, before, at, address, kind, body, origin`

// scanInput reads an input's row (inputColumns): its seq and the input.
func scanInput(rows *sql.Rows) (int64, store.Input, error) {
	var in store.Input
	var seq, before, at int64
	var to int
	var origin []byte
	if err := rows.Scan(&seq, &before, &at, &to, &in.Kind, &in.Body, &origin); err != nil {
		return 0, in, err
	}
	in.Before, in.At, in.To = uint64(before), time.Duration(at), uint8(to)
	var err error
	if in.Origin, err = store.DecodeOrigin(origin); err != nil {
		return 0, in, fmt.Errorf("input %d: %w", seq, err)
	}
	return seq, in, nil
}

// Meta returns the setting called key, and whether it is set.
func (s *Store) Meta(key string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v string
	err := s.db.QueryRow(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("sqlite store: meta %s: %w", key, err)
	}
	return v, true, nil
}

// SetMeta sets the setting called key.
func (s *Store) SetMeta(key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.db.Exec(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("sqlite store: meta %s: %w", key, err)
	}
	return nil
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ordertwin/ordertwin/core/store"
)

// Compacted says what of a store's journal Compact moved into an archive:
// the links 1 … Link of its hash chain, with the records 1 … Records and
// the inputs 1 … Inputs they chain. The store keeps the rest, numbered on
// from there: sequence numbers never restart. It is kept in the meta
// table (key "compacted"), in the transaction that deletes what moved.
type Compacted struct {
	Link    int64      // the last link moved
	Head    store.Hash // its hash: the predecessor of the first link kept
	Records int64      // the last record moved
	Inputs  int64      // the last input moved
	// InputBefore is the largest Before of the inputs moved: a restart
	// from a snapshot at or before it would need them.
	InputBefore int64
	Archive     string // the archive's path, as the last compaction wrote it
}

// compactedJSON is how Compacted is kept.
type compactedJSON struct {
	Link        int64  `json:"link"`
	Head        string `json:"head"`
	Records     int64  `json:"records"`
	Inputs      int64  `json:"inputs"`
	InputBefore int64  `json:"inputBefore"`
	Archive     string `json:"archive"`
}

func (c Compacted) encode() (string, error) {
	b, err := json.Marshal(compactedJSON{c.Link, c.Head.String(), c.Records, c.Inputs, c.InputBefore, c.Archive})
	return string(b), err
}

// rowQuerier is a *sql.DB, *sql.Conn or *sql.Tx.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// loadCompacted reads what was compacted out of a store; the zero value
// when nothing was.
func loadCompacted(ctx context.Context, q rowQuerier) (Compacted, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'compacted'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return Compacted{}, nil
	}
	if err != nil {
		// The first read of a store: a file cut short or damaged fails
		// here, compacted or not.
		return Compacted{}, fmt.Errorf("reading what was compacted out of it: %w", err)
	}
	var j compactedJSON
	if err := json.Unmarshal([]byte(v), &j); err != nil {
		return Compacted{}, fmt.Errorf("compacted %q: %w", v, err)
	}
	c := Compacted{Link: j.Link, Records: j.Records, Inputs: j.Inputs, InputBefore: j.InputBefore, Archive: j.Archive}
	h, err := hex.DecodeString(j.Head)
	if err != nil || len(h) != len(c.Head) {
		return Compacted{}, fmt.Errorf("compacted: head %q: not a SHA-256 hash", j.Head)
	}
	copy(c.Head[:], h)
	return c, nil
}

// ErrCompacted: what was asked for was moved into an archive by a
// compaction (*CompactedError says which and where).
var ErrCompacted = errors.New("compacted into an archive")

// CompactedError is a read of records or inputs that a compaction moved
// out of the store: the store holds only those after them, and never
// answers with a gap.
type CompactedError struct {
	What    string // "records" or "inputs"
	Last    int64  // the last one moved
	Archive string
}

func (e *CompactedError) Error() string {
	return fmt.Sprintf("%s 1 to %d were compacted into the archive %s (ordertwin journal %s reads them): this store holds only those after %d",
		e.What, e.Last, e.Archive, e.Archive, e.Last)
}

// RecordsCompacted implements store.Compacted: the last record in the
// archive (0 for a read of inputs).
func (e *CompactedError) RecordsCompacted() int64 {
	if e.What != "records" {
		return 0
	}
	return e.Last
}

// Is makes errors.Is(err, ErrCompacted) true.
func (e *CompactedError) Is(target error) bool { return target == ErrCompacted }

// recordsAfter is the error of a read of the records after seq: nil
// unless some of them were moved out.
func (c Compacted) recordsAfter(seq int64) error {
	if seq < c.Records {
		return &CompactedError{What: "records", Last: c.Records, Archive: c.Archive}
	}
	return nil
}

// inputsAfter is the error of a read of the inputs after seq.
func (c Compacted) inputsAfter(seq int64) error {
	if seq < c.Inputs {
		return &CompactedError{What: "inputs", Last: c.Inputs, Archive: c.Archive}
	}
	return nil
}

// inputsFrom is the error of a read of the inputs whose Before is n or
// more (a restart's tail after a snapshot).
func (c Compacted) inputsFrom(n uint64) error {
	if c.Inputs > 0 && int64(n) <= c.InputBefore {
		return &CompactedError{What: "inputs", Last: c.Inputs, Archive: c.Archive}
	}
	return nil
}

// Compacted says what a compaction moved out of the store; ok is false
// when nothing was.
func (s *Store) Compacted() (c Compacted, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.compacted, s.compacted.Link > 0
}

// CompactedOf reads, without writing, what a compaction moved out of the
// store in file; ok is false when nothing was.
func CompactedOf(ctx context.Context, file string) (c Compacted, ok bool, err error) {
	db, err := openReadOnly(file)
	if err != nil {
		return c, false, fmt.Errorf("sqlite store %s: %w", file, err)
	}
	defer db.Close()
	if c, err = loadCompacted(ctx, db); err != nil {
		return c, false, fmt.Errorf("sqlite store %s: %w", file, err)
	}
	return c, c.Link > 0, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ordertwin/ordertwin/core/store"
)

// chain is where the journal's hash chain stands: the last link's
// number, hash and the last input's seq (the records' is Store.last).
type chain struct {
	commits   int64
	head      store.Hash
	lastInput int64
	sums      store.Sums
	inSums    store.Sums
}

// loadChain reads the head of the chain. A store with records or inputs
// but no chain (written before the chain existed) has them sealed in a
// first link.
func (s *Store) loadChain() error {
	if err := s.db.QueryRow(`SELECT coalesce(max(seq), 0) FROM inputs`).Scan(&s.chain.lastInput); err != nil {
		return fmt.Errorf("chain: %w", err)
	}
	s.chain.lastInput = max(s.chain.lastInput, s.compacted.Inputs)
	var head []byte
	err := s.db.QueryRow(`SELECT commit_seq, hash FROM journal_chain ORDER BY commit_seq DESC LIMIT 1`).Scan(&s.chain.commits, &head)
	if err == nil {
		copy(s.chain.head[:], head)
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("chain: %w", err)
	}
	if s.compacted.Link > 0 { // every link was compacted out: the chain goes on from the last
		s.chain.commits, s.chain.head = s.compacted.Link, s.compacted.Head
		return nil
	}
	if s.last == 0 && s.chain.lastInput == 0 {
		return nil
	}
	return s.seal()
}

// seal chains what the store held before it had a chain, as link 1.
func (s *Store) seal() error {
	entries, err := readJournal(context.Background(), s.db, 0, -1)
	if err != nil {
		return fmt.Errorf("chain: seal: %w", err)
	}
	records := make([]store.Record, len(entries))
	for i, e := range entries {
		if e.Seq != int64(i+1) {
			return fmt.Errorf("chain: seal: record %d is missing", i+1)
		}
		records[i] = e.Record
	}
	inputs, err := readInputs(s.db, 0)
	if err != nil {
		return fmt.Errorf("chain: seal: %w", err)
	}
	if int64(len(inputs)) != s.chain.lastInput {
		return fmt.Errorf("chain: seal: %d inputs, numbered up to %d", len(inputs), s.chain.lastInput)
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("chain: seal: %w", err)
	}
	s.buf = store.EncodeRecords(s.buf[:0], records)
	next, err := s.link(tx, 1, int64(len(records)), s.buf, 1, inputs)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("chain: seal: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("chain: seal: %w", err)
	}
	s.chain = next
	return nil
}

// link adds the link of a commit to tx: the records firstRecord …
// lastRecord, encoded in records, and inputs numbered from firstInput.
// It returns where the chain stands once tx commits.
func (s *Store) link(tx *sql.Tx, firstRecord, lastRecord int64, records []byte, firstInput int64, inputs []store.Input) (chain, error) {
	c := s.chain
	c.commits++
	l := store.Link{Commit: c.commits, FirstRecord: firstRecord, LastRecord: lastRecord,
		FirstInput: firstInput, LastInput: firstInput + int64(len(inputs)) - 1}
	c.head = store.Chain(c.head, l, records, inputs)
	c.lastInput = l.LastInput
	var err error
	if c.sums, err = store.AppendRecordSums(c.sums[:0], records); err != nil {
		return chain{}, err
	}
	c.inSums = store.AppendInputSums(c.inSums[:0], inputs)
	if c.sums == nil {
		c.sums = store.Sums{} // an empty blob, not NULL
	}
	if c.inSums == nil {
		c.inSums = store.Sums{}
	}
	if err := exec(tx, s.commits.link, insertLink, l.Commit, l.FirstRecord, l.LastRecord, l.FirstInput, l.LastInput, c.head[:], []byte(c.sums), []byte(c.inSums)); err != nil {
		return chain{}, fmt.Errorf("chain link %d: %w", l.Commit, err)
	}
	return c, nil
}

// Head is the hash of the chain's last link and how many links it has.
func (s *Store) Head() (store.Hash, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chain.head, s.chain.commits
}

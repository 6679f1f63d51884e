package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ordertwin/ordertwin/core/store"
)

// chain is where the journal's hash chain stands: the last link's number
// and hash, the last input's seq (the records' is Store.last), and the
// sums of the link being made.
type chain struct {
	commits   int64
	head      store.Hash
	lastInput int64
	sums      store.Sums
	inSums    store.Sums
}

// loadChain reads the head of the chain and the last input's seq.
func (s *Store) loadChain(ctx context.Context) error {
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM inputs`).Scan(&s.chain.lastInput); err != nil {
		return fmt.Errorf("chain: %w", err)
	}
	var head []byte
	err := s.pool.QueryRow(ctx, `SELECT commit_seq, hash FROM journal_chain ORDER BY commit_seq DESC LIMIT 1`).Scan(&s.chain.commits, &head)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("chain: %w", err)
	}
	copy(s.chain.head[:], head)
	return nil
}

// next is the chain after a commit of the records firstRecord …
// lastRecord, encoded in records, and of inputs, numbered on from the
// last input; and the commit's link.
func (c chain) next(firstRecord, lastRecord int64, records []byte, inputs []store.Input) (chain, store.Link, error) {
	l := store.Link{Commit: c.commits + 1, FirstRecord: firstRecord, LastRecord: lastRecord,
		FirstInput: c.lastInput + 1, LastInput: c.lastInput + int64(len(inputs))}
	n := chain{commits: l.Commit, head: store.Chain(c.head, l, records, inputs), lastInput: l.LastInput}
	var err error
	if n.sums, err = store.AppendRecordSums(c.sums[:0], records); err != nil {
		return chain{}, l, err
	}
	n.inSums = store.AppendInputSums(c.inSums[:0], inputs)
	if n.sums == nil {
		n.sums = store.Sums{} // an empty bytea, not NULL
	}
	if n.inSums == nil {
		n.inSums = store.Sums{}
	}
	return n, l, nil
}

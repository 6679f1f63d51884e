package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordertwin/ordertwin/core/store"
)

// queueInputs queues the insert of inputs, numbered from first, as one
// statement: a row of each of its arrays per input.
func queueInputs(b *pgx.Batch, first int64, inputs []store.Input) {
	n := len(inputs)
	seq, before, at := make([]int64, n), make([]int64, n), make([]int64, n)
	to, kind, body, origin := make([]int16, n), make([]string, n), make([][]byte, n), make([][]byte, n)
	for i, in := range inputs {
		seq[i], before[i], at[i] = first+int64(i), int64(in.Before), int64(in.At)
		to[i], kind[i], body[i], origin[i] = int16(in.To), in.Kind, in.Body, in.Origin.Encode()
		if body[i] == nil {
			body[i] = []byte{}
		}
	}
	b.Queue(`INSERT INTO inputs (seq, before, at, address, kind, body, origin)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::smallint[], $5::text[], $6::bytea[], $7::bytea[])`,
		seq, before, at, to, kind, body, origin)
}

// Inputs returns the logged inputs in order.
func (s *Store) Inputs() ([]store.Input, error) { return s.queryInputs(`seq > $1`, 0) }

// InputsFrom returns the inputs logged when the engine had handled n
// inputs or more, in order: the tail a restart from a snapshot replays.
func (s *Store) InputsFrom(n uint64) ([]store.Input, error) {
	return s.queryInputs(`before >= $1`, int64(n))
}

// queryInputs returns the inputs where says, in order.
func (s *Store) queryInputs(where string, arg int64) ([]store.Input, error) {
	rows, err := s.pool.Query(context.Background(), `SELECT seq, before, at, address, kind, body, origin FROM inputs WHERE `+where+` ORDER BY seq`, arg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: inputs: %w", err)
	}
	defer rows.Close()
	var out []store.Input
	for rows.Next() {
		var in store.Input
		var seq, before, at int64
		var to int16
		var origin []byte
		if err := rows.Scan(&seq, &before, &at, &to, &in.Kind, &in.Body, &origin); err != nil {
			return nil, fmt.Errorf("postgres store: inputs: %w", err)
		}
		in.Before, in.At, in.To = uint64(before), time.Duration(at), uint8(to)
		if in.Origin, err = store.DecodeOrigin(origin); err != nil {
			return nil, fmt.Errorf("postgres store: input %d: %w", seq, err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres store: inputs: %w", err)
	}
	return out, nil
}

// Meta returns the setting called key, and whether it is set.
func (s *Store) Meta(key string) (string, bool, error) {
	var v string
	err := s.pool.QueryRow(context.Background(), `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("postgres store: meta %s: %w", key, err)
	}
	return v, true, nil
}

// SetMeta sets the setting called key.
func (s *Store) SetMeta(key, value string) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		key, value); err != nil {
		return fmt.Errorf("postgres store: meta %s: %w", key, err)
	}
	return nil
}

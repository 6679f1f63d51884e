package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ordertwin/ordertwin/core/store"
)

// Shelve keeps the read models of finished entities, replacing any of the
// same kind and id, in one transaction: the docs in one statement, their
// items in another.
func (s *Store) Shelve(docs []store.Doc) error {
	if len(docs) == 0 {
		return nil
	}
	// The last of a kind and id stays: one row each, as the statement
	// may touch a row once.
	last := map[[2]string]int{}
	for i, d := range docs {
		last[[2]string{d.Kind, d.ID}] = i
	}
	var kind, id, party []string
	var ord []int64
	var body [][]byte
	items := map[[2]string]string{}
	for i, d := range docs {
		if last[[2]string{d.Kind, d.ID}] != i {
			continue
		}
		kind, id, ord, party, body = append(kind, d.Kind), append(id, d.ID), append(ord, int64(d.Ord)), append(party, d.Party), append(body, d.Body)
		for _, it := range d.Items {
			items[[2]string{d.Kind, it}] = d.ID
		}
	}
	var itemKind, item, owner []string
	for k, o := range items {
		itemKind, item, owner = append(itemKind, k[0]), append(item, k[1]), append(owner, o)
	}
	if err := s.checkFence(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres store: shelve: %w", err)
	}
	defer tx.Rollback(ctx)
	b := &pgx.Batch{}
	s.queueFence(b)
	b.Queue(`INSERT INTO shelf (kind, id, ord, party, body) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bytea[])
		ON CONFLICT (kind, id) DO UPDATE SET ord = excluded.ord, party = excluded.party, body = excluded.body`, kind, id, ord, party, body)
	if len(item) > 0 {
		b.Queue(`INSERT INTO shelf_item (kind, item, id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
			ON CONFLICT (kind, item) DO UPDATE SET id = excluded.id`, itemKind, item, owner)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres store: shelve %d docs: %w", len(kind), s.fenceError(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres store: shelve: %w", err)
	}
	return nil
}

// Shelved returns the read model of kind and id.
func (s *Store) Shelved(kind, id string) (store.Doc, bool, error) {
	d := store.Doc{Kind: kind, ID: id}
	var ord int64
	err := s.pool.QueryRow(context.Background(), `SELECT ord, party, body FROM shelf WHERE kind = $1 AND id = $2`, kind, id).Scan(&ord, &d.Party, &d.Body)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Doc{}, false, nil
	case err != nil:
		return store.Doc{}, false, fmt.Errorf("postgres store: shelf: %w", err)
	}
	d.Ord = uint64(ord)
	return d, true, nil
}

// ShelvedAll returns the read models of kind, by creation.
func (s *Store) ShelvedAll(kind string) ([]store.Doc, error) {
	rows, err := s.pool.Query(context.Background(), `SELECT id, ord, party, body FROM shelf WHERE kind = $1 ORDER BY ord`, kind)
	if err != nil {
		return nil, fmt.Errorf("postgres store: shelf: %w", err)
	}
	defer rows.Close()
	var out []store.Doc
	for rows.Next() {
		d := store.Doc{Kind: kind}
		var ord int64
		if err := rows.Scan(&d.ID, &ord, &d.Party, &d.Body); err != nil {
			return nil, fmt.Errorf("postgres store: shelf: %w", err)
		}
		d.Ord = uint64(ord)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres store: shelf: %w", err)
	}
	return out, nil
}

// Owner returns the id of the shelved doc of kind one of whose items is
// item.
func (s *Store) Owner(kind, item string) (string, bool, error) {
	var id string
	err := s.pool.QueryRow(context.Background(), `SELECT id FROM shelf_item WHERE kind = $1 AND item = $2`, kind, item).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("postgres store: shelf: %w", err)
	}
	return id, true, nil
}

// ShelvedItems calls each with the items of kind's docs that begin with
// prefix.
func (s *Store) ShelvedItems(kind, prefix string, each func(string) error) error {
	rows, err := s.pool.Query(context.Background(), `SELECT item FROM shelf_item WHERE kind = $1 AND starts_with(item, $2)`, kind, prefix)
	if err != nil {
		return fmt.Errorf("postgres store: shelf items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it string
		if err := rows.Scan(&it); err != nil {
			return fmt.Errorf("postgres store: shelf items: %w", err)
		}
		if err := each(it); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres store: shelf items: %w", err)
	}
	return nil
}

// ShelvedRange returns the docs q asks for at positions [q.From, q.To)
// by creation, how many there are, and the creation numbers of those
// with an id in q.IDs or a creation number in q.Ords (store.Shelf), read
// in one repeatable-read transaction, by the index on kind and creation.
func (s *Store) ShelvedRange(q store.ShelfQuery) (store.ShelfRange, error) {
	var r store.ShelfRange
	ctx := context.Background()
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return r, fmt.Errorf("postgres store: shelf: %w", err)
	}
	defer tx.Rollback(ctx)
	// $1 the kind, $2 whether by party, $3 the party.
	const of = `kind = $1 AND (NOT $2::boolean OR party = $3)`
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM shelf WHERE `+of, q.Kind, q.ByParty, q.Party).Scan(&r.Total); err != nil {
		return r, fmt.Errorf("postgres store: shelf: %w", err)
	}
	from := max(q.From, 0)
	if to := min(q.To, r.Total); from < to {
		rows, err := tx.Query(ctx, `SELECT id, ord FROM shelf WHERE `+of+` ORDER BY ord LIMIT $4 OFFSET $5`, q.Kind, q.ByParty, q.Party, to-from, from)
		if err != nil {
			return r, fmt.Errorf("postgres store: shelf: %w", err)
		}
		r.Refs, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DocRef, error) {
			var ref store.DocRef
			var ord int64
			err := row.Scan(&ref.ID, &ord)
			ref.Ord = uint64(ord)
			return ref, err
		})
		if err != nil {
			return r, fmt.Errorf("postgres store: shelf: %w", err)
		}
	}
	if len(q.IDs) == 0 && len(q.Ords) == 0 {
		return r, nil
	}
	byOrd := make([]int64, len(q.Ords))
	for i, o := range q.Ords {
		byOrd[i] = int64(o)
	}
	rows, err := tx.Query(ctx, `SELECT ord FROM shelf WHERE `+of+` AND (id = ANY($4::text[]) OR ord = ANY($5::bigint[])) ORDER BY ord`,
		q.Kind, q.ByParty, q.Party, q.IDs, byOrd)
	if err != nil {
		return r, fmt.Errorf("postgres store: shelf: %w", err)
	}
	matched, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return r, fmt.Errorf("postgres store: shelf: %w", err)
	}
	for _, o := range matched {
		r.Matched = append(r.Matched, uint64(o))
	}
	return r, tx.Commit(ctx)
}

// ShelvedDocs returns the docs of kind with ids (store.Shelf).
func (s *Store) ShelvedDocs(kind string, ids []string) ([]store.Doc, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(context.Background(), `SELECT id, ord, party, body FROM shelf WHERE kind = $1 AND id = ANY($2::text[])`, kind, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres store: shelf: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Doc, error) {
		d := store.Doc{Kind: kind}
		var ord int64
		err := row.Scan(&d.ID, &ord, &d.Party, &d.Body)
		d.Ord = uint64(ord)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres store: shelf: %w", err)
	}
	return out, nil
}

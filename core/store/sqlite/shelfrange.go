package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ordertwin/ordertwin/core/store"
)

// A list's page of finished entities (store.Shelf) reads the
// creation numbers of its kind's docs from the indexes by kind and
// creation of the shelf table and of shelf_part (migration 0017), and
// then the page's docs only: a pack is read once for all the docs of the
// page it holds.

// ShelvedRange returns the docs q asks for at positions [q.From, q.To)
// by creation, how many there are, and the creation numbers of those
// with an id in q.IDs or a creation number in q.Ords: one read
// transaction. Of a party, the docs of the kind are read by creation and
// sifted by party: their ids, creation numbers and parties, no body.
func (s *Store) ShelvedRange(q store.ShelfQuery) (store.ShelfRange, error) {
	var r store.ShelfRange
	tx, err := s.reader.Begin()
	if err != nil {
		return r, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	defer tx.Rollback()
	// ?1 the kind, ?2 the party: by party only when asked, so that the
	// other reads stay within the indexes.
	of := `kind = ?1`
	if q.ByParty {
		of = `kind = ?1 AND party = ?2`
	}
	args := []any{q.Kind, q.Party}
	if err := tx.QueryRow(`SELECT (SELECT count(*) FROM shelf WHERE `+of+`) + (SELECT count(*) FROM shelf_part WHERE `+of+`)`, args...).Scan(&r.Total); err != nil {
		return r, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	from := max(q.From, 0)
	if to := min(q.To, r.Total); from < to {
		rows, err := tx.Query(`SELECT id, ord FROM shelf WHERE `+of+` UNION ALL SELECT id, ord FROM shelf_part WHERE `+of+`
			ORDER BY ord LIMIT ?3 OFFSET ?4`, append(args, to-from, from)...)
		if err != nil {
			return r, fmt.Errorf("sqlite store: shelf: %w", err)
		}
		defer rows.Close()
		r.Refs = make([]store.DocRef, 0, to-from)
		for rows.Next() {
			var ref store.DocRef
			if err := rows.Scan(&ref.ID, &ref.Ord); err != nil {
				return r, fmt.Errorf("sqlite store: shelf: %w", err)
			}
			r.Refs = append(r.Refs, ref)
		}
		if err := rows.Err(); err != nil {
			return r, fmt.Errorf("sqlite store: shelf: %w", err)
		}
	}
	if len(q.IDs) == 0 && len(q.Ords) == 0 {
		return r, nil
	}
	byID, err := json.Marshal(q.IDs)
	if err != nil {
		return r, err
	}
	byOrd, err := json.Marshal(q.Ords)
	if err != nil {
		return r, err
	}
	rows, err := tx.Query(`SELECT ord FROM shelf WHERE `+of+` AND id IN (SELECT value FROM json_each(?3))
		UNION SELECT ord FROM shelf WHERE `+of+` AND ord IN (SELECT value FROM json_each(?4))
		UNION SELECT ord FROM shelf_part WHERE `+of+` AND id IN (SELECT value FROM json_each(?3))
		UNION SELECT ord FROM shelf_part WHERE `+of+` AND ord IN (SELECT value FROM json_each(?4))
		ORDER BY 1`, append(args, byID, byOrd)...)
	if err != nil {
		return r, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ord uint64
		if err := rows.Scan(&ord); err != nil {
			return r, fmt.Errorf("sqlite store: shelf: %w", err)
		}
		r.Matched = append(r.Matched, ord)
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	return r, nil
}

// ShelvedDocs returns the docs of kind with ids: their shelf rows, and
// the packs that hold the others, each read once.
func (s *Store) ShelvedDocs(kind string, ids []string) ([]store.Doc, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	want, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	tx, err := s.reader.Begin()
	if err != nil {
		return nil, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	defer tx.Rollback()
	out, err := s.rowDocs(tx, kind, `WHERE kind = ? AND id IN (SELECT value FROM json_each(?))`, kind, want)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	in, err := partPacks(tx, `WHERE kind = ? AND id IN (SELECT value FROM json_each(?))`, kind, want)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	packs := make([]int64, 0, len(in))
	for _, pack := range in {
		packs = append(packs, pack)
	}
	slices.Sort(packs)
	for _, pack := range slices.Compact(packs) {
		var how squeeze
		var body []byte
		if err := tx.QueryRow(`SELECT deflated, body FROM shelf_pack WHERE pack = ?`, pack).Scan(&how, &body); err != nil {
			return nil, fmt.Errorf("sqlite store: shelf: pack %d: %w", pack, err)
		}
		if out, err = s.unpack(tx, kind, pack, how, body, in, out); err != nil {
			return nil, fmt.Errorf("sqlite store: shelf: %w", err)
		}
	}
	return out, nil
}

// partOrders gives each shelf_part row an older store holds the creation
// number and party of its doc, read from its pack (migration 0017).
func partOrders(tx *sql.Tx) error {
	parts := map[[2]string]int64{} // kind and id: pack
	rows, err := tx.Query(`SELECT kind, id, pack FROM shelf_part WHERE ord IS NULL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, id string
		var pack int64
		if err := rows.Scan(&kind, &id, &pack); err != nil {
			return err
		}
		parts[[2]string{kind, id}] = pack
	}
	if err := rows.Err(); err != nil || len(parts) == 0 {
		return err
	}
	packs, err := tx.Query(`SELECT pack, kind, deflated, body FROM shelf_pack ORDER BY pack`)
	if err != nil {
		return err
	}
	defer packs.Close()
	set, err := tx.Prepare(`UPDATE shelf_part SET ord = ?, party = ? WHERE kind = ? AND id = ?`)
	if err != nil {
		return err
	}
	defer set.Close()
	for packs.Next() {
		var pack int64
		var kind string
		var how squeeze
		var body []byte
		if err := packs.Scan(&pack, &kind, &how, &body); err != nil {
			return err
		}
		if body, err = unsqueezed(how, nil, body); err != nil {
			return fmt.Errorf("pack %d: %w", pack, err)
		}
		var werr error
		if err := entries(body, func(e entry) bool {
			if parts[[2]string{kind, e.id}] == pack {
				party := e.party
				if kind == "resource" {
					party = "" // a resource names no customer (0017_shelf_part_order.sql)
				}
				_, werr = set.Exec(int64(e.ord), party, kind, e.id)
			}
			return werr == nil
		}); err != nil {
			return fmt.Errorf("pack %d: %w", pack, err)
		}
		if werr != nil {
			return werr
		}
	}
	return packs.Err()
}

package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/ordertwin/ordertwin/core/store"
)

// Shelve keeps the read models of finished entities, replacing any of the
// same kind and id, in one transaction.
func (s *Store) Shelve(docs []store.Doc) error {
	if len(docs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("sqlite store: closed")
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("sqlite store: shelve: %w", err)
	}
	defer tx.Rollback()
	// Prepared once for the batch: a statement prepared for each doc costs
	// more than its insert.
	doc, err := tx.Prepare(`INSERT OR REPLACE INTO shelf (kind, id, ord, party, body) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("sqlite store: shelve: %w", err)
	}
	defer doc.Close()
	item, err := tx.Prepare(`INSERT OR REPLACE INTO shelf_item (kind, item, id) VALUES (?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("sqlite store: shelve: %w", err)
	}
	defer item.Close()
	for _, d := range docs {
		if _, err := doc.Exec(d.Kind, d.ID, int64(d.Ord), d.Party, d.Body); err != nil {
			return fmt.Errorf("sqlite store: shelve %s %s: %w", d.Kind, d.ID, err)
		}
		for _, it := range d.Items {
			if _, err := item.Exec(d.Kind, it, d.ID); err != nil {
				return fmt.Errorf("sqlite store: shelve %s %s: %w", d.Kind, d.ID, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: shelve: %w", err)
	}
	return nil
}

// Shelved returns the read model of kind and id.
func (s *Store) Shelved(kind, id string) (store.Doc, bool, error) {
	d := store.Doc{Kind: kind, ID: id}
	var ord int64
	err := s.reader.QueryRow(`SELECT ord, party, body FROM shelf WHERE kind = ? AND id = ?`, kind, id).Scan(&ord, &d.Party, &d.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Doc{}, false, nil
	}
	if err != nil {
		return store.Doc{}, false, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	d.Ord = uint64(ord)
	return d, true, nil
}

// ShelvedAll returns the read models of kind, by creation.
func (s *Store) ShelvedAll(kind string) ([]store.Doc, error) {
	rows, err := s.reader.Query(`SELECT id, ord, party, body FROM shelf WHERE kind = ? ORDER BY ord`, kind)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	defer rows.Close()
	var out []store.Doc
	for rows.Next() {
		d := store.Doc{Kind: kind}
		var ord int64
		if err := rows.Scan(&d.ID, &ord, &d.Party, &d.Body); err != nil {
			return nil, fmt.Errorf("sqlite store: shelf: %w", err)
		}
		d.Ord = uint64(ord)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Owner returns the id of the shelved doc of kind one of whose items is
// item.
func (s *Store) Owner(kind, item string) (string, bool, error) {
	var id string
	err := s.reader.QueryRow(`SELECT id FROM shelf_item WHERE kind = ? AND item = ?`, kind, item).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	return id, true, nil
}

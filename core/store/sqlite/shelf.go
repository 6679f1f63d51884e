package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/core/store"
)

// Shelve keeps the read models of finished entities, replacing any of the
// same kind and id, in one transaction: the docs, each after the prefix
// its body shares with others of its kind (prefixes.share), the rest
// deflated when that pays (deflater.deflate), then the runs of their
// items (itemRuns), each many rows to a statement.
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
	shared := s.shelfPrefixes.clone()
	rows := make([]any, 0, 7*len(docs))
	for _, d := range docs {
		pid, rest, err := shared.share(tx, d.Kind, d.Body)
		if err != nil {
			return fmt.Errorf("sqlite store: shelve %s %s: %w", d.Kind, d.ID, err)
		}
		packed, deflated, err := s.deflater.deflate(rest)
		if err != nil {
			return fmt.Errorf("sqlite store: shelve %s %s: %w", d.Kind, d.ID, err)
		}
		if deflated {
			rest = packed
		}
		rows = append(rows, d.Kind, d.ID, int64(d.Ord), d.Party, pid, deflated, rest)
	}
	if err := insertRows(tx, `INSERT OR REPLACE INTO shelf (kind, id, ord, party, prefix, deflated, body) VALUES `, 7, rows); err != nil {
		return fmt.Errorf("sqlite store: shelve: %w", err)
	}
	rows = rows[:0]
	for _, d := range docs {
		for _, r := range itemRuns(d.Items) {
			rows = append(rows, d.Kind, r.prefix, r.width, r.first, r.last, d.ID)
		}
	}
	if err := insertRows(tx, `INSERT OR REPLACE INTO shelf_run (kind, prefix, width, first, last, id) VALUES `, 6, rows); err != nil {
		return fmt.Errorf("sqlite store: shelve items: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: shelve: %w", err)
	}
	s.shelfPrefixes = shared
	return nil
}

// rowsPerInsert is how many rows insertRows puts in one statement: a
// statement per row costs more than its row.
const rowsPerInsert = 64

// insertRows executes insert (up to VALUES) for the rows of args, cols
// values each, rowsPerInsert rows to a statement.
func insertRows(tx *sql.Tx, insert string, cols int, args []any) error {
	values := func(rows int) string {
		row := "(?" + strings.Repeat(", ?", cols-1) + ")"
		return insert + row + strings.Repeat(", "+row, rows-1)
	}
	full := rowsPerInsert * cols
	if len(args) >= full {
		stmt, err := tx.Prepare(values(rowsPerInsert))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for ; len(args) >= full; args = args[full:] {
			if _, err := stmt.Exec(args[:full]...); err != nil {
				return err
			}
		}
	}
	if len(args) == 0 {
		return nil
	}
	_, err := tx.Exec(values(len(args)/cols), args...)
	return err
}

// An itemRun stands for the item ids prefix followed by each number from
// first to last, zero-padded to width digits; an id that does not end in
// 1 to 18 digits is a run of its own: its whole id as prefix, width 0,
// first and last 0 (migration 0012).
type itemRun struct {
	prefix      string
	width       int
	first, last int64
}

// itemKey is the run of item alone.
func itemKey(item string) itemRun {
	i := len(item)
	for i > 0 && item[i-1] >= '0' && item[i-1] <= '9' {
		i--
	}
	width := len(item) - i
	if width == 0 || width > 18 {
		return itemRun{prefix: item}
	}
	n, _ := strconv.ParseInt(item[i:], 10, 64) // 18 digits at most: it fits
	return itemRun{prefix: item[:i], width: width, first: n, last: n}
}

// itemRuns returns items as runs of consecutive ids, in their order.
func itemRuns(items []string) []itemRun {
	var out []itemRun
	for _, item := range items {
		k := itemKey(item)
		if n := len(out) - 1; n >= 0 && k.width > 0 && out[n].prefix == k.prefix && out[n].width == k.width && out[n].last+1 == k.first {
			out[n].last = k.first
			continue
		}
		out = append(out, k)
	}
	return out
}

// Shelved returns the read model of kind and id.
func (s *Store) Shelved(kind, id string) (store.Doc, bool, error) {
	d := store.Doc{Kind: kind, ID: id}
	var ord, pid int64
	var deflated bool
	err := s.reader.QueryRow(`SELECT ord, party, prefix, deflated, body FROM shelf WHERE kind = ? AND id = ?`, kind, id).Scan(&ord, &d.Party, &pid, &deflated, &d.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Doc{}, false, nil
	}
	if err == nil {
		d.Body, err = s.whole(pid, deflated, d.Body)
	}
	if err != nil {
		return store.Doc{}, false, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	d.Ord = uint64(ord)
	return d, true, nil
}

// ShelvedAll returns the read models of kind, by creation.
func (s *Store) ShelvedAll(kind string) ([]store.Doc, error) {
	rows, err := s.reader.Query(`SELECT id, ord, party, prefix, deflated, body FROM shelf WHERE kind = ? ORDER BY ord`, kind)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	defer rows.Close()
	var out []store.Doc
	for rows.Next() {
		d := store.Doc{Kind: kind}
		var ord, pid int64
		var deflated bool
		err := rows.Scan(&d.ID, &ord, &d.Party, &pid, &deflated, &d.Body)
		if err == nil {
			d.Body, err = s.whole(pid, deflated, d.Body)
		}
		if err != nil {
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
	k := itemKey(item)
	var id string
	var last int64
	err := s.reader.QueryRow(`SELECT last, id FROM shelf_run WHERE kind = ? AND prefix = ? AND width = ? AND first <= ?
		ORDER BY first DESC LIMIT 1`, kind, k.prefix, k.width, k.first).Scan(&last, &id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	return id, last >= k.first, nil
}

package sqlite

import (
	"cmp"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Shelve keeps the read models of finished entities, replacing any of the
// same kind and id, in one transaction: each doc after the prefix its body
// shares with others of its kind (prefixes.share); a long rest squeezed
// when that pays (squeezed) in a shelf row of its own, a short one
// in its kind's pack (shelfpack.go); then the runs of their items
// (tmf.IDRuns). Each statement writes many rows.
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
	again := shelvedAgain(docs)
	rows := make([]any, 0, 7*len(docs))
	packs := &s.packer
	defer func() {
		if packs.tx != nil {
			packs.reset()
		}
	}()
	s.squeezer.reset()
	if err := packs.begin(tx, &s.squeezer); err != nil {
		return fmt.Errorf("sqlite store: shelve: %w", err)
	}
	alone := map[string]bool{}
	var single []any // the kinds and ids of the docs in shelf rows
	for i, d := range docs {
		if again[i] {
			continue // shelved again in this shelving
		}
		pid, rest, err := shared.shareHead(tx, d.Kind, d.Head, d.Body)
		if err != nil {
			return fmt.Errorf("sqlite store: shelve %s %s: %w", d.Kind, d.ID, err)
		}
		if len(rest) < minSqueezed {
			if err := packs.add(d, pid, rest); err != nil {
				return fmt.Errorf("sqlite store: shelve %s %s: %w", d.Kind, d.ID, err)
			}
			continue
		}
		rest, how := s.squeezer.squeezed(rest)
		rows = append(rows, d.Kind, d.ID, int64(d.Ord), d.Party, pid, int64(how), rest)
		single = append(single, d.Kind, d.ID)
		alone[d.Kind] = true
	}
	if err := insertRows(tx, `INSERT OR REPLACE INTO shelf (kind, id, ord, party, prefix, deflated, body) VALUES `, 7, rows, ""); err != nil {
		return fmt.Errorf("sqlite store: shelve: %w", err)
	}
	if err := insertRows(tx, `DELETE FROM shelf_part WHERE (kind, id) IN (VALUES `, 2, single, ")"); err != nil {
		return fmt.Errorf("sqlite store: shelve: %w", err)
	}
	if err := packs.end(); err != nil {
		return fmt.Errorf("sqlite store: shelve: %w", err)
	}
	rows = rows[:0]
	for _, d := range docs {
		for r := range tmf.IDRuns(slices.Values(d.Items)) {
			rows = append(rows, d.Kind, r.Prefix, r.Width, r.First, r.Last, d.ID)
		}
	}
	if err := insertRows(tx, `INSERT OR REPLACE INTO shelf_run (kind, prefix, width, first, last, id) VALUES `, 6, rows, ""); err != nil {
		return fmt.Errorf("sqlite store: shelve items: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: shelve: %w", err)
	}
	s.shelfPrefixes = shared
	packs.tx = nil
	n := 0
	for _, d := range docs {
		n += len(d.Body)
	}
	s.checkpoints.wrote(n)
	for kind := range alone {
		packs.alone[kind] = true
	}
	return nil
}

// TakesHeads: the store keeps a doc's head (store.Doc) as the prefix its
// kind's bodies share, or joined to its body.
func (s *Store) TakesHeads() {}

// shelvedAgain marks the docs shelved again later in docs (same kind and id):
// only the last of each is kept.
func shelvedAgain(docs []store.Doc) []bool {
	var again []bool
	seen := make(map[[2]string]int, len(docs))
	for i := len(docs) - 1; i >= 0; i-- {
		k := [2]string{docs[i].Kind, docs[i].ID}
		if _, ok := seen[k]; ok {
			if again == nil {
				again = make([]bool, len(docs))
			}
			again[i] = true
			continue
		}
		seen[k] = i
	}
	if again == nil {
		again = make([]bool, len(docs))
	}
	return again
}

// rowsPerInsert is how many rows insertRows puts in one statement: a
// statement per row costs more than its row.
const rowsPerInsert = 64

// insertRows executes insert (up to VALUES), then tail, for the rows of
// args, cols values each, rowsPerInsert rows to a statement.
func insertRows(tx *sql.Tx, insert string, cols int, args []any, tail string) error {
	values := func(rows int) string {
		row := "(?" + strings.Repeat(", ?", cols-1) + ")"
		return insert + row + strings.Repeat(", "+row, rows-1) + tail
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

// ShelvedItems calls each with the items of kind's docs that begin with
// prefix: the runs whose prefix begins with it (an item's run prefix is
// the item without its trailing digits, so prefix must not end in a
// digit), each expanded into its items.
func (s *Store) ShelvedItems(kind, prefix string, each func(string) error) error {
	if prefix != "" && prefix[len(prefix)-1] >= '0' && prefix[len(prefix)-1] <= '9' {
		return fmt.Errorf("sqlite store: shelf items after %q: a prefix may not end in a digit", prefix)
	}
	// The runs from prefix on, by the primary key, up to the first that
	// does not begin with it.
	rows, err := s.reader.Query(`SELECT prefix, width, first, last FROM shelf_run WHERE kind = ? AND prefix >= ? AND prefix < ? || x'ff'`,
		kind, prefix, prefix)
	if err != nil {
		return fmt.Errorf("sqlite store: shelf items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r tmf.IDRun
		if err := rows.Scan(&r.Prefix, &r.Width, &r.First, &r.Last); err != nil {
			return fmt.Errorf("sqlite store: shelf items: %w", err)
		}
		if !r.Numbered() {
			if err := each(r.Prefix); err != nil {
				return err
			}
			continue
		}
		for n := r.First; n <= r.Last; n++ {
			if err := each(r.Nth(n)); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite store: shelf items: %w", err)
	}
	return nil
}

// Shelved returns the read model of kind and id: from its shelf row, or
// from the pack that holds it.
func (s *Store) Shelved(kind, id string) (store.Doc, bool, error) {
	d := store.Doc{Kind: kind, ID: id}
	var ord, pid int64
	var how squeeze
	var inPack bool
	err := s.reader.QueryRow(`SELECT ord, party, prefix, deflated, body, 0 FROM shelf WHERE kind = ? AND id = ?
		UNION ALL SELECT 0, '', 0, p.deflated, p.body, 1 FROM shelf_part s JOIN shelf_pack p ON p.pack = s.pack WHERE s.kind = ? AND s.id = ?`,
		kind, id, kind, id).Scan(&ord, &d.Party, &pid, &how, &d.Body, &inPack)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Doc{}, false, nil
	}
	if err != nil {
		return store.Doc{}, false, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	if inPack {
		d, ok, err := s.packed(kind, id, how, d.Body)
		if err != nil {
			return store.Doc{}, false, fmt.Errorf("sqlite store: shelf: %s %s: %w", kind, id, err)
		}
		return d, ok, nil
	}
	if d.Body, err = s.whole(pid, how, d.Body); err != nil {
		return store.Doc{}, false, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	d.Ord = uint64(ord)
	return d, true, nil
}

// ShelvedAll returns the read models of kind, by creation: those of the
// shelf rows and those of the packs.
func (s *Store) ShelvedAll(kind string) ([]store.Doc, error) {
	// One read transaction: the rows, the parts and the packs as one
	// commit left them, so that a doc that moved between a row and a pack
	// is read once.
	tx, err := s.reader.Begin()
	if err != nil {
		return nil, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	defer tx.Rollback()
	out, err := s.rowDocs(tx, kind, `WHERE kind = ? ORDER BY ord`, kind)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	packed, err := s.allPacked(tx, kind)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	if len(packed) == 0 {
		return out, nil
	}
	out = append(out, packed...)
	slices.SortStableFunc(out, func(a, b store.Doc) int { return cmp.Compare(a.Ord, b.Ord) })
	return out, nil
}

// rowDocs returns the docs of kind in the shelf rows that where (a
// WHERE clause, and what follows it) picks, with args.
func (s *Store) rowDocs(tx *sql.Tx, kind, where string, args ...any) ([]store.Doc, error) {
	rows, err := tx.Query(`SELECT id, ord, party, prefix, deflated, body FROM shelf `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Doc
	for rows.Next() {
		d := store.Doc{Kind: kind}
		var pid int64
		var how squeeze
		if err := rows.Scan(&d.ID, &d.Ord, &d.Party, &pid, &how, &d.Body); err != nil {
			return nil, err
		}
		if d.Body, err = s.wholeIn(tx, pid, how, d.Body); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Owner returns the id of the shelved doc of kind one of whose items is
// item.
func (s *Store) Owner(kind, item string) (string, bool, error) {
	k := tmf.RunOf(item)
	var id string
	var last int64
	s.owner.once.Do(func() {
		s.owner.stmt, s.owner.err = s.reader.Prepare(`SELECT last, id FROM shelf_run WHERE kind = ? AND prefix = ? AND width = ? AND first <= ?
			ORDER BY first DESC LIMIT 1`)
	})
	if s.owner.err != nil {
		return "", false, fmt.Errorf("sqlite store: shelf: %w", s.owner.err)
	}
	err := s.owner.stmt.QueryRow(kind, k.Prefix, k.Width, k.First).Scan(&last, &id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("sqlite store: shelf: %w", err)
	}
	return id, last >= k.First, nil
}

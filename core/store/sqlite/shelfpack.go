package sqlite

import (
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ordertwin/ordertwin/core/store"
)

// The short docs a shelving keeps (what follows their prefix under
// minSqueezed bytes: a resource, a service, a product, a resource order)
// go into one shelf_pack row per kind, and a shelf_part row each says
// which pack holds the doc of its kind and id (migration 0015). A row of
// the shelf table costs its key twice (the table's and the index by
// creation) and a statement's share; on the national rollout 100,000 of
// its 112,000 docs are short, and a pack of them costs one row and a key
// each.
//
// A pack's body is its entries one after the other, each: the id (its
// length as a uvarint, then its bytes), the creation number (uvarint),
// the party (as the id), the prefix's pid (uvarint, 0 for none), and the
// rest of the body (as the id). A pack is kept squeezed (migration 0016):
// its docs, of one kind, squeeze to about a sixth, and the bytes a
// shelving writes (the WAL, then the checkpoint) cost more than squeezing
// them.

// maxPack is about the most bytes a pack holds: a read of one doc by id
// reads its whole pack.
const maxPack = 64 << 10

// packer writes a shelving's short docs into packs, one kind's at a time
// being filled; the writer keeps its buffers from one shelving to the
// next.
type packer struct {
	tx    *sql.Tx
	z     *squeezer
	kinds []string
	packs map[string]*pack
	// rows are the values of the shelf_part rows a flush writes.
	rows []any
	// alone says of each kind whether the shelf table may hold docs of it
	// (nil: not known yet), which then must leave it when they go into a
	// pack.
	alone map[string]bool
}

// pack is the entries of one kind being gathered, and the ids, creation
// numbers and parties of their docs (shelf_part's rows).
type pack struct {
	body    []byte
	ids     []string
	ords    []uint64
	parties []string
}

// begin starts a shelving in tx, its packs squeezed by z.
func (p *packer) begin(tx *sql.Tx, z *squeezer) error {
	p.tx, p.z = tx, z
	if p.alone != nil {
		return nil
	}
	rows, err := tx.Query(`SELECT DISTINCT kind FROM shelf`)
	if err != nil {
		return err
	}
	defer rows.Close()
	p.alone = map[string]bool{}
	for rows.Next() {
		var kind string
		if err := rows.Scan(&kind); err != nil {
			p.alone = nil
			return err
		}
		p.alone[kind] = true
	}
	if err := rows.Err(); err != nil {
		p.alone = nil
		return err
	}
	return nil
}

// add puts d, kept as prefix pid and rest, in its kind's pack, and writes
// the pack when it is full.
func (p *packer) add(d store.Doc, pid int64, rest []byte) error {
	if p.packs == nil {
		p.packs = map[string]*pack{}
	}
	k := p.packs[d.Kind]
	if k == nil {
		k = &pack{body: make([]byte, 0, maxPack+minSqueezed+1024)}
		p.packs[d.Kind] = k
		p.kinds = append(p.kinds, d.Kind)
	}
	k.body = appendField(k.body, d.ID)
	k.body = binary.AppendUvarint(k.body, d.Ord)
	k.body = appendField(k.body, d.Party)
	k.body = binary.AppendUvarint(k.body, uint64(pid))
	k.body = appendField(k.body, rest)
	k.ids = append(k.ids, d.ID)
	k.ords, k.parties = append(k.ords, d.Ord), append(k.parties, d.Party)
	if len(k.body) >= maxPack {
		return p.flush(d.Kind, k)
	}
	return nil
}

// appendField appends s, its length first.
func appendField[S string | []byte](b []byte, s S) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// flush writes kind's pack k, if it has entries: a shelf_pack row, a
// shelf_part row for each of its docs (its id, creation number and party:
// bound as values, as cheap as a JSON array of them read with json_each),
// and its docs taken out of the shelf table if it may hold some (their
// ids as one JSON array).
func (p *packer) flush(kind string, k *pack) error {
	if len(k.ids) == 0 {
		return nil
	}
	body, how := p.z.squeezed(k.body)
	var id int64
	if err := p.tx.QueryRow(`INSERT INTO shelf_pack (kind, deflated, body) VALUES (?, ?, ?) RETURNING pack`, kind, int64(how), body).Scan(&id); err != nil {
		return err
	}
	p.rows = p.rows[:0]
	for i, part := range k.ids {
		p.rows = append(p.rows, kind, part, id, int64(k.ords[i]), k.parties[i])
	}
	if err := insertRows(p.tx, `INSERT OR REPLACE INTO shelf_part (kind, id, pack, ord, party) VALUES `, 5, p.rows, ""); err != nil {
		return err
	}
	if p.alone[kind] {
		ids, err := json.Marshal(k.ids)
		if err != nil {
			return err
		}
		if _, err := p.tx.Exec(`DELETE FROM shelf WHERE kind = ? AND id IN (SELECT value FROM json_each(?))`, kind, ids); err != nil {
			return err
		}
	}
	k.body, k.ids, k.ords, k.parties = k.body[:0], k.ids[:0], k.ords[:0], k.parties[:0]
	return nil
}

// end writes the packs not yet written.
func (p *packer) end() error {
	for _, kind := range p.kinds {
		if err := p.flush(kind, p.packs[kind]); err != nil {
			return err
		}
	}
	return nil
}

// reset forgets a shelving that failed: the buffers are emptied, and
// what the shelf table holds is read again.
func (p *packer) reset() {
	for _, k := range p.packs {
		k.body, k.ids, k.ords, k.parties = k.body[:0], k.ids[:0], k.ords[:0], k.parties[:0]
	}
	p.tx, p.alone = nil, nil
}

// entry is a doc as its pack keeps it.
type entry struct {
	id, party string
	ord       uint64
	pid       int64
	rest      []byte
}

// entries calls each for the entries of a pack's body, in order, until
// it returns false; rest is a part of body.
func entries(body []byte, each func(e entry) bool) error {
	bad := errors.New("shelf pack: an entry cut short")
	field := func() ([]byte, bool) {
		n, k := binary.Uvarint(body)
		if k <= 0 || n > uint64(len(body)-k) {
			return nil, false
		}
		f := body[k : k+int(n)]
		body = body[k+int(n):]
		return f, true
	}
	number := func() (uint64, bool) {
		n, k := binary.Uvarint(body)
		if k <= 0 {
			return 0, false
		}
		body = body[k:]
		return n, true
	}
	for len(body) > 0 {
		var e entry
		id, ok1 := field()
		ord, ok2 := number()
		party, ok3 := field()
		pid, ok4 := number()
		rest, ok5 := field()
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
			return bad
		}
		e.id, e.ord, e.party, e.pid, e.rest = string(id), ord, string(party), int64(pid), rest
		if !each(e) {
			return nil
		}
	}
	return nil
}

// packed returns the doc of kind and id in the pack body, squeezed how:
// the last entry of that id.
func (s *Store) packed(kind, id string, how squeeze, body []byte) (store.Doc, bool, error) {
	body, err := unsqueezed(how, nil, body)
	if err != nil {
		return store.Doc{}, false, err
	}
	var found entry
	var ok bool
	if err := entries(body, func(e entry) bool {
		if e.id == id {
			found, ok = e, true
		}
		return true
	}); err != nil || !ok {
		return store.Doc{}, false, err
	}
	b, err := s.whole(found.pid, plain, found.rest)
	if err != nil {
		return store.Doc{}, false, err
	}
	return store.Doc{Kind: kind, ID: id, Ord: found.ord, Party: found.party, Body: b}, true, nil
}

// allPacked returns the docs of kind kept in packs: of each kind and id,
// the entry of the pack shelf_part names.
func (s *Store) allPacked(tx *sql.Tx, kind string) ([]store.Doc, error) {
	in, err := partPacks(tx, `WHERE kind = ?`, kind)
	if err != nil || len(in) == 0 {
		return nil, err
	}
	packs, err := tx.Query(`SELECT pack, deflated, body FROM shelf_pack WHERE kind = ? ORDER BY pack`, kind)
	if err != nil {
		return nil, err
	}
	defer packs.Close()
	out := make([]store.Doc, 0, len(in))
	for packs.Next() {
		var pack int64
		var how squeeze
		var body []byte
		if err := packs.Scan(&pack, &how, &body); err != nil {
			return nil, err
		}
		if out, err = s.unpack(tx, kind, pack, how, body, in, out); err != nil {
			return nil, err
		}
	}
	return out, packs.Err()
}

// partPacks returns the pack of each id of the shelf_part rows that where
// (a WHERE clause) picks, with args.
func partPacks(tx *sql.Tx, where string, args ...any) (map[string]int64, error) {
	rows, err := tx.Query(`SELECT id, pack FROM shelf_part `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	in := map[string]int64{}
	for rows.Next() {
		var id string
		var pack int64
		if err := rows.Scan(&id, &pack); err != nil {
			return nil, err
		}
		in[id] = pack
	}
	return in, rows.Err()
}

// unpack appends to out the docs of kind that pack, kept how as body,
// holds for the ids in names there (others were shelved again since, or
// are not asked for).
func (s *Store) unpack(tx *sql.Tx, kind string, pack int64, how squeeze, body []byte, in map[string]int64, out []store.Doc) ([]store.Doc, error) {
	body, err := unsqueezed(how, nil, body)
	if err != nil {
		return nil, fmt.Errorf("pack %d: %w", pack, err)
	}
	var werr error
	if err := entries(body, func(e entry) bool {
		if in[e.id] != pack {
			return true
		}
		b, err := s.wholeIn(tx, e.pid, plain, e.rest) // body is this read's own
		if err != nil {
			werr = err
			return false
		}
		out = append(out, store.Doc{Kind: kind, ID: e.id, Ord: e.ord, Party: e.party, Body: b})
		return true
	}); err != nil {
		return nil, fmt.Errorf("pack %d: %w", pack, err)
	}
	return out, werr
}

package sqlite

import (
	"bytes"
	"compress/flate"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §7 the shelf, in memory and in SQLite alike: a doc is read back by kind
// and id, the last one shelved staying; lists go by creation number; an
// item finds its order (Owner), by kind; the SQLite shelf keeps it all
// across a reopen.
func TestShelf(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	db, err := Open(file, Options{})
	require.NoError(t, err)
	for name, shelf := range map[string]store.Shelf{"memory": store.NewMemory(), "sqlite": db} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, shelf.Shelve([]store.Doc{
				{Kind: "serviceOrder", ID: "SO-002", Ord: 2, Party: "CUST-1", Body: []byte("two"), Items: []string{"SOI-003", "SOI-004"}},
				{Kind: "serviceOrder", ID: "SO-001", Ord: 1, Party: "CUST-1", Body: []byte("one"), Items: []string{"SOI-001"}},
				{Kind: "resourceOrder", ID: "RO-001", Ord: 1, Body: []byte("ro"), Items: []string{"SOI-001"}},
			}))
			require.NoError(t, shelf.Shelve([]store.Doc{{Kind: "serviceOrder", ID: "SO-001", Ord: 1, Party: "CUST-1", Body: []byte("one again"),
				Items: []string{"SOI-001", "SOI-002"}}}))
			d, ok, err := shelf.Shelved("serviceOrder", "SO-001")
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, "one again", string(d.Body), "the last one shelved stays")
			assert.Equal(t, "CUST-1", d.Party)
			_, ok, err = shelf.Shelved("serviceOrder", "SO-009")
			require.NoError(t, err)
			assert.False(t, ok)
			all, err := shelf.ShelvedAll("serviceOrder")
			require.NoError(t, err)
			require.Len(t, all, 2)
			assert.Equal(t, []string{"SO-001", "SO-002"}, []string{all[0].ID, all[1].ID}, "by creation number")
			for item, want := range map[string]string{"SOI-001": "SO-001", "SOI-002": "SO-001", "SOI-004": "SO-002"} {
				id, ok, err := shelf.Owner("serviceOrder", item)
				require.NoError(t, err)
				assert.True(t, ok, item)
				assert.Equal(t, want, id, item)
			}
			id, ok, err := shelf.Owner("resourceOrder", "SOI-001")
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, "RO-001", id, "by kind")
			_, ok, err = shelf.Owner("serviceOrder", "SOI-999")
			require.NoError(t, err)
			assert.False(t, ok)
		})
	}
	require.NoError(t, db.Close())
	db, err = Open(file, Options{})
	require.NoError(t, err)
	defer db.Close()
	id, ok, err := db.Owner("serviceOrder", "SOI-003")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "SO-002", id, "across a reopen")
}

// §7 the shelf keeps an entity's item ids as runs of consecutive numbers
// (tmf.IDRuns). Every id is found again, and no id between runs.
func TestShelfItemRuns(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "serve.db"), Options{})
	require.NoError(t, err)
	defer db.Close()
	owners := map[string][]string{
		"RO-001": {"ROI-001", "ROI-002", "ROI-003"},
		"RO-002": {"ROI-005", "ROI-006", "ROI-7", "x", "A-1234567890123456789"},
		"RO-003": {"ROI-998", "ROI-999", "ROI-1000", "ROI-1001"},
	}
	var docs []store.Doc
	for id, items := range owners {
		docs = append(docs, store.Doc{Kind: "resourceOrder", ID: id, Body: []byte(id), Items: items})
	}
	require.NoError(t, db.Shelve(docs))
	for id, items := range owners {
		for _, item := range items {
			owner, ok, err := db.Owner("resourceOrder", item)
			require.NoError(t, err)
			assert.True(t, ok, item)
			assert.Equal(t, id, owner, item)
		}
	}
	for _, item := range []string{"ROI-004", "ROI-007", "ROI-000", "ROI-1002", "ROI-0999", "ROI-9", "y", "A-1234567890123456790", ""} {
		_, ok, err := db.Owner("resourceOrder", item)
		require.NoError(t, err)
		assert.False(t, ok, item)
	}
}

// A store whose shelf kept one row per item (schema 11) keeps every
// owner when it opens with the runs.
func TestShelfItemsMigrated(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	raw, err := sql.Open("sqlite", file)
	require.NoError(t, err)
	ms, err := schema()
	require.NoError(t, err)
	for _, m := range ms[:11] {
		_, err := raw.Exec(m.sql)
		require.NoError(t, err, m.name)
	}
	_, err = raw.Exec(`PRAGMA user_version = 11`)
	require.NoError(t, err)
	owners := map[string]string{"SOI-001": "SO-001", "SOI-002": "SO-001", "SOI-003": "SO-002", "7": "SO-002", "x9y": "SO-003",
		"B-1234567890123456789": "SO-003"}
	for item, id := range owners {
		_, err := raw.Exec(`INSERT INTO shelf_item (kind, item, id) VALUES ('serviceOrder', ?, ?)`, item, id)
		require.NoError(t, err)
	}
	require.NoError(t, raw.Close())

	db, err := Open(file, Options{})
	require.NoError(t, err)
	defer db.Close()
	for item, want := range owners {
		id, ok, err := db.Owner("serviceOrder", item)
		require.NoError(t, err)
		assert.True(t, ok, item)
		assert.Equal(t, want, id, item)
	}
	_, ok, err := db.Owner("serviceOrder", "SOI-004")
	require.NoError(t, err)
	assert.False(t, ok)
}

// §7 bodies of a kind that begin alike (a component's encoding: the
// description of its types, then the entity) are kept after one copy of
// what they share, and read back whole: when what they share shortens,
// when a body shares nothing, across a reopen, and after a shelving that
// failed (a full disk) left nothing of it behind.
func TestShelfSharedPrefix(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	db, err := Open(file, Options{})
	require.NoError(t, err)
	types := bytes.Repeat([]byte("resource order types;"), 40)
	body := func(types []byte, n int) []byte {
		return append(slices.Clone(types), []byte(fmt.Sprintf("RO-%03d with its %d items", n, n%7))...)
	}
	want := map[string][]byte{}
	var docs []store.Doc
	shelve := func(s *Store, id string, b []byte) {
		want[id] = b
		docs = append(docs, store.Doc{Kind: "resourceOrder", ID: id, Ord: uint64(len(want)), Body: b})
	}
	for n := range 50 {
		shelve(db, fmt.Sprintf("RO-%03d", n), body(types, n))
	}
	shelve(db, "RO-100", []byte("nothing alike"))
	shelve(db, "RO-101", body(types[:500], 101)) // what they share shortens
	shelve(db, "RO-102", body(types, 102))
	require.NoError(t, db.Shelve(docs))
	var prefixes, kept int64
	require.NoError(t, db.db.QueryRow(`SELECT (SELECT count(*) FROM shelf_prefix), (SELECT coalesce(sum(length(body)), 0) FROM shelf) + (SELECT coalesce(sum(length(body)), 0) FROM shelf_pack)`).Scan(&prefixes, &kept))
	assert.LessOrEqual(t, prefixes, int64(3), "a prefix for the first bodies, one when it shortens, one after the body alone")
	assert.Less(t, kept, int64(len(types)*6), "what the bodies share is kept once, not in each")

	check := func(db *Store) {
		t.Helper()
		all, err := db.ShelvedAll("resourceOrder")
		require.NoError(t, err)
		require.Len(t, all, len(want))
		for _, d := range all {
			assert.Equal(t, want[d.ID], d.Body, d.ID)
			one, ok, err := db.Shelved("resourceOrder", d.ID)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, want[d.ID], one.Body, d.ID)
		}
	}
	check(db)

	require.NoError(t, SetMaxSize(db, 1))
	docs = nil
	shelve(db, "RO-200", body(types[:300], 200))
	shelve(db, "RO-201", append(body(types[:300], 201), noise(270000)...)) // more than the file can take, even deflated
	require.Error(t, db.Shelve(docs), "the disk is full")
	require.NoError(t, SetMaxSize(db, 0))
	docs = nil
	delete(want, "RO-200")
	delete(want, "RO-201")
	shelve(db, "RO-202", body(types[:400], 202))
	require.NoError(t, db.Shelve(docs))
	check(db)
	require.NoError(t, db.Close())

	db, err = Open(file, Options{})
	require.NoError(t, err)
	defer db.Close()
	docs = nil
	shelve(db, "RO-300", body(types, 300))
	shelve(db, "RO-301", body(types, 301))
	require.NoError(t, db.Shelve(docs))
	check(db)
}

// noise is n bytes that do not repeat themselves: deflating them saves
// nothing.
func noise(n int) []byte {
	r := rand.New(rand.NewPCG(7, 11))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// §7 a long body that repeats itself (an order's items) is kept squeezed,
// after its prefix or alone, and read back whole, one by one and in
// lists, across a reopen; a short body (in a pack), and one that does not repeat
// itself, are kept as they are; a body an earlier build kept deflated
// reads back whole.
func TestShelfDeflated(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	db, err := Open(file, Options{})
	require.NoError(t, err)
	types := bytes.Repeat([]byte("product order types;"), 30)
	items := func(order, n int) []byte {
		var b []byte
		for i := range n {
			b = fmt.Appendf(b, "POI-%03d%03d completed productOffering PO-FIBRE-1G site %d;", order, i, i%25)
		}
		return b
	}
	want := map[string][]byte{
		"PO-001": append(slices.Clone(types), items(1, 100)...),      // after the prefix, deflated
		"PO-002": append(slices.Clone(types), items(2, 120)...),      // after the prefix, deflated
		"PO-003": append(slices.Clone(types), []byte("one item")...), // after the prefix, short
		"PO-004": append(noise(200), items(4, 140)...),               // alone, deflated
		"PO-005": noise(3000),                                        // alone, does not repeat itself
	}
	var docs []store.Doc
	for n := 1; n <= len(want); n++ {
		id := fmt.Sprintf("PO-%03d", n)
		docs = append(docs, store.Doc{Kind: "productOrder", ID: id, Ord: uint64(n), Party: "CUST-1", Body: want[id]})
	}
	require.NoError(t, db.Shelve(docs))
	stored := map[string]squeeze{}
	rows, err := db.db.Query(`SELECT id, deflated FROM shelf`)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		var how squeeze
		require.NoError(t, rows.Scan(&id, &how))
		stored[id] = how
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, map[string]squeeze{"PO-001": snappied, "PO-002": snappied, "PO-004": snappied}, stored, "the long ones alone, squeezed")
	var packed []string
	rows, err = db.db.Query(`SELECT id FROM shelf_part ORDER BY id`)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		packed = append(packed, id)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"PO-003", "PO-005"}, packed, "the short ones in a pack, as they are")
	var kept, whole int
	require.NoError(t, db.db.QueryRow(`SELECT sum(length(body)) FROM shelf WHERE id IN ('PO-001', 'PO-002', 'PO-004')`).Scan(&kept))
	for _, id := range []string{"PO-001", "PO-002", "PO-004"} {
		whole += len(want[id])
	}
	assert.Less(t, kept, whole/3, "the squeezed bodies keep a third of their bytes or less")

	// PO-006, as an earlier build kept it: deflated, alone.
	want["PO-006"] = append(noise(100), items(6, 90)...)
	var flated bytes.Buffer
	w, err := flate.NewWriter(&flated, flate.BestSpeed)
	require.NoError(t, err)
	_, err = w.Write(want["PO-006"])
	require.NoError(t, err)
	require.NoError(t, w.Close())
	_, err = db.db.Exec(`INSERT INTO shelf (kind, id, ord, party, prefix, deflated, body) VALUES ('productOrder', 'PO-006', 6, 'CUST-1', 0, 1, ?)`, flated.Bytes())
	require.NoError(t, err)
	docs = append(docs, store.Doc{Kind: "productOrder", ID: "PO-006"})

	check := func(db *Store) {
		t.Helper()
		all, err := db.ShelvedAll("productOrder")
		require.NoError(t, err)
		require.Len(t, all, len(want))
		for i, d := range all {
			assert.Equal(t, docs[i].ID, d.ID)
			assert.Equal(t, want[d.ID], d.Body, d.ID)
			assert.Equal(t, "CUST-1", d.Party)
			one, ok, err := db.Shelved("productOrder", d.ID)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, want[d.ID], one.Body, d.ID)
			assert.Equal(t, uint64(i+1), one.Ord)
		}
	}
	check(db)
	require.NoError(t, db.Close())
	db, err = Open(file, Options{})
	require.NoError(t, err)
	defer db.Close()
	check(db)
}

package sqlite

import (
	"bytes"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §7 short docs kept many to a pack answer as docs of their own, in
// memory and in SQLite alike: by id and in lists by creation, each once,
// the last one shelved staying when a doc is shelved again (in a later
// shelving, in the same one, longer so that it leaves its pack, shorter so
// that it goes into one), across a reopen.
func TestShelfPacks(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	db, err := Open(file, Options{})
	require.NoError(t, err)
	types := bytes.Repeat([]byte("resource types;"), 40)
	body := func(id string, long bool) []byte {
		b := append(bytes.Clone(types), id...)
		if long {
			b = append(b, noise(5000)...)
		}
		return b
	}
	doc := func(id string, ord uint64, long bool) store.Doc {
		return store.Doc{Kind: "resource", ID: id, Ord: ord, Party: "CUST-" + id, Body: body(id, long)}
	}
	shelvings := [][]store.Doc{
		{doc("OLT-1", 1, false), doc("VLAN-1", 4, false), doc("IP-1", 7, true), doc("FDO-1", 2, false)},
		{doc("OLT-2", 3, false), doc("VLAN-2", 6, false), doc("FDO-2", 5, false), doc("VLAN-2", 6, false),
			{Kind: "service", ID: "OLT-2", Ord: 1, Body: []byte("a service of the same id")}},
		{doc("OLT-1", 8, false), doc("FDO-1", 9, true), doc("IP-1", 10, false)},
	}
	want := []store.Doc{doc("OLT-2", 3, false), doc("FDO-2", 5, false), doc("VLAN-1", 4, false), doc("VLAN-2", 6, false),
		doc("OLT-1", 8, false), doc("FDO-1", 9, true), doc("IP-1", 10, false)}
	want[1], want[2] = want[2], want[1] // by creation
	mem := store.NewMemory()
	for _, docs := range shelvings {
		require.NoError(t, mem.Shelve(docs))
		require.NoError(t, db.Shelve(docs))
	}
	check := func(name string, shelf store.Shelf) {
		t.Helper()
		all, err := shelf.ShelvedAll("resource")
		require.NoError(t, err, name)
		require.Len(t, all, len(want), name)
		for i, d := range all {
			assert.Equal(t, want[i].ID, d.ID, name)
			assert.Equal(t, want[i].Ord, d.Ord, name)
			assert.Equal(t, want[i].Party, d.Party, name)
			assert.Equal(t, want[i].Body, d.Body, "%s %s", name, d.ID)
			one, ok, err := shelf.Shelved("resource", d.ID)
			require.NoError(t, err, name)
			require.True(t, ok, name)
			assert.Equal(t, want[i].Ord, one.Ord, name)
			assert.Equal(t, want[i].Party, one.Party, name)
			assert.Equal(t, want[i].Body, one.Body, "%s %s", name, d.ID)
		}
		svc, ok, err := shelf.Shelved("service", "OLT-2")
		require.NoError(t, err, name)
		require.True(t, ok, name)
		assert.Equal(t, "a service of the same id", string(svc.Body), "%s: by kind", name)
		_, ok, err = shelf.Shelved("resource", "OLT-3")
		require.NoError(t, err, name)
		assert.False(t, ok, name)
	}
	check("memory", mem)
	check("sqlite", db)
	var alone, parts int
	require.NoError(t, db.db.QueryRow(`SELECT (SELECT count(*) FROM shelf), (SELECT count(*) FROM shelf_part)`).Scan(&alone, &parts))
	assert.Equal(t, 1, alone, "FDO-1 alone, the others in packs")
	assert.Equal(t, 7, parts, "six resources and a service")
	require.NoError(t, db.Close())
	db, err = Open(file, Options{})
	require.NoError(t, err)
	defer db.Close()
	check("sqlite reopened", db)
}

// §7 a store of the schema before packs (migration 0014) opens: its shelf
// rows read as before, and the docs shelved after go into packs beside
// them.
func TestShelfPacksMigrated(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	raw, err := sql.Open("sqlite", file)
	require.NoError(t, err)
	ms, err := schema()
	require.NoError(t, err)
	for _, m := range ms[:14] {
		_, err := raw.Exec(m.sql)
		require.NoError(t, err, m.name)
	}
	_, err = raw.Exec(`PRAGMA user_version = 14`)
	require.NoError(t, err)
	for n := 1; n <= 3; n++ {
		_, err := raw.Exec(`INSERT INTO shelf (kind, id, ord, party, body) VALUES ('service', ?, ?, 'CUST-1', ?)`,
			fmt.Sprintf("SVC-%d", n), 2*n, fmt.Sprintf("service %d", n))
		require.NoError(t, err)
	}
	require.NoError(t, raw.Close())

	db, err := Open(file, Options{})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Shelve([]store.Doc{{Kind: "service", ID: "SVC-4", Ord: 3, Party: "CUST-1", Body: []byte("service 4")},
		{Kind: "service", ID: "SVC-3", Ord: 6, Party: "CUST-1", Body: []byte("service 3 again")}}))
	all, err := db.ShelvedAll("service")
	require.NoError(t, err)
	var got []string
	for _, d := range all {
		got = append(got, d.ID+"="+string(d.Body))
	}
	assert.Equal(t, []string{"SVC-1=service 1", "SVC-4=service 4", "SVC-2=service 2", "SVC-3=service 3 again"}, got)
	d, ok, err := db.Shelved("service", "SVC-2")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "service 2", string(d.Body))
	assert.Equal(t, uint64(4), d.Ord)
}

// §7 docs given in two, a head many share and a body (store.Doc.Head),
// read back whole, in memory and in SQLite alike: when the kind's prefix
// is the head and some of the body, when it is shorter than the head,
// when a head grows (a type met later), and when the body shares nothing
// with the prefix.
func TestShelfHeads(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "serve.db"), Options{})
	require.NoError(t, err)
	defer db.Close()
	head := bytes.Repeat([]byte("service types;"), 20)
	grown := append(bytes.Clone(head), "and one more type;"...)
	var docs []store.Doc
	add := func(id string, head []byte, body string) {
		docs = append(docs, store.Doc{Kind: "service", ID: id, Ord: uint64(len(docs) + 1), Head: head, Body: []byte(body)})
	}
	add("SVC-1", head, "common start of every service 1")
	add("SVC-2", head, "common start of every service 2") // the prefix: head and some of the body
	add("SVC-3", head, "common start of every service 3")
	add("SVC-4", head, "nothing alike")        // the prefix is longer than the head, the body other
	add("SVC-5", grown, "common start, grown") // a longer head
	add("SVC-6", head[:100], "a shorter head")
	add("SVC-7", nil, "no head at all")
	mem := store.NewMemory()
	for _, shelf := range []store.Shelf{mem, db} {
		require.NoError(t, shelf.Shelve(docs[:3]))
		require.NoError(t, shelf.Shelve(docs[3:]))
		all, err := shelf.ShelvedAll("service")
		require.NoError(t, err)
		require.Len(t, all, len(docs))
		for i, d := range all {
			want := append(bytes.Clone(docs[i].Head), docs[i].Body...)
			assert.Equal(t, string(want), string(d.Body), d.ID)
			assert.Empty(t, d.Head, d.ID)
			one, ok, err := shelf.Shelved("service", d.ID)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, string(want), string(one.Body), d.ID)
		}
	}
	assert.Equal(t, bytes.Repeat([]byte("service types;"), 20), head, "a head is never changed")
}

// A pack of a shelving's short docs is kept squeezed when that saves
// (they repeat their fields), and reads back as it was written, by id and
// in lists, across a reopen; a pack too short to deflate stays as it is
// (TestShelfPacks), and so do the packs an earlier build wrote.
func TestShelfPacksSqueezed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	db, err := Open(file, Options{})
	require.NoError(t, err)
	var docs []store.Doc
	raw := 0
	for i := range 300 {
		id := fmt.Sprintf("VLAN-%04d", i)
		body := fmt.Appendf(nil, "%s;state=active;vlan=%d;bng=BNG-MEL-%d;%s", id, 100+i, i%7, bytes.Repeat([]byte("characteristic;"), 30))
		raw += len(body)
		docs = append(docs, store.Doc{Kind: "resource", ID: id, Ord: uint64(i + 1), Party: fmt.Sprintf("CUST-%d", i%9), Body: body})
	}
	require.NoError(t, db.Shelve(docs))
	var packs, squeezed, stored int
	require.NoError(t, db.db.QueryRow(`SELECT count(*), sum(deflated = 2), sum(length(body)) FROM shelf_pack`).Scan(&packs, &squeezed, &stored))
	assert.Equal(t, packs, squeezed, "every pack squeezed")
	assert.Less(t, stored, raw/4, "squeezed packs: %d bytes of %d", stored, raw)
	// A pack an earlier build wrote: not deflated.
	require.NoError(t, db.Shelve([]store.Doc{{Kind: "service", ID: "CFS-1", Ord: 1, Body: []byte("short")}}))
	var plain int
	require.NoError(t, db.db.QueryRow(`SELECT count(*) FROM shelf_pack WHERE deflated = 0 AND kind = 'service'`).Scan(&plain))
	assert.Equal(t, 1, plain)
	require.NoError(t, db.Close())
	db, err = Open(file, Options{})
	require.NoError(t, err)
	defer db.Close()
	all, err := db.ShelvedAll("resource")
	require.NoError(t, err)
	require.Len(t, all, len(docs))
	for i, d := range all {
		assert.Equal(t, docs[i], d)
	}
	for _, i := range []int{0, 137, 299} {
		d, ok, err := db.Shelved("resource", docs[i].ID)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, docs[i], d)
	}
	svc, ok, err := db.Shelved("service", "CFS-1")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "short", string(svc.Body))
}

// §7 a store whose packed docs have no creation numbers beside them (the
// schema before migration 0017) gets them from its packs as it opens:
// each the number of the entry its part names (a doc shelved again, in a
// later pack, has the later one's), and its ranges read as its lists; its
// resources, in packs and rows, lose the party they had (a resource names
// no customer).
func TestShelfPartOrdersMigrated(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.db")
	db, err := Open(file, Options{})
	require.NoError(t, err)
	var docs []store.Doc
	for n := 1; n <= 30; n++ {
		docs = append(docs, store.Doc{Kind: "service", ID: fmt.Sprintf("R-%02d", n), Ord: uint64(3 * n), Party: fmt.Sprintf("CUST-%d", n%2),
			Body: []byte(fmt.Sprintf("resource %d", n))})
	}
	require.NoError(t, db.Shelve(docs[:20]))
	require.NoError(t, db.Shelve([]store.Doc{{Kind: "resource", ID: "RES-1", Ord: 1, Party: "CUST-1", Body: []byte("short")},
		{Kind: "resource", ID: "RES-2", Ord: 2, Party: "CUST-1", Body: bytes.Repeat([]byte("long "), 1000)}}))
	require.NoError(t, db.Shelve(append(docs[20:], store.Doc{Kind: "service", ID: "R-05", Ord: 100, Body: []byte("resource 5 again")})))
	require.NoError(t, db.Close())
	raw, err := sql.Open("sqlite", file)
	require.NoError(t, err)
	for _, q := range []string{`DROP INDEX shelf_part_order`, `ALTER TABLE shelf_part DROP COLUMN ord`, `ALTER TABLE shelf_part DROP COLUMN party`, `PRAGMA user_version = 16`} {
		_, err := raw.Exec(q)
		require.NoError(t, err, q)
	}
	require.NoError(t, raw.Close())

	db, err = Open(file, Options{})
	require.NoError(t, err)
	defer db.Close()
	var missing int
	require.NoError(t, db.db.QueryRow(`SELECT count(*) FROM shelf_part WHERE ord IS NULL OR party IS NULL`).Scan(&missing))
	assert.Zero(t, missing)
	all, err := db.ShelvedAll("service")
	require.NoError(t, err)
	r, err := db.ShelvedRange(store.ShelfQuery{Kind: "service", To: 100})
	require.NoError(t, err)
	require.Len(t, r.Refs, 30)
	assert.Equal(t, 30, r.Total)
	for i, d := range all {
		assert.Equal(t, store.DocRef{ID: d.ID, Ord: d.Ord}, r.Refs[i])
	}
	assert.Equal(t, store.DocRef{ID: "R-05", Ord: 100}, r.Refs[29], "the later pack's")
	r, err = db.ShelvedRange(store.ShelfQuery{Kind: "service", ByParty: true, Party: "CUST-1", To: 100})
	require.NoError(t, err)
	assert.Equal(t, 14, r.Total, "the parties from the packs (R-05 shelved again without one)")
	for _, party := range []string{"CUST-1", ""} {
		r, err = db.ShelvedRange(store.ShelfQuery{Kind: "resource", ByParty: true, Party: party, To: 10})
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"CUST-1": 0, "": 2}[party], r.Total, "a resource names no customer: of party %q", party)
	}
}

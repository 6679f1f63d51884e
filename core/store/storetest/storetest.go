// Package storetest is the contract every durable store keeps
// (store.Durable): Run checks it against a store of any kind, and the
// stores' tests run it on memory, SQLite and PostgreSQL alike. Postgres
// gives the tests a PostgreSQL store of their own.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store"
)

// Place is where a store under test keeps what it holds: each call opens
// the store there, again after it was closed (a Memory store is its own
// place: the same store each time).
type Place func() (store.Durable, error)

// Run checks the contract of durable stores against stores opened in new
// places (newPlace makes one per subtest).
func Run(t *testing.T, newPlace func(t *testing.T) Place) {
	for _, c := range []struct {
		name string
		test func(t *testing.T, p Place)
	}{
		{"CommitAndReopen", commitAndReopen},
		{"Feed", feed},
		{"Snapshots", snapshots},
		{"Shelf", shelf},
		{"ShelfRange", shelfRange},
		{"Settings", settings},
		{"Cursors", cursors},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, newPlace(t)) })
	}
}

// open opens the store of p, closed when t ends.
func open(t *testing.T, p Place) store.Durable {
	t.Helper()
	st, err := p()
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

func record(i int) store.Record {
	return store.Record{At: 1000 * 1000 * 1000 * 60, Kind: "productOrder", Entity: fmt.Sprintf("PO-%03d", i), Name: "SO-PILOT", System: "COM",
		From: "acknowledged", To: "inProgress", Event: "start", Reason: "é ✓"}
}

func input(before uint64) store.Input {
	return store.Input{Before: before, At: 7, To: 2, Kind: "com.OrderRequest", Body: []byte{byte(before), 0, 1},
		Origin: store.Origin{Actor: "alice", Roles: []string{"sales"}, Request: "req-1"}}
}

// §2 the journal and the input log: a commit keeps records and inputs
// together, numbered on; the tail after a snapshot is the records after
// the first n and the inputs taken when n had been handled; all of it is
// there again once the store is reopened, and numbering goes on.
func commitAndReopen(t *testing.T, p Place) {
	st := open(t, p)
	require.NoError(t, st.Commit(nil, nil), "an empty commit is nothing")
	assert.Zero(t, st.Len())
	require.NoError(t, st.Probe(), "a store that can write says so")
	require.NoError(t, st.Commit([]store.Record{record(1), record(2)}, []store.Input{input(0), input(1)}))
	require.NoError(t, st.LogInputs([]store.Input{input(2)}))
	require.NoError(t, st.Append([]store.Record{record(3)}))
	require.NoError(t, st.Commit([]store.Record{record(4)}, []store.Input{{Before: 3, Kind: "com.Cancel", Body: []byte("{}")}}))
	require.NoError(t, st.Close())

	st = open(t, p)
	assert.Equal(t, 4, st.Len())
	after, err := st.RecordsAfter(1)
	require.NoError(t, err)
	assert.Equal(t, []store.Record{record(2), record(3), record(4)}, after)
	tail, err := st.InputsFrom(2)
	require.NoError(t, err)
	require.Len(t, tail, 2)
	assert.Equal(t, input(2), tail[0], "an input comes back as it was taken, its origin with it")
	assert.Equal(t, store.Input{Before: 3, Kind: "com.Cancel", Body: []byte("{}")}, tail[1], "an input without origin has none")
	all, err := st.InputsFrom(0)
	require.NoError(t, err)
	assert.Len(t, all, 4)
	require.NoError(t, st.Append([]store.Record{record(5)}))
	assert.Equal(t, 5, st.Len())
	assert.Equal(t, int64(5), st.Feed().Last(), "numbering goes on after a reopen")
}

// §7 the feed: each commit is told, numbered, once durable; the records
// after any seq come from the window or, behind it, from the store; a
// reopened store's feed goes on from its last record.
func feed(t *testing.T, p Place) {
	ctx := context.Background()
	st := open(t, p)
	var told []int64
	st.Feed().Watch(func(first int64, records []store.Record) {
		for i := range records {
			told = append(told, first+int64(i))
		}
	})
	sub := st.Feed().Subscribe()
	for i := 0; i < 30; i += 3 {
		require.NoError(t, st.Append([]store.Record{record(i + 1), record(i + 2), record(i + 3)}))
	}
	require.Len(t, told, 30)
	assert.Equal(t, int64(30), told[29])
	<-sub.C()
	page, err := st.Feed().After(ctx, 10, 5)
	require.NoError(t, err)
	require.Len(t, page, 5)
	assert.Equal(t, store.Entry{Seq: 11, Record: record(11)}, page[0])
	sub.Close()
	require.NoError(t, st.Close())

	st = open(t, p)
	assert.Equal(t, int64(30), st.Feed().Last())
	for after := int64(0); after < 30; after += 4 {
		page, err := st.Feed().After(ctx, after, 4)
		require.NoError(t, err)
		require.Len(t, page, int(min(4, 30-after)))
		for i, e := range page {
			assert.Equal(t, store.Entry{Seq: after + int64(i) + 1, Record: record(int(after) + i + 1)}, e, "read from the store")
		}
	}
	require.NoError(t, st.Append([]store.Record{record(31)}))
	page, err = st.Feed().After(ctx, 29, 10)
	require.NoError(t, err)
	assert.Equal(t, []store.Entry{{Seq: 30, Record: record(30)}, {Seq: 31, Record: record(31)}}, page)
}

// §2 snapshots: the latest saved comes back whole, however large its body
// and whether given whole or in pieces, across a reopen; saved again at
// the same place it replaces itself; one beyond the journal is refused.
func snapshots(t *testing.T, p Place) {
	st := open(t, p)
	_, ok, err := st.LatestSnapshot()
	require.NoError(t, err)
	assert.False(t, ok, "a new store has no snapshot")
	require.NoError(t, st.Commit([]store.Record{record(1), record(2)}, []store.Input{input(0), input(1)}))
	require.NoError(t, st.SaveSnapshot(store.Snapshot{Inputs: 2, Records: 2, At: 7, Body: []byte("first")}))
	body := make([]byte, 5<<20+3) // more than a chunk of any store
	for i := range body {
		body[i] = byte(i * 7)
	}
	require.NoError(t, st.SaveSnapshot(store.Snapshot{Inputs: 2, Records: 2, At: 7, Body: body}), "saved again at the same place")
	require.NoError(t, st.Commit([]store.Record{record(3)}, []store.Input{input(2)}))
	// In pieces of every size: a few bytes, none, more than a chunk.
	want := body[:len(body)-1]
	pieces := [][]byte{want[:3], want[3:3], want[3:10], want[10 : 2<<20+1], want[2<<20+1:]}
	require.NoError(t, st.SaveSnapshot(store.Snapshot{Inputs: 3, Records: 3, At: 9, Pieces: pieces}))
	assert.ErrorContains(t, st.SaveSnapshot(store.Snapshot{Inputs: 4, Records: 9}), "journal ends at 3", "a snapshot beyond the journal is refused")
	require.NoError(t, st.Close())

	st = open(t, p)
	snap, ok, err := st.LatestSnapshot()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, store.Snapshot{Inputs: 3, Records: 3, At: 9}, store.Snapshot{Inputs: snap.Inputs, Records: snap.Records, At: snap.At})
	assert.Nil(t, snap.Pieces)
	assert.True(t, string(want) == string(snap.Body), "the body comes back byte for byte (%d bytes, want %d)", len(snap.Body), len(want))
}

// §7 the shelf: a doc is read back by kind and id, the last one shelved
// staying; lists go by creation number; an item finds its order (Owner),
// by kind; all of it across a reopen.
func shelf(t *testing.T, p Place) {
	st := open(t, p)
	require.NoError(t, st.Shelve(nil))
	require.NoError(t, st.Shelve([]store.Doc{
		{Kind: "serviceOrder", ID: "SO-002", Ord: 2, Party: "CUST-1", Body: []byte("two"), Items: []string{"SOI-003", "SOI-004"}},
		{Kind: "serviceOrder", ID: "SO-001", Ord: 1, Party: "CUST-1", Body: []byte("one"), Items: []string{"SOI-001"}},
		{Kind: "resourceOrder", ID: "RO-001", Ord: 1, Body: []byte("ro"), Items: []string{"SOI-001"}},
		{Kind: "serviceOrder", ID: "SO-003", Ord: 3, Body: []byte("three, first")},
		{Kind: "serviceOrder", ID: "SO-003", Ord: 3, Body: []byte("three, last")},
	}))
	require.NoError(t, st.Shelve([]store.Doc{{Kind: "serviceOrder", ID: "SO-001", Ord: 1, Party: "CUST-1", Body: []byte("one again"),
		Items: []string{"SOI-001", "SOI-002"}}}))
	require.NoError(t, st.Close())

	st = open(t, p)
	d, ok, err := st.Shelved("serviceOrder", "SO-001")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "one again", string(d.Body), "the last one shelved stays")
	assert.Equal(t, "CUST-1", d.Party)
	assert.Equal(t, uint64(1), d.Ord)
	d, _, err = st.Shelved("serviceOrder", "SO-003")
	require.NoError(t, err)
	assert.Equal(t, "three, last", string(d.Body), "the last of one batch stays")
	_, ok, err = st.Shelved("serviceOrder", "SO-009")
	require.NoError(t, err)
	assert.False(t, ok)
	all, err := st.ShelvedAll("serviceOrder")
	require.NoError(t, err)
	require.Len(t, all, 3)
	assert.Equal(t, []string{"SO-001", "SO-002", "SO-003"}, []string{all[0].ID, all[1].ID, all[2].ID}, "by creation number")
	for item, want := range map[string]string{"SOI-001": "SO-001", "SOI-002": "SO-001", "SOI-003": "SO-002", "SOI-004": "SO-002"} {
		id, ok, err := st.Owner("serviceOrder", item)
		require.NoError(t, err)
		assert.True(t, ok, item)
		assert.Equal(t, want, id, item)
	}
	id, ok, err := st.Owner("resourceOrder", "SOI-001")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "RO-001", id, "by kind")
	_, ok, err = st.Owner("serviceOrder", "SOI-999")
	require.NoError(t, err)
	assert.False(t, ok)

	// The items that begin with a prefix, across the docs of a kind.
	require.NoError(t, st.Shelve([]store.Doc{{Kind: "productOrder", ID: "PO-001", Ord: 1, Body: []byte("po"),
		Items: []string{"POI-001", "POI-002", "order k-7", "order abc", "order k-8"}},
		{Kind: "productOrder", ID: "PO-002", Ord: 2, Body: []byte("po"), Items: []string{"order 0042", "orders"}},
		{Kind: "quote", ID: "Q-001", Ord: 1, Body: []byte("q"), Items: []string{"order k-9"}}}))
	items := func(kind, prefix string) []string {
		t.Helper()
		var out []string
		require.NoError(t, st.ShelvedItems(kind, prefix, func(it string) error { out = append(out, it); return nil }))
		slices.Sort(out)
		return out
	}
	assert.Equal(t, []string{"order 0042", "order abc", "order k-7", "order k-8"}, items("productOrder", "order "))
	assert.Equal(t, []string{"SOI-001", "SOI-002", "SOI-003", "SOI-004"}, items("serviceOrder", "SOI-"))
	assert.Empty(t, items("resourceOrder", "order "))
	stop := errors.New("enough")
	assert.ErrorIs(t, st.ShelvedItems("productOrder", "order ", func(string) error { return stop }), stop)
}

// §7 a part of a kind's docs by creation (store.Shelf.ShelvedRange) is that part
// of them all: at every position, with docs short and long (the SQLite
// store keeps them in packs and rows), shelved again from one to the
// other, across a reopen; the docs matched by id or creation number are
// those; the docs read by id are the last shelved.
func shelfRange(t *testing.T, p Place) {
	st := open(t, p)
	body := func(i, n int) []byte { return []byte(fmt.Sprintf("%0*d", n, i)) }
	var first, again []store.Doc
	for i := 1; i <= 40; i++ {
		n := 8
		if i%3 == 0 {
			n = 6000 // longer than a pack takes
		}
		party := []string{"CUST-1", "CUST-2", ""}[i%5%3]
		first = append(first, store.Doc{Kind: "resource", ID: fmt.Sprintf("R-%03d", i), Ord: uint64(100 - 2*i), Party: party, Body: body(i, n)})
		if i%4 == 0 {
			again = append(again, store.Doc{Kind: "resource", ID: fmt.Sprintf("R-%03d", i), Ord: uint64(100 - 2*i), Party: party, Body: body(-i, 6008-n)})
		}
	}
	first = append(first, store.Doc{Kind: "service", ID: "S-1", Ord: 5, Body: []byte("another kind")})
	require.NoError(t, st.Shelve(first[:25]))
	require.NoError(t, st.Shelve(first[25:]))
	require.NoError(t, st.Shelve(again))
	require.NoError(t, st.Close())
	st = open(t, p)

	all, err := st.ShelvedAll("resource")
	require.NoError(t, err)
	require.Len(t, all, 40)
	for _, q := range []store.ShelfQuery{{Kind: "resource"}, {Kind: "resource", ByParty: true, Party: "CUST-2"},
		{Kind: "resource", ByParty: true, Party: ""}, {Kind: "resource", ByParty: true, Party: "CUST-9"}} {
		var of []store.Doc
		for _, d := range all {
			if q.Keeps(d.Kind, d.Party) {
				of = append(of, d)
			}
		}
		for q.From = 0; q.From <= 42; q.From += 3 {
			for q.To = q.From - 1; q.To <= 43; q.To += 5 {
				r, err := st.ShelvedRange(q)
				require.NoError(t, err)
				assert.Equal(t, len(of), r.Total, "%+v", q)
				var want []store.DocRef
				for _, d := range of[min(q.From, len(of)):max(min(q.To, len(of)), min(q.From, len(of)))] {
					want = append(want, store.DocRef{ID: d.ID, Ord: d.Ord})
				}
				assert.Equal(t, want, r.Refs, "%+v", q)
			}
		}
	}
	r, err := st.ShelvedRange(store.ShelfQuery{Kind: "resource", IDs: []string{"R-004", "R-033", "R-404"}, Ords: []uint64{98, 94, 95, 5}})
	require.NoError(t, err)
	assert.Equal(t, []uint64{34, 92, 94, 98}, r.Matched, "by id or creation number, of the kind, in order")
	r, err = st.ShelvedRange(store.ShelfQuery{Kind: "resource", ByParty: true, Party: "CUST-1", IDs: []string{"R-004", "R-033", "R-404"}, Ords: []uint64{98, 94, 95, 5}})
	require.NoError(t, err)
	assert.Equal(t, []uint64{34, 94}, r.Matched, "of the party")
	assert.Equal(t, 16, r.Total, "of the party")
	r, err = st.ShelvedRange(store.ShelfQuery{Kind: "nothing", To: 10, IDs: []string{"R-004"}, Ords: []uint64{98}})
	require.NoError(t, err)
	assert.Equal(t, store.ShelfRange{}, r)
	ids := []string{"R-012", "R-001", "R-404", "R-003", "R-008", "R-040"}
	docs, err := st.ShelvedDocs("resource", ids)
	require.NoError(t, err)
	got := map[string]string{}
	for _, d := range docs {
		got[d.ID] = string(d.Body)
		one, _, err := st.Shelved("resource", d.ID)
		require.NoError(t, err)
		assert.Equal(t, one.Ord, d.Ord, d.ID)
	}
	assert.Equal(t, map[string]string{"R-012": string(body(-12, 8)), "R-001": string(body(1, 8)), "R-003": string(body(3, 6000)),
		"R-008": string(body(-8, 6000)), "R-040": string(body(-40, 6000))}, got, "the last shelved, from rows and packs")
}

// Settings are kept by key, the last value staying, across a reopen.
func settings(t *testing.T, p Place) {
	st := open(t, p)
	_, ok, err := st.Meta("scenario")
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, st.SetMeta("scenario", "first"))
	require.NoError(t, st.SetMeta("scenario", "GlobalTech"))
	require.NoError(t, st.SetMeta("scale", ""))
	require.NoError(t, st.Close())
	st = open(t, p)
	v, ok, err := st.Meta("scenario")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "GlobalTech", v)
	v, ok, err = st.Meta("scale")
	require.NoError(t, err)
	assert.True(t, ok, "an empty value is set")
	assert.Empty(t, v)
}

// The hub's delivery cursors: added once, set, moved only while they
// exist, moved forward together (never back, never a removed one back
// into being), deleted; kept across a reopen.
func cursors(t *testing.T, p Place) {
	ctx := context.Background()
	st := open(t, p)
	c, err := st.OpenCursors()
	require.NoError(t, err)
	at, err := c.AddCursor(ctx, "HUB-001", 6)
	require.NoError(t, err)
	assert.EqualValues(t, 6, at)
	require.NoError(t, c.MoveCursor(ctx, "HUB-001", 9))
	at, err = c.AddCursor(ctx, "HUB-001", 6)
	require.NoError(t, err)
	assert.EqualValues(t, 9, at, "a cursor is added once")
	require.NoError(t, c.SetCursor(ctx, "", 10))
	require.NoError(t, c.MoveCursor(ctx, "HUB-404", 10))
	for id, seq := range map[string]int64{"HUB-002": 3, "HUB-003": 12, "HUB-004": 1} {
		_, err := c.AddCursor(ctx, id, seq)
		require.NoError(t, err)
	}
	require.NoError(t, c.MoveCursors(ctx, []string{"HUB-002", "HUB-003", "HUB-404"}, 7))
	require.NoError(t, c.MoveCursors(ctx, nil, 8))
	require.NoError(t, c.DeleteCursor(ctx, "HUB-004"))
	require.NoError(t, c.Close())
	require.NoError(t, st.Close())

	st = open(t, p)
	c, err = st.OpenCursors()
	require.NoError(t, err)
	defer c.Close()
	got, err := c.Cursors(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"HUB-001": 9, "": 10, "HUB-002": 7, "HUB-003": 12}, got)
}

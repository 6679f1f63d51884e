package tmf630

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// partyOf is the party of the entity created o-th: A for two in three,
// else B.
func partyOf(o uint64) string {
	if o%3 == 0 {
		return "B"
	}
	return "A"
}

// shelfEntity is an entity listed by creation, some on the shelf.
type shelfEntity struct {
	ID  string
	Ord uint64
}

func (e shelfEntity) EntityID() string { return e.ID }

// A page of a list of entities in memory and on the shelf is the slice of
// the whole list withShelved makes, every offset and limit: entities in
// memory and shelved interleave by creation, one in memory and on the
// shelf (same creation number, or same id) is listed once, from memory;
// only the page's docs are decoded.
func TestShelvedPage(t *testing.T) {
	shelf := store.NewMemory()
	var docs []store.Doc
	for _, o := range []uint64{1, 3, 5, 8, 9} {
		docs = append(docs, store.Doc{Kind: "thing", ID: "T" + strconv.FormatUint(o, 10), Ord: o, Body: []byte(strconv.FormatUint(o, 10))})
	}
	docs = append(docs, store.Doc{Kind: "thing", ID: "T6", Ord: 10, Body: []byte("10")}) // T6 again, in memory now
	require.NoError(t, shelf.Shelve(docs))
	n := &Node{Shelf: shelf}
	decoded := 0
	ShelfWire(n, "thing", func(b []byte) (uint64, error) { decoded++; return strconv.ParseUint(string(b), 10, 64) },
		func(o uint64) shelfEntity { return shelfEntity{ID: "T" + strconv.FormatUint(o, 10), Ord: o} })
	live := []shelfEntity{{"T2", 2}, {"T3", 3}, {"T4", 4}, {"T6", 6}, {"T11", 11}}
	ord := func(e *shelfEntity) uint64 { return e.Ord }
	all, e := withShelved(n, store.ShelfQuery{Kind: "thing"}, live, ord)
	require.Nil(t, e)
	var ids []string
	for _, x := range all {
		ids = append(ids, x.ID)
	}
	assert.Equal(t, []string{"T1", "T2", "T3", "T4", "T5", "T6", "T8", "T9", "T11"}, ids)
	for offset := range len(all) + 2 {
		for limit := 1; limit <= len(all)+1; limit++ {
			page, total, e := shelvedPage(n, store.ShelfQuery{Kind: "thing"}, live, nil, ord, offset, limit)
			require.Nil(t, e)
			assert.Equal(t, len(all), total)
			from := min(offset, len(all))
			assert.Equal(t, all[from:from+min(limit, len(all)-from)], page, fmt.Sprintf("offset %d, limit %d", offset, limit))
		}
	}
	decoded = 0
	_, _, e = shelvedPage(n, store.ShelfQuery{Kind: "thing"}, live, nil, ord, 3, 3) // T4, T5, T6: one on the shelf
	require.Nil(t, e)
	assert.Equal(t, 1, decoded, "only the page's docs are decoded")

	page, total, e := shelvedPage(&Node{}, store.ShelfQuery{Kind: "thing"}, live, nil, ord, 1, 2)
	require.Nil(t, e)
	assert.Equal(t, live[1:3], page, "no shelf: the entities in memory")
	assert.Equal(t, len(live), total)
}

// A component lists what it holds in the order it came to it: an entity
// that left memory and was taken back (an order a change reopens) comes
// last, out of creation order. Merged with the shelf as it came, pages
// listed entities out of order, twice or not at all; a list puts the
// entities in memory by creation first (byCreation), ties in their order.
func TestListedByCreationWhenTakenBack(t *testing.T) {
	shelf := store.NewMemory()
	var docs []store.Doc
	for _, o := range []uint64{2, 4} {
		docs = append(docs, store.Doc{Kind: "thing", ID: "T" + strconv.FormatUint(o, 10), Ord: o, Body: []byte(strconv.FormatUint(o, 10))})
	}
	require.NoError(t, shelf.Shelve(docs))
	n := &Node{Shelf: shelf}
	ShelfWire(n, "thing", func(b []byte) (uint64, error) { return strconv.ParseUint(string(b), 10, 64) },
		func(o uint64) shelfEntity { return shelfEntity{ID: "T" + strconv.FormatUint(o, 10), Ord: o} })
	ord := func(e *shelfEntity) uint64 { return e.Ord }
	live := []shelfEntity{{"T3", 3}, {"T5", 5}, {"T1", 1}} // T1 taken back
	want := []string{"T1", "T2", "T3", "T4", "T5"}
	ids := func(es []shelfEntity) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	sorted := byCreation(live, ord)
	assert.Equal(t, []string{"T3", "T5", "T1"}, ids(live), "the list in memory is left as it is")
	all, e := withShelved(n, store.ShelfQuery{Kind: "thing"}, sorted, ord)
	require.Nil(t, e)
	assert.Equal(t, want, ids(all))
	for offset := range len(want) {
		page, total, e := shelvedPage(n, store.ShelfQuery{Kind: "thing"}, sorted, nil, ord, offset, 2)
		require.Nil(t, e)
		assert.Equal(t, len(want), total)
		assert.Equal(t, want[offset:min(offset+2, len(want))], ids(page), "offset %d", offset)
	}
	page, _, e := shelvedPage(n, store.ShelfQuery{Kind: "thing"}, live, nil, ord, 0, 5)
	require.Nil(t, e)
	assert.NotEqual(t, want, ids(page), "unsorted, the merge misplaces the entity taken back")

	ties := []shelfEntity{{"A", 7}, {"B", 7}, {"C", 6}}
	assert.Equal(t, []string{"C", "A", "B"}, ids(byCreation(ties, ord)), "ties keep their order")
	inOrder := []shelfEntity{{"A", 1}, {"B", 2}}
	assert.Same(t, &inOrder[0], &byCreation(inOrder, ord)[0], "a list in order is not copied")
}

// The same on many entities, in memory and in SQLite, which read a page
// of the shelf by its indexes: shelved and in memory drawn at random
// (seeded), some in memory matching a shelved one by creation number,
// some by id; short docs and long (in packs and in rows); pages at the
// start, the middle and the end, within memory's reach and beyond it.
func TestShelvedPageAtRandom(t *testing.T) {
	for _, shelf := range []struct {
		name string
		open func(t *testing.T) store.Shelf
	}{
		{"memory", func(*testing.T) store.Shelf { return store.NewMemory() }},
		{"sqlite", func(t *testing.T) store.Shelf {
			st, err := sqlite.Open(filepath.Join(t.TempDir(), "shelf.db"), sqlite.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			return st
		}},
	} {
		for _, mix := range []struct {
			name string
			// inMemory in 10 are in memory (half of them shelved too);
			// reused ids are taken again by entities in memory.
			inMemory, reused int
		}{{"mixed", 3, 20}, {"ids taken again", 0, 150}} {
			t.Run(shelf.name+"/"+mix.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(7, 9))
				st := shelf.open(t)
				var docs []store.Doc
				var live []shelfEntity
				for o := uint64(1); o <= 600; o++ {
					id := "T" + strconv.FormatUint(o, 10)
					switch k := rng.IntN(10); {
					case k < mix.inMemory && k%2 == 0: // in memory
						live = append(live, shelfEntity{id, o})
					case k < mix.inMemory: // in memory, and shelved a moment before
						live = append(live, shelfEntity{id, o})
						docs = append(docs, store.Doc{Kind: "thing", ID: id, Ord: o, Party: partyOf(o), Body: []byte(strconv.FormatUint(o, 10))})
					default:
						body := strconv.FormatUint(o, 10)
						if rng.IntN(5) == 0 {
							body += strings.Repeat(" ", 5000) // a row of its own in SQLite
						}
						docs = append(docs, store.Doc{Kind: "thing", ID: id, Ord: o, Party: partyOf(o), Body: []byte(body)})
					}
				}
				for k := 0; k < mix.reused; k++ { // ids taken again later: the shelf's is the earlier
					d := docs[rng.IntN(len(docs)/3)]
					if !slices.ContainsFunc(live, func(e shelfEntity) bool { return e.ID == d.ID }) {
						live = append(live, shelfEntity{d.ID, 600 + uint64(k) + 1})
					}
				}
				require.NoError(t, st.Shelve(docs[:len(docs)/2]))
				require.NoError(t, st.Shelve(docs[len(docs)/2:]))
				n := &Node{Shelf: st}
				ShelfWire(n, "thing", func(b []byte) (uint64, error) { return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64) },
					func(o uint64) shelfEntity { return shelfEntity{ID: "T" + strconv.FormatUint(o, 10), Ord: o} })
				ord := func(e *shelfEntity) uint64 { return e.Ord }
				all, e := withShelved(n, store.ShelfQuery{Kind: "thing"}, live, ord)
				require.Nil(t, e)
				require.Greater(t, len(all), 450)
				ofA := func(e shelfEntity) bool { return partyOf(e.Ord) == "A" }
				for _, list := range []struct {
					q    store.ShelfQuery
					keep func(shelfEntity) bool
					all  []shelfEntity
				}{
					{store.ShelfQuery{Kind: "thing"}, nil, all},
					// of a party: a doc whose id is taken again by
					// another party's entity in memory is not listed.
					{store.ShelfQuery{Kind: "thing", ByParty: true, Party: "A"}, ofA, slices.DeleteFunc(slices.Clone(all), func(e shelfEntity) bool { return !ofA(e) })},
				} {
					all := list.all
					sifted, e := withShelved(n, list.q, live, ord)
					require.Nil(t, e)
					if list.keep != nil {
						sifted = slices.DeleteFunc(sifted, func(e shelfEntity) bool { return !list.keep(e) })
					}
					assert.Equal(t, all, sifted, "%+v: the whole list, sifted", list.q)
					for _, offset := range []int{0, 1, 7, 100, 150, 151, 300, len(all) - 200, len(all) - 10, len(all) - 1, len(all), len(all) + 5} {
						for _, limit := range []int{1, 3, 10, 100, 1000} {
							page, total, e := shelvedPage(n, list.q, live, list.keep, ord, offset, limit)
							require.Nil(t, e)
							assert.Equal(t, len(all), total)
							assert.Equal(t, pageOf(all, offset, limit), page, "%+v: offset %d, limit %d", list.q, offset, limit)
						}
					}
				}
			})
		}
	}
}

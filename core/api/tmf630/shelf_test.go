package tmf630

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	all, e := withShelved(n, "thing", live, ord)
	require.Nil(t, e)
	var ids []string
	for _, x := range all {
		ids = append(ids, x.ID)
	}
	assert.Equal(t, []string{"T1", "T2", "T3", "T4", "T5", "T6", "T8", "T9", "T11"}, ids)
	for offset := range len(all) + 2 {
		for limit := 1; limit <= len(all)+1; limit++ {
			page, total, e := shelvedPage(n, "thing", live, ord, offset, limit)
			require.Nil(t, e)
			assert.Equal(t, len(all), total)
			from := min(offset, len(all))
			assert.Equal(t, all[from:from+min(limit, len(all)-from)], page, fmt.Sprintf("offset %d, limit %d", offset, limit))
		}
	}
	decoded = 0
	_, _, e = shelvedPage(n, "thing", live, ord, 3, 3) // T4, T5, T6: one on the shelf
	require.Nil(t, e)
	assert.Equal(t, 1, decoded, "only the page's docs are decoded")

	page, total, e := shelvedPage(&Node{}, "thing", live, ord, 1, 2)
	require.Nil(t, e)
	assert.Equal(t, live[1:3], page, "no shelf: the entities in memory")
	assert.Equal(t, len(live), total)
}

package rom

import (
	"fmt"
	"testing"

	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// orderOf is an order with items of ids.
func orderOf(name string, ids ...string) *order {
	o := &order{ro: tmf.ResourceOrder{ID: name}}
	for _, id := range ids {
		o.ro.Items = append(o.ro.Items, tmf.ResourceOrderItem{ID: id})
	}
	return o
}

// named is the id of the order x finds for each id ("-" for none).
func named(x *itemIndex, ids ...string) []string {
	var out []string
	for _, id := range ids {
		if o := x.find(id); o != nil {
			out = append(out, o.ro.ID)
		} else {
			out = append(out, "-")
		}
	}
	return out
}

func TestItemIndexFindsItemsByRun(t *testing.T) {
	var x itemIndex
	a := orderOf("A", "ROI-001", "ROI-002", "ROI-003")
	b := orderOf("B", "ROI-004", "ROI-005")
	c := orderOf("C", "ROI-998", "ROI-999", "ROI-1000", "ROI-1001") // the width grows: two runs
	d := orderOf("D", "install-ont", "ROI-0006", "7")               // no digits, another width, no prefix
	for _, o := range []*order{a, b, c, d} {
		x.add(o)
	}
	assert.Equal(t, []string{"A", "A", "A", "B", "B", "-", "C", "C", "C", "C", "D", "D", "D", "-", "-", "-", "-"},
		named(&x, "ROI-001", "ROI-002", "ROI-003", "ROI-004", "ROI-005", "ROI-006", "ROI-998", "ROI-999", "ROI-1000", "ROI-1001",
			"install-ont", "ROI-0006", "7", "ROI-01", "ROI-000", "ROI-1002", "ROI-"))
	assert.Len(t, x.lists[runKey{"ROI-", 3}].runs, 3, "A's run, B's, and the first of C's")
	assert.Len(t, x.other, 1, "only the id without digits one by one")

	x.remove(b)
	x.remove(d)
	assert.Equal(t, []string{"A", "-", "-", "-", "-", "C"}, named(&x, "ROI-003", "ROI-004", "install-ont", "ROI-0006", "7", "ROI-1000"))
	assert.Empty(t, x.other)
}

func TestItemIndexTakesRunsOutOfOrderAndAfterTheyLeft(t *testing.T) {
	var x itemIndex
	late := orderOf("late", "ITEM-20", "ITEM-21")
	early := orderOf("early", "ITEM-10", "ITEM-11")
	x.add(late)
	x.add(early) // before the run already there
	assert.Equal(t, []string{"early", "early", "-", "late", "late"}, named(&x, "ITEM-10", "ITEM-11", "ITEM-15", "ITEM-20", "ITEM-21"))

	x.remove(early)
	again := orderOf("again", "ITEM-09", "ITEM-10", "ITEM-11", "ITEM-12") // the ids of an order gone, and more
	x.add(again)
	assert.Equal(t, []string{"again", "again", "again", "again", "late"}, named(&x, "ITEM-09", "ITEM-10", "ITEM-11", "ITEM-12", "ITEM-20"))
}

// An order whose ids an order in memory has already: each of its ids is
// kept alone, found before the run's, and forgotten with it.
func TestItemIndexKeepsAnOverlapApart(t *testing.T) {
	var x itemIndex
	first := orderOf("first", "ROI-001", "ROI-002", "ROI-003")
	second := orderOf("second", "ROI-003", "ROI-004")
	x.add(first)
	x.add(second)
	assert.True(t, second.unrun)
	assert.Equal(t, []string{"first", "first", "second", "second"}, named(&x, "ROI-001", "ROI-002", "ROI-003", "ROI-004"))
	x.remove(second)
	assert.Equal(t, []string{"first", "first", "first", "-"}, named(&x, "ROI-001", "ROI-002", "ROI-003", "ROI-004"))
	assert.Empty(t, x.other)
}

// A steady stream of orders, each leaving while others arrive, keeps a
// list about as long as the orders in memory.
func TestItemIndexStaysTheSizeOfWhatIsInMemory(t *testing.T) {
	var x itemIndex
	var live []*order
	next := 1
	for k := range 10000 {
		o := orderOf(fmt.Sprint("RO-", k))
		for range 6 {
			o.ro.Items = append(o.ro.Items, tmf.ResourceOrderItem{ID: tmf.SeqID("ROI", next)})
			next++
		}
		x.add(o)
		live = append(live, o)
		if len(live) > 100 {
			x.remove(live[0])
			live = live[1:]
		}
	}
	for _, o := range live {
		require.Equal(t, o, x.find(o.ro.Items[5].ID))
	}
	assert.Nil(t, x.find(tmf.SeqID("ROI", 1)))
	n := 0
	for _, l := range x.lists {
		n += len(l.runs)
	}
	assert.LessOrEqual(t, n, 2*len(live)+2, "runs of the orders gone are dropped")
}

package rom

import (
	"iter"
	"slices"

	"github.com/ordertwin/ordertwin/core/tmf"
)

// itemIndex finds the order in memory that has an item, by the item's id.
//
// An order's item ids nearly always run on from one another (SOM numbers
// them: ROI-007 … ROI-012), and so do the orders': the index keeps a run of
// consecutive ids as one entry, in a list per prefix and width of its
// number kept in the order of the numbers, and finds an id by halving the
// list. A map from every item's id cost about 107 bytes an item, the most
// of any of ROM's indexes; a run costs 24 bytes an order. An id that does
// not end in 1 to 18 digits (a client's "install-ont"), or one that a run
// in memory has already (ROM refuses such an order, but the index does not
// rely on it), is kept in a map of its own.
type itemIndex struct {
	lists map[runKey]*runList
	other map[string]*order
}

// runKey is the prefix of a run's ids and the width of their numbers,
// zero-padded (ROI-007: "ROI-" and 3).
type runKey struct {
	prefix string
	width  int
}

// runList is the runs of one prefix and width, in the order of their
// numbers, none overlapping another; a run whose order left memory stays
// (its order nil) until such runs are half the list, and an order's run
// that overlaps it takes its place.
type runList struct {
	runs []itemRun
	gone int
}

// itemRun is the items first … last of an order (nil once it left).
type itemRun struct {
	first, last int64
	o           *order
}

// find returns the order in memory with item id, or nil.
func (x *itemIndex) find(id string) *order {
	if o := x.other[id]; o != nil {
		return o
	}
	r := tmf.RunOf(id)
	if !r.Numbered() {
		return nil
	}
	l := x.lists[runKey{r.Prefix, r.Width}]
	if l == nil {
		return nil
	}
	if i := l.at(r.First); i >= 0 {
		return l.runs[i].o
	}
	return nil
}

// at is the index of the run that holds n, or -1.
func (l *runList) at(n int64) int {
	i, _ := slices.BinarySearchFunc(l.runs, n, func(r itemRun, n int64) int {
		switch {
		case r.last < n:
			return -1
		case r.first > n:
			return 1
		}
		return 0
	})
	if i < len(l.runs) && l.runs[i].first <= n && n <= l.runs[i].last {
		return i
	}
	return -1
}

// add indexes the items of o.
func (x *itemIndex) add(o *order) {
	for r := range o.itemRuns() {
		if !r.Numbered() {
			o.unrun = true
			x.addOther(o, r.Prefix)
			continue
		}
		k := runKey{r.Prefix, r.Width}
		if x.lists == nil {
			x.lists = map[runKey]*runList{}
		}
		l := x.lists[k]
		if l == nil {
			l = &runList{}
			x.lists[k] = l
		}
		if !l.insert(itemRun{r.First, r.Last, o}) {
			o.unrun = true
			for n := r.First; n <= r.Last; n++ {
				x.addOther(o, r.Nth(n))
			}
		}
	}
}

func (x *itemIndex) addOther(o *order, id string) {
	if x.other == nil {
		x.other = map[string]*order{}
	}
	x.other[id] = o
}

// insert puts r in its place, in place of the runs gone that it overlaps;
// false, changing nothing, when it overlaps a run in memory.
func (l *runList) insert(r itemRun) bool {
	if n := len(l.runs); n == 0 || l.runs[n-1].last < r.first {
		l.runs = append(l.runs, r) // the common case: ids go on growing
		return true
	}
	lo, _ := slices.BinarySearchFunc(l.runs, r.first, func(x itemRun, first int64) int {
		if x.last < first {
			return -1
		}
		return 1
	})
	hi := lo
	for hi < len(l.runs) && l.runs[hi].first <= r.last {
		if l.runs[hi].o != nil {
			return false
		}
		hi++
	}
	l.gone -= hi - lo
	l.runs = slices.Replace(l.runs, lo, hi, r)
	return true
}

// remove forgets the items of o.
func (x *itemIndex) remove(o *order) {
	for r := range o.itemRuns() {
		if !r.Numbered() {
			if x.other[r.Prefix] == o { // the whole id
				delete(x.other, r.Prefix)
			}
			continue
		}
		l := x.lists[runKey{r.Prefix, r.Width}]
		if l == nil {
			continue
		}
		if i := l.at(r.First); i >= 0 && l.runs[i].o == o {
			l.runs[i].o = nil
			l.gone++
		}
		for n := r.First; n <= r.Last && o.unrun; n++ {
			if id := r.Nth(n); x.other[id] == o {
				delete(x.other, id)
			}
		}
		if 2*l.gone >= len(l.runs) {
			l.compact() // its room stays, for the runs to come
		}
	}
}

// compact drops the runs gone.
func (l *runList) compact() {
	l.runs = slices.DeleteFunc(l.runs, func(r itemRun) bool { return r.o == nil })
	l.gone = 0
}

// itemRuns yields the runs of o's item ids, in item order.
func (o *order) itemRuns() iter.Seq[tmf.IDRun] {
	return tmf.IDRuns(func(yield func(string) bool) {
		for i := range o.ro.Items {
			if !yield(o.ro.Items[i].ID) {
				return
			}
		}
	})
}

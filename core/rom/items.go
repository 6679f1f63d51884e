package rom

import (
	"iter"
	"slices"
	"strconv"
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

// splitItem is id's run key and number; ok is false for an id that does
// not end in 1 to 18 digits.
func splitItem(id string) (runKey, int64, bool) {
	i := len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' {
		i--
	}
	width := len(id) - i
	if width == 0 || width > 18 {
		return runKey{}, 0, false
	}
	n, err := strconv.ParseInt(id[i:], 10, 64)
	if err != nil {
		return runKey{}, 0, false
	}
	return runKey{id[:i], width}, n, true
}

// find returns the order in memory with item id, or nil.
func (x *itemIndex) find(id string) *order {
	if o := x.other[id]; o != nil {
		return o
	}
	k, n, ok := splitItem(id)
	if !ok {
		return nil
	}
	l := x.lists[k]
	if l == nil {
		return nil
	}
	if i := l.at(n); i >= 0 {
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
	for span := range o.itemRuns() {
		k, first, last := span.key, span.first, span.last
		if first < 0 {
			o.unrun = true
			x.addOther(o, k.prefix)
			continue
		}
		if x.lists == nil {
			x.lists = map[runKey]*runList{}
		}
		l := x.lists[k]
		if l == nil {
			l = &runList{}
			x.lists[k] = l
		}
		if !l.insert(itemRun{first, last, o}) {
			o.unrun = true
			for n := first; n <= last; n++ {
				x.addOther(o, k.prefix+zeroPadded(n, k.width))
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

// zeroPadded is n in width digits.
func zeroPadded(n int64, width int) string {
	s := strconv.FormatInt(n, 10)
	for len(s) < width {
		s = "0" + s
	}
	return s
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
	for span := range o.itemRuns() {
		k, first, last := span.key, span.first, span.last
		if first < 0 {
			if x.other[k.prefix] == o { // the whole id
				delete(x.other, k.prefix)
			}
			continue
		}
		l := x.lists[k]
		if l == nil {
			continue
		}
		if i := l.at(first); i >= 0 && l.runs[i].o == o {
			l.runs[i].o = nil
			l.gone++
		}
		for n := first; n <= last && o.unrun; n++ {
			if id := k.prefix + zeroPadded(n, k.width); x.other[id] == o {
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

// itemSpan is a run of item ids: its key and its first and last numbers,
// or, for an id that does not end in digits, the whole id as the key's
// prefix and first and last -1.
type itemSpan struct {
	key         runKey
	first, last int64
}

// itemRuns yields the runs of o's item ids, in item order.
func (o *order) itemRuns() iter.Seq[itemSpan] {
	return func(yield func(itemSpan) bool) {
		run := itemSpan{first: -1, last: -1}
		for i := range o.ro.Items {
			id := o.ro.Items[i].ID
			k, n, ok := splitItem(id)
			if ok && run.first >= 0 && k == run.key && n == run.last+1 {
				run.last = n
				continue
			}
			if run.first >= 0 && !yield(run) {
				return
			}
			if !ok {
				if !yield(itemSpan{key: runKey{prefix: id}, first: -1, last: -1}) {
					return
				}
				run = itemSpan{first: -1, last: -1}
				continue
			}
			run = itemSpan{key: k, first: n, last: n}
		}
		if run.first >= 0 {
			yield(run)
		}
	}
}

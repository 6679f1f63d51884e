package tmf630

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"

	"github.com/ordertwin/ordertwin/core/store"
)

// The entities that have left the components' memory (finished orders,
// after their retention) are read from the store's shelf (store.Shelf):
// a read by id that finds nothing in memory goes on to it, and a list is
// the shelf's entities of its kind and the ones in memory, by creation,
// each once. An API says how a doc of its kind goes on the wire
// (ShelfWire); the doc's body is the component's entity, as JSON.

// ShelfWire registers how the docs of kind go on the wire, for the API
// whose entities are T: decode reads a doc's body as its component
// shelved it, wire maps that to the wire. Call it when the routes are
// made.
func ShelfWire[X, T any](n *Node, kind string, decode func([]byte) (X, error), wire func(X) T) {
	if n.wires == nil {
		n.wires = map[string]func(store.Doc) (any, error){}
	}
	n.wires[kind] = func(d store.Doc) (any, error) {
		x, err := decode(d.Body)
		if err != nil {
			return nil, err
		}
		return wire(x), nil
	}
}

// Unshelved reads the entity of kind and id from the shelf, decoded by
// decode: ok false when the node has no shelf or the shelf no such
// entity; a store that cannot read is a 503, a body that cannot be decoded
// a 500.
func Unshelved[X any](n *Node, kind, id string, decode func([]byte) (X, error)) (x X, ok bool, e *Error) {
	if n.Shelf == nil {
		return x, false, nil
	}
	d, ok, err := n.Shelf.Shelved(kind, id)
	if err != nil {
		return x, false, Unavailable(err)
	}
	if !ok {
		return x, false, nil
	}
	if x, err = decode(d.Body); err != nil {
		return x, false, NewError(http.StatusInternalServerError, fmt.Sprintf("%s %s on the shelf: %v", kind, id, err))
	}
	return x, true, nil
}

// shelvedOne reads the entity of kind and id from the shelf: nil when the
// node has no shelf, the kind no wire, or the shelf no such entity.
func shelvedOne[T any](n *Node, kind, id string) (*T, *Error) {
	wire := n.wires[kind]
	if wire == nil {
		return nil, nil
	}
	v, ok, e := Unshelved(n, kind, id, func(body []byte) (any, error) { return wire(store.Doc{Kind: kind, ID: id, Body: body}) })
	if e != nil || !ok {
		return nil, e
	}
	t, ok := v.(T)
	if !ok {
		return nil, NewError(http.StatusInternalServerError, fmt.Sprintf("%s %s on the shelf: a %T, not a %T", kind, id, v, t))
	}
	return &t, nil
}

// Identified is an entity whose id may be taken again by a later one (a
// service installed again, a resource allocated again): the shelf's
// entity of an id that is in memory too is the earlier one, left out of a
// list.
type Identified interface{ EntityID() string }

// withShelved adds to live, the entities of kind in memory by creation,
// those on the shelf that are not in memory, keeping creation order: ord
// gives an entity's creation number (an Identified one is matched by its
// id too).
//
// q.ByParty reads only the docs the shelf keeps for q.Party
// (store.Doc.Party): the list of a caller bound to that party, once sifted
// by what it may see, is the same, and reading it costs what the party
// has on the shelf, not the kind.
func withShelved[T any](n *Node, q store.ShelfQuery, live []T, ord func(*T) uint64) ([]T, *Error) {
	merged, docs, e := mergeShelved(n, q, live, ord)
	if e != nil || docs == nil {
		return live, e
	}
	return entitiesOf(n, q.Kind, merged, live, docs)
}

// shelvedOf returns the docs q asks for (all of its kind, or of its
// party), by creation.
func shelvedOf(s store.Shelf, q store.ShelfQuery) ([]store.Doc, error) {
	if !q.ByParty {
		return s.ShelvedAll(q.Kind)
	}
	q.From, q.To = 0, math.MaxInt
	r, err := s.ShelvedRange(q)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(r.Refs))
	for i, ref := range r.Refs {
		ids[i] = ref.ID
	}
	docs, err := s.ShelvedDocs(q.Kind, ids)
	slices.SortFunc(docs, func(a, b store.Doc) int { return cmp.Compare(a.Ord, b.Ord) })
	return docs, err
}

// shelvedPage is the page [offset, offset+limit) of what withShelved
// lists, and how many it lists, reading from the shelf only the page's
// docs and the ids and creation numbers of a range about as long as the
// page and the entities in memory (Shelf.ShelvedRange, placed): its cost
// is the page's and memory's, not the shelf's.
//
// keep, when not nil, lists only the entities in memory it keeps, and
// q.ByParty the docs the shelf keeps for q.Party (store.Doc.Party); a doc
// matched by any entity in memory is left out all the same (as withShelved
// does before a list is sifted).
func shelvedPage[T any](n *Node, q store.ShelfQuery, live []T, keep func(T) bool, ord func(*T) uint64, offset, limit int) (page []T, total int, e *Error) {
	all := live
	if keep != nil {
		live = slices.DeleteFunc(slices.Clone(live), func(v T) bool { return !keep(v) })
	}
	wire := n.wires[q.Kind]
	if n.Shelf == nil || wire == nil {
		return pageOf(live, offset, limit), len(live), nil
	}
	for i := range all {
		q.Ords = append(q.Ords, ord(&all[i]))
		if x, ok := any(all[i]).(Identified); ok {
			q.IDs = append(q.IDs, x.EntityID())
		}
	}
	ords := q.Ords // of those listed
	if keep != nil {
		ords = make([]uint64, len(live))
		for i := range live {
			ords[i] = ord(&live[i])
		}
	}
	q.From, q.To = max(0, offset-len(live)), offset+limit+2*len(all)
	r, err := n.Shelf.ShelvedRange(q)
	if err != nil {
		return nil, 0, Unavailable(err)
	}
	on := placed(r, q.From, ords, offset, limit)
	var want []string
	for _, p := range on {
		if p.live < 0 {
			want = append(want, p.doc.ID)
		}
	}
	docs, err := n.Shelf.ShelvedDocs(q.Kind, want)
	if err != nil {
		return nil, 0, Unavailable(err)
	}
	byID := make(map[string]store.Doc, len(docs))
	for _, d := range docs {
		byID[d.ID] = d
	}
	page = make([]T, 0, len(on))
	for _, p := range on {
		if p.live >= 0 {
			page = append(page, live[p.live])
			continue
		}
		d, ok := byID[p.doc.ID]
		if !ok {
			return nil, 0, NewError(http.StatusInternalServerError, fmt.Sprintf("%s %s: listed on the shelf, then not found there", q.Kind, p.doc.ID))
		}
		v, err := wire(d)
		if err != nil {
			return nil, 0, NewError(http.StatusInternalServerError, fmt.Sprintf("%s %s on the shelf: %v", q.Kind, d.ID, err))
		}
		page = append(page, v.(T))
	}
	return page, r.Total - len(r.Matched) + len(live), nil
}

// onPage is an entry of a list's page: the entity in memory live, or,
// when live < 0, the shelf's doc.
type onPage struct {
	live int
	doc  store.DocRef
}

// placed returns the page [offset, offset+limit) of a list of the
// entities in memory, by creation (their creation numbers ords, m of
// them), and the shelf's docs that none of all the entities in memory
// (M of them) matches (r.Matched): r read the shelf's docs at positions
// from from.
//
// A matched doc is matched by an entity's creation number or by its id,
// at most two docs an entity: a doc at shelf position i lists at
// [i-2M, i+m], so the page's are among those at [offset-m,
// offset+limit+2M), the range shelvedPage reads. An entity in memory
// lists at its index plus the unmatched docs created before it, counted
// in that range: exactly for one created within it; one created before
// it (when it does not start the shelf) counts none and lists before
// offset all the same, one created after it (when it does not end the
// shelf) counts all and lists after the page all the same.
func placed(r store.ShelfRange, from int, ords []uint64, offset, limit int) []onPage {
	matched := make(map[uint64]bool, len(r.Matched))
	for _, o := range r.Matched {
		matched[o] = true
	}
	below := func(sorted []uint64, o uint64) int { // how many are less than o
		k, _ := slices.BinarySearch(sorted, o)
		return k
	}
	type placing struct {
		at int
		onPage
	}
	var on []placing
	add := func(at int, p onPage) {
		if at >= offset && at < offset+limit {
			on = append(on, placing{at, p})
		}
	}
	for k, ref := range r.Refs {
		if !matched[ref.Ord] {
			add(from+k-below(r.Matched, ref.Ord)+below(ords, ref.Ord), onPage{live: -1, doc: ref})
		}
	}
	for j, o := range ords {
		docsBelow := sort.Search(len(r.Refs), func(k int) bool { return r.Refs[k].Ord >= o })
		add(j+from+docsBelow-below(r.Matched, o), onPage{live: j})
	}
	slices.SortFunc(on, func(a, b placing) int { return cmp.Compare(a.at, b.at) })
	page := make([]onPage, len(on))
	for i, p := range on {
		page[i] = p.onPage
	}
	return page
}

// listed is an entity of a merged list: live[live] when doc < 0, else
// docs[doc].
type listed struct{ live, doc int }

// mergeShelved orders the entities of kind in memory (live, by creation)
// and the shelf's that are not in memory by creation; docs is nil when
// the shelf adds none.
func mergeShelved[T any](n *Node, q store.ShelfQuery, live []T, ord func(*T) uint64) ([]listed, []store.Doc, *Error) {
	if n.Shelf == nil || n.wires[q.Kind] == nil {
		return nil, nil, nil
	}
	docs, err := shelvedOf(n.Shelf, q)
	if err != nil {
		return nil, nil, Unavailable(err)
	}
	if len(docs) == 0 {
		return nil, nil, nil
	}
	var ids map[string]bool
	for _, v := range live {
		if e, ok := any(v).(Identified); ok {
			if ids == nil {
				ids = make(map[string]bool, len(live))
			}
			ids[e.EntityID()] = true
		}
	}
	merged := make([]listed, 0, len(live)+len(docs))
	i := 0
	for k, d := range docs {
		for i < len(live) && ord(&live[i]) < d.Ord {
			merged = append(merged, listed{live: i, doc: -1})
			i++
		}
		if i < len(live) && ord(&live[i]) == d.Ord || ids[d.ID] {
			continue // still in memory: memory is the truth
		}
		merged = append(merged, listed{doc: k})
	}
	for ; i < len(live); i++ {
		merged = append(merged, listed{live: i, doc: -1})
	}
	return merged, docs, nil
}

// entitiesOf is the entities merged lists, the shelf's decoded.
func entitiesOf[T any](n *Node, kind string, merged []listed, live []T, docs []store.Doc) ([]T, *Error) {
	wire := n.wires[kind]
	out := make([]T, 0, len(merged))
	for _, m := range merged {
		if m.doc < 0 {
			out = append(out, live[m.live])
			continue
		}
		d := docs[m.doc]
		v, err := wire(d)
		if err != nil {
			return nil, NewError(http.StatusInternalServerError, fmt.Sprintf("%s %s on the shelf: %v", kind, d.ID, err))
		}
		out = append(out, v.(T))
	}
	return out, nil
}

package tmf630

import (
	"fmt"
	"net/http"

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
func withShelved[T any](n *Node, kind string, live []T, ord func(*T) uint64) ([]T, *Error) {
	merged, docs, e := mergeShelved(n, kind, live, ord)
	if e != nil || docs == nil {
		return live, e
	}
	return entitiesOf(n, kind, merged, live, docs)
}

// shelvedPage is the page [offset, offset+limit) of what withShelved
// lists, and how many it lists: only the page's docs are decoded.
func shelvedPage[T any](n *Node, kind string, live []T, ord func(*T) uint64, offset, limit int) (page []T, total int, e *Error) {
	merged, docs, e := mergeShelved(n, kind, live, ord)
	if e != nil {
		return nil, 0, e
	}
	if docs == nil {
		return pageOf(live, offset, limit), len(live), nil
	}
	page, e = entitiesOf(n, kind, pageOf(merged, offset, limit), live, docs)
	return page, len(merged), e
}

// listed is an entity of a merged list: live[live] when doc < 0, else
// docs[doc].
type listed struct{ live, doc int }

// mergeShelved orders the entities of kind in memory (live, by creation)
// and the shelf's that are not in memory by creation; docs is nil when
// the shelf adds none.
func mergeShelved[T any](n *Node, kind string, live []T, ord func(*T) uint64) ([]listed, []store.Doc, *Error) {
	if n.Shelf == nil || n.wires[kind] == nil {
		return nil, nil, nil
	}
	docs, err := n.Shelf.ShelvedAll(kind)
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

package tmf630

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/store"
)

// The reads every API serves the same way: a list with the TMF630 query,
// one entity by id. read functions run on the engine's goroutine (they
// map the component's state to the wire, copying it).

// ListAll answers a list request: the query checked against the
// attributes of the entity, the entities read, the page written.
func ListAll[T any](n *Node, w http.ResponseWriter, r *http.Request, attrs []string, read func() []T) {
	ListShelved(n, w, r, attrs, "", read, nil)
}

// ListShelved is ListAll of entities of kind, some of which may have left
// memory for the shelf: read lists those in memory by creation, ord gives
// one's creation number.
func ListShelved[T any](n *Node, w http.ResponseWriter, r *http.Request, attrs []string, kind string, read func() []T, ord func(*T) uint64) {
	q, e := ParseQuery(r.URL.Query(), attrs)
	if e != nil {
		WriteError(w, e)
		return
	}
	var out []T
	if e := n.Query(r.Context(), func() { out = read() }); e != nil {
		WriteError(w, e)
		return
	}
	if ord != nil {
		out = byCreation(out, ord)
	}
	id, scoped := Caller(r)
	hidden := func(v T) bool { return !Visible(r, &v) }
	shelf := store.ShelfQuery{Kind: kind, ByParty: scoped, Party: id.Tenant}
	if kind != "" && len(q.Filters) == 0 {
		// Nothing to sift but by party: the shelf reads only the page's
		// entities, of a scoped caller's party those the shelf keeps for
		// it. Were one of them not the caller's to see (its customer is
		// not the party the shelf keeps it for), the whole list is sifted.
		var keep func(T) bool
		if scoped {
			keep = func(v T) bool { return !hidden(v) }
		}
		page, total, e := shelvedPage(n, shelf, out, keep, ord, q.Offset, q.Limit)
		if e != nil {
			WriteError(w, e)
			return
		}
		if !scoped || !slices.ContainsFunc(page, hidden) {
			writePage(w, q, page, total)
			return
		}
	}
	if kind != "" {
		if out, e = withShelved(n, shelf, out, ord); e != nil {
			WriteError(w, e)
			return
		}
	}
	if scoped {
		out = slices.DeleteFunc(out, hidden)
	}
	List(w, q, out)
}

// GetOne answers a request for the entity whose id the path names.
func GetOne[T any](n *Node, w http.ResponseWriter, r *http.Request, what string, read func(id string) *T) {
	q, e := ByIDQuery(r, attributesFor[T]())
	if e != nil {
		WriteError(w, e)
		return
	}
	v, e := ReadOne(n, r, what, r.PathValue("id"), read)
	if e != nil {
		WriteError(w, e)
		return
	}
	One(w, q, v)
}

// ReadOne reads the entity with id (read gives nil when there is none),
// or a 404 saying "what "id": not found": another party's is not found
// by a caller bound to a tenant.
func ReadOne[T any](n *Node, r *http.Request, what, id string, read func(id string) *T) (*T, *Error) {
	var v *T
	if e := n.Query(r.Context(), func() { v = read(id) }); e != nil {
		return nil, e
	}
	if v == nil {
		var e *Error
		if v, e = shelvedOne[T](n, what, id); e != nil {
			return nil, e
		}
	}
	if v == nil || !Visible(r, v) {
		return nil, NewError(http.StatusNotFound, what+" "+Quote(id)+": not found")
	}
	return v, nil
}

// Replay reads, mapped by read, what a create request's Idempotency-Key
// made in collection before; nil when the key is new (or none).
func Replay[T any](n *Node, r *http.Request, key, collection string, read func(id string) *T) (*T, *Error) {
	if key == "" {
		return nil, nil
	}
	var v *T
	e := n.Query(r.Context(), func() {
		if d := n.Docs.ByKey(collection, key); d != nil {
			v = read(d.ID)
		}
	})
	return v, e
}

// PlacedAnswer answers a create request with what its command placed (or,
// for an idempotency key seen before, what the first request placed): the
// entity read back by id, 201 with its Location.
func PlacedAnswer[T any](w http.ResponseWriter, r *http.Request, byID func(*http.Request, string) (*T, *Error),
	id string, duplicate bool, href func(*T) string) {
	v, e := byID(r, id)
	if e != nil {
		WriteError(w, e)
		return
	}
	answerPlaced(w, v, duplicate, href)
}

func answerPlaced[T any](w http.ResponseWriter, v *T, duplicate bool, href func(*T) string) {
	if duplicate {
		Replayed(w, href(v), v)
		return
	}
	Created(w, href(v), v)
}

// Placed is the answer of a create command read by ReadPlaced: what the
// command placed, and the entity as its step left it (nil when it is not
// in the component's memory: a repeated request whose entity has left it).
type Placed[T any] struct {
	com.Placed
	V *T
}

// ReadPlaced is the read (engine.Around) of a create command answered with
// com.Placed: the entity, read right after the command's step, goes with
// the answer, so that answering needs no query of its own (a query waits
// for a commit of its own, after the command's).
func ReadPlaced[T any](read func(id string) *T) func(any) any {
	return func(reply any) any {
		p, ok := reply.(com.Placed)
		if !ok {
			return reply
		}
		return Placed[T]{Placed: p, V: read(p.ID)}
	}
}

// AnswerPlaced answers a create request like PlacedAnswer, with the entity
// its command's step read (ReadPlaced), or, when that found none the
// caller may see, the one byID reads.
func AnswerPlaced[T any](w http.ResponseWriter, r *http.Request, p Placed[T], byID func(*http.Request, string) (*T, *Error),
	href func(*T) string) {
	if p.V == nil || !Visible(r, p.V) {
		PlacedAnswer(w, r, byID, p.ID, p.Duplicate, href)
		return
	}
	answerPlaced(w, p.V, p.Duplicate, href)
}

// MapAll maps each of xs to the wire.
func MapAll[X, T any](xs []X, wire func(X) T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = wire(x)
	}
	return out
}

// Ptr maps x to the wire when there is one.
func Ptr[X, T any](x X, ok bool, wire func(X) T) *T {
	if !ok {
		return nil
	}
	v := wire(x)
	return &v
}

// byCreation puts live, the entities of a kind in memory, in the order of
// their creation numbers, as the shelf's docs are merged with them: a
// component lists them in the order they came to it, and one that left
// memory and was taken back (an order a change reopens) came back last.
// Ties keep their order.
func byCreation[T any](live []T, ord func(*T) uint64) []T {
	keys := make([]uint64, len(live))
	for i := range live {
		keys[i] = ord(&live[i])
	}
	if slices.IsSorted(keys) {
		return live
	}
	idx := make([]int, len(live))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(keys[a], keys[b]) })
	sorted := make([]T, len(live))
	for i, k := range idx {
		sorted[i] = live[k]
	}
	return sorted
}

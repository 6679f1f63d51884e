package api

import (
	"net/http"
	"slices"
	"strconv"
)

// The reads every API serves the same way: a list with the TMF630 query,
// one entity by id. read functions run on the engine's goroutine (they
// map the component's state to the wire, copying it).

// listAll answers a list request: the query checked against the
// attributes of the entity, the entities read, the page written.
func listAll[T any](s *Server, w http.ResponseWriter, r *http.Request, attrs []string, read func() []T) {
	q, e := ParseQuery(r.URL.Query(), attrs)
	if e != nil {
		WriteError(w, e)
		return
	}
	var out []T
	if e := s.Query(r.Context(), func() { out = read() }); e != nil {
		WriteError(w, e)
		return
	}
	if _, scoped := caller(r); scoped {
		out = slices.DeleteFunc(out, func(v T) bool { return !visible(r, &v) })
	}
	List(w, q, out)
}

// getOne answers a request for the entity whose id the path names.
func getOne[T any](s *Server, w http.ResponseWriter, r *http.Request, what string, read func(id string) *T) {
	q, e := byIDQuery(r)
	if e != nil {
		WriteError(w, e)
		return
	}
	v, e := readOne(s, r, what, r.PathValue("id"), read)
	if e != nil {
		WriteError(w, e)
		return
	}
	One(w, q, v)
}

// readOne reads the entity with id (read gives nil when there is none),
// or a 404 saying "what "id": not found": another party's is not found
// by a caller bound to a tenant.
func readOne[T any](s *Server, r *http.Request, what, id string, read func(id string) *T) (*T, *Error) {
	var v *T
	if e := s.Query(r.Context(), func() { v = read(id) }); e != nil {
		return nil, e
	}
	if v == nil || !visible(r, v) {
		return nil, NewError(http.StatusNotFound, what+" "+strconv.Quote(id)+": not found")
	}
	return v, nil
}

// replay reads, mapped by read, what a create request's Idempotency-Key
// made in collection before; nil when the key is new (or none).
func replay[T any](s *Server, r *http.Request, key, collection string, read func(id string) *T) (*T, *Error) {
	if key == "" {
		return nil, nil
	}
	var v *T
	e := s.Query(r.Context(), func() {
		if d := s.Docs.ByKey(collection, key); d != nil {
			v = read(d.ID)
		}
	})
	return v, e
}

// placedAnswer answers a create request with what its command placed (or,
// for an idempotency key seen before, what the first request placed): the
// entity read back by id, 201 with its Location.
func placedAnswer[T any](w http.ResponseWriter, r *http.Request, byID func(*http.Request, string) (*T, *Error),
	id string, duplicate bool, href func(*T) string) {
	v, e := byID(r, id)
	if e != nil {
		WriteError(w, e)
		return
	}
	if duplicate {
		Replayed(w, href(v), v)
		return
	}
	Created(w, href(v), v)
}

// Replayed answers a repeated create request with what the first made.
func Replayed(w http.ResponseWriter, href string, v any) {
	w.Header().Set("Idempotent-Replayed", "true")
	Created(w, href, v)
}

// mapAll maps each of xs to the wire.
func mapAll[X, T any](xs []X, wire func(X) T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = wire(x)
	}
	return out
}

// ptr maps x to the wire when there is one.
func ptr[X, T any](x X, ok bool, wire func(X) T) *T {
	if !ok {
		return nil
	}
	v := wire(x)
	return &v
}

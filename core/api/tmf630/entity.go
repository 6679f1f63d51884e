package tmf630

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/api/jsonerr"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// What the three inventory APIs (TMF637 products, TMF638 services, TMF639
// resources) share besides the v4 shapes of wire.go. Each maps the
// internal model into its wire shape on the engine's goroutine, so that a
// response holds copies only.

// EntityHref is the href of an entity of an API's collection; the id is
// escaped as one path segment (an IP prefix's id holds a slash).
func EntityHref(base, collection, id string) string {
	return base + "/" + collection + "/" + url.PathEscape(id)
}

// SitePlaces is an entity's site as a v4 place list: empty when it has
// none.
func SitePlaces(p tmf.Place) []Place {
	if p.ID == "" {
		return []Place{}
	}
	return []Place{PlaceOf(p)}
}

// Attributes lists the attributes a list of a wire struct may be
// filtered on: its fields' JSON names and, beneath a field holding an
// object (or a list of them), their dotted paths (productOrderItem.state);
// beneath one whose shape the type does not fix (a map, any, a type that
// marshals itself) any path, listed as name.*.
func Attributes(v any) []string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	attributePaths(t, "", map[reflect.Type]bool{}, &out)
	return out
}

// JSONName is the name a struct field has in JSON, ok false for one
// encoding/json leaves out (unexported, or tagged "-").
func JSONName(f reflect.StructField) (name string, ok bool) {
	name, _, _ = strings.Cut(f.Tag.Get("json"), ",")
	if !f.IsExported() || name == "-" {
		return "", false
	}
	if name == "" {
		name = f.Name
	}
	return name, true
}

var (
	marshaler = reflect.TypeFor[json.Marshaler]()
	timeType  = reflect.TypeFor[time.Time]()
)

func attributePaths(t reflect.Type, prefix string, seen map[reflect.Type]bool, out *[]string) {
	if seen[t] {
		return
	}
	seen[t] = true
	defer delete(seen, t)
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				attributePaths(ft, prefix, seen, out)
			}
			continue
		}
		name, ok := JSONName(f)
		if !ok {
			continue
		}
		*out = append(*out, prefix+name)
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array {
			if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Uint8 {
				break // bytes: a string on the wire
			}
			ft = ft.Elem()
		}
		switch {
		case ft == timeType, isScalar(ft):
		case ft.Kind() == reflect.Map, ft.Kind() == reflect.Interface, ft.Implements(marshaler), reflect.PointerTo(ft).Implements(marshaler):
			*out = append(*out, prefix+name+".*")
		case ft.Kind() == reflect.Struct:
			attributePaths(ft, prefix+name+".", seen, out)
		}
	}
}

// isScalar says whether values of t are JSON scalars.
func isScalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64, reflect.String:
		return true
	}
	return false
}

// knownAttribute says whether path is an attribute of known (Attributes).
func knownAttribute(known []string, path []string) bool { return tmf.KnownAttribute(known, path) }

// NotOffered answers a method an API does not offer: 405, the methods it
// does offer in Allow, and why. A route of it offers nothing: the
// server's answer to another method of its path does not count it
// among those allowed (Refuses).
func NotOffered(allow, why string) http.Handler {
	if methods := strings.Split(allow, ", "); slices.Contains(methods, http.MethodGet) && !slices.Contains(methods, http.MethodHead) {
		i := slices.Index(methods, http.MethodGet)
		allow = strings.Join(slices.Insert(methods, i+1, http.MethodHead), ", ") // a GET route takes HEAD
	}
	return Refusal(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", allow)
		WriteError(w, NewError(http.StatusMethodNotAllowed, why))
	})
}

// Refusal marks a route's handler as one that only explains why its
// method is not offered (a 405).
func Refusal(h http.HandlerFunc) http.Handler { return refusal(h) }

type refusal http.HandlerFunc

func (f refusal) ServeHTTP(w http.ResponseWriter, r *http.Request) { f(w, r) }

// Refuses tells whether h only explains why its method is not offered
// (NotOffered, Refusal).
func Refuses(h http.Handler) bool {
	_, ok := h.(refusal)
	return ok
}

// ByIDQuery parses the query of a request for one entity whose
// attributes are known (Attributes): fields only.
func ByIDQuery(r *http.Request, known []string) (Query, *Error) {
	v := r.URL.Query()
	for k := range v {
		if k != "fields" {
			return Query{}, NewError(http.StatusBadRequest, "query parameter "+jsonerr.Clip(k)+": only fields applies to one entity")
		}
	}
	return ParseQuery(v, known)
}

// attributesOf caches Attributes of the wire types GetOne answers with.
var attributesOf sync.Map // reflect.Type → []string

// attributesFor is Attributes of T, computed once.
func attributesFor[T any]() []string {
	t := reflect.TypeFor[T]()
	if a, ok := attributesOf.Load(t); ok {
		return a.([]string)
	}
	a, _ := attributesOf.LoadOrStore(t, Attributes(new(T)))
	return a.([]string)
}

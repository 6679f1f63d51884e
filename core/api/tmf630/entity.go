package tmf630

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"

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

// Attributes lists the JSON names of a wire struct's fields: the
// attributes a list may be filtered on.
func Attributes(v any) []string {
	t := reflect.TypeOf(v)
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// NotOffered answers a method an API does not offer: 405, the methods it
// does offer in Allow, and why. A route of it offers nothing: the
// server's answer to another method of its path does not count it
// among those allowed (Refuses).
func NotOffered(allow, why string) http.Handler {
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

// ByIDQuery parses the query of a request for one entity: fields only.
func ByIDQuery(r *http.Request) (Query, *Error) {
	v := r.URL.Query()
	for k := range v {
		if k != "fields" {
			return Query{}, NewError(http.StatusBadRequest, "query parameter "+k+": only fields applies to one entity")
		}
	}
	return ParseQuery(v, nil)
}

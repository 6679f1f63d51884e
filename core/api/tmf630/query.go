package tmf630

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Query is a parsed list request: attribute filters, fields, paging.
type Query struct {
	// Fields are the attributes to return (id, href and @type always);
	// nil returns all.
	Fields []string
	// Filters: an item passes when, for every attribute path, its value
	// is one of the wanted ones.
	Filters map[string][]string
	Offset  int
	// Limit is the page size: DefaultPage unless the request says, at
	// most MaxPage.
	Limit int
}

// ParseQuery parses TMF630 list parameters: `fields=a,b`, `offset`,
// `limit` (DefaultPage when not given; a larger one than MaxPage answers
// MaxPage), and attribute filters `attr=v` or `attr=v1,v2` (either), where
// attr may be a dotted path (`productOrderItem.state`: any item). A filter
// on an attribute not in known is refused, naming it.
func ParseQuery(q url.Values, known []string) (Query, *Error) {
	out := Query{Filters: map[string][]string{}, Limit: DefaultPage}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range q {
			if !yield(k) {
				return
			}
		}
	}) {
		vals := q[name]
		if len(vals) != 1 {
			return Query{}, NewError(http.StatusBadRequest, fmt.Sprintf("query parameter %s: given %d times", name, len(vals)))
		}
		v := vals[0]
		switch name {
		case "fields":
			for f := range strings.SplitSeq(v, ",") {
				if f = strings.TrimSpace(f); f != "" {
					out.Fields = append(out.Fields, f)
				}
			}
		case "offset", "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return Query{}, NewError(http.StatusBadRequest, fmt.Sprintf("query parameter %s: %q is not a whole number ≥ 0", name, v))
			}
			if name == "offset" {
				out.Offset = n
			} else {
				out.Limit = min(n, MaxPage)
			}
		default:
			root, _, _ := strings.Cut(name, ".")
			if !slices.Contains(known, root) {
				return Query{}, NewError(http.StatusBadRequest, fmt.Sprintf("query parameter %s: not an attribute of this resource", name))
			}
			out.Filters[name] = strings.Split(v, ",")
		}
	}
	return out, nil
}

// List writes the page of items the query selects: their JSON, reduced to
// the query's fields, with X-Total-Count (items passing the filters) and
// X-Result-Count (items on this page). Without filters only the page's
// items are encoded.
func List[T any](w http.ResponseWriter, q Query, items []T) {
	if len(q.Filters) == 0 {
		writePage(w, q, pageOf(items, q.Offset, q.Limit), len(items))
		return
	}
	var pass []map[string]any
	for i := range items {
		m, err := AsMap(&items[i])
		if err != nil {
			WriteError(w, NewError(http.StatusInternalServerError, err.Error()))
			return
		}
		if q.matches(m) {
			pass = append(pass, m)
		}
	}
	writePage(w, q, pageOf(pass, q.Offset, q.Limit), len(pass))
}

// pageOf is the page of s from offset, limit long at most.
func pageOf[T any](s []T, offset, limit int) []T {
	from := min(offset, len(s))
	return s[from : from+min(limit, len(s)-from)]
}

// writePage writes page, the items of a list's page (entities, or their
// maps), reduced to the query's fields, with X-Total-Count total and
// X-Result-Count.
func writePage[T any](w http.ResponseWriter, q Query, page []T, total int) {
	out := make([]map[string]any, 0, len(page))
	for i := range page {
		m, ok := any(page[i]).(map[string]any)
		if !ok {
			var err error
			if m, err = AsMap(&page[i]); err != nil {
				WriteError(w, NewError(http.StatusInternalServerError, err.Error()))
				return
			}
		}
		out = append(out, q.project(m))
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	w.Header().Set("X-Result-Count", strconv.Itoa(len(out)))
	WriteJSON(w, http.StatusOK, out)
}

// One writes one item, reduced to the query's fields.
func One[T any](w http.ResponseWriter, q Query, item *T) {
	m, err := AsMap(item)
	if err != nil {
		WriteError(w, NewError(http.StatusInternalServerError, err.Error()))
		return
	}
	WriteJSON(w, http.StatusOK, q.project(m))
}

func AsMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%T is not a JSON object: %w", v, err)
	}
	return m, nil
}

func (q Query) matches(m map[string]any) bool {
	for path, want := range q.Filters {
		if !anyValue(m, strings.Split(path, "."), want) {
			return false
		}
	}
	return true
}

// anyValue tells whether the value at path (through objects, and any
// element of arrays) is one of want.
func anyValue(v any, path []string, want []string) bool {
	switch x := v.(type) {
	case []any:
		return slices.ContainsFunc(x, func(e any) bool { return anyValue(e, path, want) })
	case map[string]any:
		if len(path) == 0 {
			return false
		}
		return anyValue(x[path[0]], path[1:], want)
	case nil:
		return false
	}
	if len(path) > 0 {
		return false
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	return slices.Contains(want, s)
}

// project keeps the query's fields of m, and id, href and @type.
func (q Query) project(m map[string]any) map[string]any {
	if q.Fields == nil {
		return m
	}
	return projectFields(m, append([]string{"id", "href", "@type"}, q.Fields...))
}

// projectFields keeps of m the fields named, each a name or a dotted path
// into what it holds (productOrderItem.product.place): a path keeps, of a
// map, the rest of the path, and of a list of maps, the rest of the path
// in each (TMF630's attribute selection).
func projectFields(m map[string]any, fields []string) map[string]any {
	out := map[string]any{}
	sub := map[string][]string{} // root → the rest of its dotted paths
	whole := map[string]bool{}
	for _, f := range fields {
		root, rest, dotted := strings.Cut(f, ".")
		if !dotted {
			whole[root] = true
		} else {
			sub[root] = append(sub[root], rest)
		}
	}
	for k := range whole {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	for k, rest := range sub {
		v, ok := m[k]
		if !ok || whole[k] {
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			out[k] = projectFields(v, rest)
		case []any:
			list := make([]any, len(v))
			for i, e := range v {
				if em, ok := e.(map[string]any); ok {
					list[i] = projectFields(em, rest)
				} else {
					list[i] = e
				}
			}
			out[k] = list
		default:
			out[k] = v
		}
	}
	return out
}

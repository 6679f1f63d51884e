package tmf630

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/jsonerr"
)

// Query is a parsed list request: attribute filters, fields, paging.
type Query struct {
	// Fields are the attributes to return (id, href and @type always);
	// nil returns all.
	Fields []string
	// Filters: an item passes every one.
	Filters []Filter
	Offset  int
	// Limit is the page size: DefaultPage unless the request says, at
	// most MaxPage.
	Limit int
}

// Filter is one attribute filter of a list request: an item passes when
// a value at Path (through objects, and any element of a list) is one of
// Want, or, with an operator, compares with Bound as it says.
type Filter struct {
	Path []string
	// Op is "" (equal to one of Want) or one of TMF630's comparisons:
	// "gt", "gte", "lt", "lte".
	Op   string
	Want []string
	// Bound is what an operator compares with: a time (the value an
	// RFC 3339 date-time) or a number.
	Bound bound
}

// bound is the right-hand side of a comparison: a time or a number.
type bound struct {
	at     time.Time
	isTime bool
	n      float64
}

// comparisons are TMF630's filter operators, the attribute's suffix.
var comparisons = []string{"gt", "gte", "lt", "lte"}

// ParseQuery parses TMF630 list parameters: `fields=a,b`, `offset`,
// `limit` (DefaultPage when not given; a larger one than MaxPage answers
// MaxPage), and attribute filters `attr=v`, `attr=v1,v2` or the attribute
// given more than once (either value), where attr may be a dotted path
// (`productOrderItem.state`: any item), and comparisons `attr.gt=`,
// `.gte`, `.lt`, `.lte` (`.eq` is `=`) with a date-time or a number. A
// filter on an attribute not in known, or a comparison with neither, a
// field not in known (but id, href and @type), or sort (a list comes in
// its own order), is refused, naming it.
func ParseQuery(q url.Values, known []string) (Query, *Error) {
	out := Query{Limit: DefaultPage}
	// A field may name what every entity has too; known is shared by
	// every request of its API: appended to as a copy.
	fieldsKnown := append(slices.Clip(known), "id", "href", "@type")
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range q {
			if !yield(k) {
				return
			}
		}
	}) {
		vals := q[name]
		bad := func(format string, args ...any) (Query, *Error) {
			return Query{}, NewError(http.StatusBadRequest, "query parameter "+jsonerr.Clip(name)+": "+fmt.Sprintf(format, args...))
		}
		if len(vals) == 0 {
			continue
		}
		v := vals[0]
		if path, op := filterName(name); op == "" && path[0] != "fields" && path[0] != "offset" && path[0] != "limit" {
			v = strings.Join(vals, ",") // attr=a&attr=b: either, as attr=a,b
		} else if len(vals) > 1 {
			return bad("given %d times", len(vals))
		}
		switch name {
		case "fields":
			for f := range strings.SplitSeq(v, ",") {
				if f = strings.TrimSpace(f); f == "" {
					continue
				}
				if !knownAttribute(fieldsKnown, strings.Split(f, ".")) {
					return bad("%s is not an attribute of this resource", Quote(f))
				}
				out.Fields = append(out.Fields, f)
			}
		case "offset", "limit":
			n, err := strconv.Atoi(v)
			if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-") {
				n, err = maxOffset, nil // past every list: an empty page
			}
			if err != nil || n < 0 {
				return bad("%s is not a whole number ≥ 0", Quote(v))
			}
			if name == "offset" {
				out.Offset = min(n, maxOffset)
			} else {
				out.Limit = min(n, MaxPage)
			}
		default:
			path, op := filterName(name)
			if name == "sort" && !slices.Contains(known, name) {
				return bad("lists are not sorted on request: each comes in the order its API's documentation gives")
			}
			if !slices.Contains(known, path[0]) {
				return bad("not an attribute of this resource")
			}
			if !knownAttribute(known, path) {
				return bad("%s has no attribute %s (a comparison is .gt, .gte, .lt, .lte or .eq)", jsonerr.Clip(strings.Join(path[:len(path)-1], ".")), jsonerr.Clip(path[len(path)-1]))
			}
			f := Filter{Path: path, Op: op}
			if op == "" {
				f.Want = strings.Split(v, ",")
			} else if b, ok := parseBound(v); ok {
				f.Bound = b
			} else {
				return bad("%s: compare with a date-time (RFC 3339, such as 2026-03-01T00:00:00Z) or a number", Quote(v))
			}
			out.Filters = append(out.Filters, f)
		}
	}
	return out, nil
}

// filterName splits a filter's parameter name into the attribute's path
// and its operator ("" for equality, `.eq` included).
func filterName(name string) ([]string, string) {
	path := strings.Split(name, ".")
	if n := len(path); n > 1 {
		switch op := path[n-1]; {
		case op == "eq":
			return path[:n-1], ""
		case slices.Contains(comparisons, op):
			return path[:n-1], op
		}
	}
	return path, ""
}

// parseBound reads a comparison's value: a date-time, or a number.
func parseBound(v string) (bound, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return bound{at: t, isTime: true}, true
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(n) && !math.IsInf(n, 0) {
		return bound{n: n}, true
	}
	return bound{}, false
}

// compares tells whether the leaf value v compares with the filter's
// bound as its operator says; a value of another kind never does.
func (f *Filter) compares(v any) bool {
	var c int
	switch x := v.(type) {
	case string:
		if f.Bound.isTime {
			t, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return false
			}
			c = t.Compare(f.Bound.at)
		} else {
			n, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return false
			}
			c = cmp.Compare(n, f.Bound.n)
		}
	case float64:
		if f.Bound.isTime {
			return false
		}
		c = cmp.Compare(x, f.Bound.n)
	default:
		return false
	}
	switch f.Op {
	case "gt":
		return c > 0
	case "gte":
		return c >= 0
	case "lt":
		return c < 0
	default: // lte
		return c <= 0
	}
}

// test tells whether a leaf value passes the filter.
func (f *Filter) test(v any) bool {
	if f.Op != "" {
		return f.compares(v)
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	return slices.Contains(f.Want, s)
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
// maxOffset bounds a list's offset: past any list there is, and far
// enough from the largest int that a page's bounds add up without
// overflow.
const maxOffset = 1 << 40

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
	for i := range q.Filters {
		if !q.Filters[i].anyValue(m, q.Filters[i].Path) {
			return false
		}
	}
	return true
}

// anyValue tells whether a value at path in v (through objects, and any
// element of arrays) passes the filter.
func (f *Filter) anyValue(v any, path []string) bool {
	switch x := v.(type) {
	case []any:
		return slices.ContainsFunc(x, func(e any) bool { return f.anyValue(e, path) })
	case map[string]any:
		if len(path) == 0 {
			return false
		}
		return f.anyValue(x[path[0]], path[1:])
	case nil:
		return false
	}
	return len(path) == 0 && f.test(v)
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

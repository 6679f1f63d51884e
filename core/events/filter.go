package events

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/ordertwin/ordertwin/core/tmf"
)

// Filter is a listener's query: conditions an event must all meet.
type Filter struct {
	conds []cond
}

// cond: the value at path (through objects, and any element of arrays)
// is one of want.
type cond struct {
	path []string
	want []string
}

// ParseQuery parses the query of a listener on api's hub, in the form of
// a URL query: `eventType=ProductOrderStateChangeEvent` (a comma lists
// alternatives) and `event.<entity>.<attribute>=value`, such as
// `event.productOrder.state=completed`, joined by `&`; all must hold. An
// empty query passes every event. The error names what is wrong: an
// attribute the entity's events do not carry (Entity.Attributes, checked
// as a list filter checks its attributes) is refused too.
func ParseQuery(api *API, query string) (Filter, error) {
	query = strings.TrimPrefix(strings.TrimSpace(query), "?")
	if query == "" {
		return Filter{}, nil
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return Filter{}, fmt.Errorf("not a URL query (name=value&...): %w", err)
	}
	var f Filter
	for _, key := range slices.Sorted(func(yield func(string) bool) {
		for k := range vals {
			if !yield(k) {
				return
			}
		}
	}) {
		name := strings.TrimSpace(key)
		var want []string
		for _, v := range vals[key] {
			for w := range strings.SplitSeq(v, ",") {
				if w = strings.TrimSpace(w); w != "" {
					want = append(want, w)
				}
			}
		}
		if len(want) == 0 {
			return Filter{}, fmt.Errorf("%s: no value", name)
		}
		path := strings.Split(name, ".")
		switch {
		case name == "eventType":
			known := api.EventTypes()
			for _, w := range want {
				if !slices.Contains(known, w) {
					return Filter{}, fmt.Errorf("eventType %s: not an event of %s (want one of %s)", w, api.Name, strings.Join(known, ", "))
				}
			}
		case path[0] == "event" && len(path) >= 3 && !slices.Contains(path, ""):
			ent := api.entityField(path[1])
			if ent == nil {
				return Filter{}, fmt.Errorf("%s: %s is not an entity of %s (want event.<entity>.<attribute>, the entity one of %s)",
					name, path[1], api.Name, api.fields())
			}
			if attrs := ent.Attributes(); !tmf.KnownAttribute(attrs, path[2:]) {
				return Filter{}, fmt.Errorf("%s: %s is not an attribute of the %s events carry (they carry %s): the condition could never hold",
					name, strings.Join(path[2:], "."), path[1], strings.Join(attrs, ", "))
			}
		default:
			return Filter{}, fmt.Errorf("%s: not a condition of a hub query (want eventType or event.<entity>.<attribute>)", name)
		}
		f.conds = append(f.conds, cond{path: path, want: want})
	}
	return f, nil
}

// EventTypes lists the event types the filter lets through; nil: any.
func (f Filter) EventTypes() []string {
	for _, c := range f.conds {
		if c.path[0] == "eventType" {
			return c.want
		}
	}
	return nil
}

// Match tells whether ev meets every condition.
func (f Filter) Match(ev *Event) bool {
	for _, c := range f.conds {
		var ok bool
		if c.path[0] == "eventType" {
			ok = slices.Contains(c.want, ev.EventType)
		} else if ent, has := ev.Event[c.path[1]]; has {
			ok = anyValue(ent, c.path[2:], c.want)
		}
		if !ok {
			return false
		}
	}
	return true
}

// anyValue tells whether the value at path in v, through objects and any
// element of arrays, is one of want.
func anyValue(v any, path []string, want []string) bool {
	switch x := v.(type) {
	case []any:
		return slices.ContainsFunc(x, func(e any) bool { return anyValue(e, path, want) })
	case map[string]any:
		return len(path) > 0 && anyValue(x[path[0]], path[1:], want)
	case string:
		return len(path) == 0 && slices.Contains(want, x)
	}
	return false
}

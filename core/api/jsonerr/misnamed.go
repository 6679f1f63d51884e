package jsonerr

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Misnamed finds the first member of body, in the order of the body, that
// a value of type t would take under a name in other letter case than the
// one its field is tagged with ("Name" for "name", "CATEGORY" for
// "category"): encoding/json matches either, so the member would be taken
// as the field a client did not name. It gives the member's path as the
// client spelt it and the path it stands for; found is false when every
// member t takes is named exactly. Members t does not have are not its
// concern, nor fields without a tag (their Go name, resourceType for
// ResourceType, is matched in any case). body is valid JSON: it decoded.
//
// Every body a TMF route takes goes through it, so it reads body once, in
// place, allocating nothing unless it finds a member misnamed.
func Misnamed(body []byte, t reflect.Type) (path, want string, found bool) {
	s := scan{b: body}
	m := s.value(shapeOf(t))
	if m == nil {
		return "", "", false
	}
	return m.spelt(), m.wanted(), true
}

// End is where the first JSON value of body ends (after the space before
// it), body being valid JSON up to there: what follows is data after it.
// Of a body that is not JSON it gives some place in it, having read each
// byte at most once: the caller asks json.Valid of what comes before.
func End(body []byte) int {
	s := scan{b: body}
	s.value(&none)
	return min(s.i, len(body))
}

// A shape is what Misnamed needs to know of a type: the fields a JSON
// object decodes into, or the type of a map's or a list's elements. The
// zero shape (a scalar, a type that decodes itself, any) is not looked
// into.
type shape struct {
	kind   reflect.Kind // Struct, Map or Slice; 0 for the rest
	elem   reflect.Type // of a map or a list
	fields []field      // of a struct, shallower first
	names  [][]byte     // the fields' names
	exact  map[string]int
}

var shapes sync.Map // reflect.Type → *shape

func shapeOf(t reflect.Type) *shape {
	if t == nil {
		return &shape{}
	}
	if s, ok := shapes.Load(t); ok {
		return s.(*shape)
	}
	s := &shape{}
	u := t
	for u.Kind() == reflect.Pointer {
		u = u.Elem()
	}
	custom := reflect.PointerTo(u).Implements(unmarshaler) || reflect.PointerTo(u).Implements(textUnmarshaler)
	switch {
	case custom:
	case u.Kind() == reflect.Struct:
		s.kind = reflect.Struct
		s.fields = fieldsOf(u)
		s.exact = make(map[string]int, len(s.fields))
		for i, f := range s.fields {
			s.names = append(s.names, []byte(f.name))
			if _, dup := s.exact[f.name]; !dup { // the shallower wins
				s.exact[f.name] = i
			}
		}
	case u.Kind() == reflect.Map:
		s.kind, s.elem = reflect.Map, u.Elem()
	case u.Kind() == reflect.Slice || u.Kind() == reflect.Array:
		s.kind, s.elem = reflect.Slice, u.Elem()
	}
	got, _ := shapes.LoadOrStore(t, s)
	return got.(*shape)
}

// field is the field of s a member named raw (a JSON string, quotes
// included) decodes into: its name exactly, else in other letter case
// (as encoding/json matches); exact says which.
func (s *shape) field(raw []byte) (f field, ok, exact bool) {
	if !escaped(raw) {
		name := raw[1 : len(raw)-1]
		if i, ok := s.exact[string(name)]; ok {
			return s.fields[i], true, true
		}
		for i, n := range s.names {
			if bytes.EqualFold(n, name) {
				return s.fields[i], true, false
			}
		}
		return field{}, false, false
	}
	name := unquoted(raw)
	if i, ok := s.exact[name]; ok {
		return s.fields[i], true, true
	}
	for _, f := range s.fields {
		if strings.EqualFold(f.name, name) {
			return f, true, false
		}
	}
	return field{}, false, false
}

// A miss is a misnamed member found: the steps to it from the body's
// top, innermost first, as spelt and as wanted.
type miss struct {
	steps []step
}

// step is a member's name, or an element's index, on the path to a miss.
type step struct {
	spelt, want string
	index       int
	element     bool
}

func (m *miss) path(want bool) string {
	var b strings.Builder
	for i := len(m.steps) - 1; i >= 0; i-- {
		st := m.steps[i]
		if st.element {
			b.WriteString("[" + strconv.Itoa(st.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if want {
			b.WriteString(st.want)
		} else {
			b.WriteString(st.spelt)
		}
	}
	return b.String()
}

func (m *miss) spelt() string  { return m.path(false) }
func (m *miss) wanted() string { return m.path(true) }

// scan reads one JSON text, valid, from b at i.
type scan struct {
	b []byte
	i int
}

func (s *scan) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value reads one value held to shape sh; a misnamed member in it is
// returned.
func (s *scan) value(sh *shape) *miss {
	s.space()
	if s.i >= len(s.b) {
		return nil
	}
	switch s.b[s.i] {
	case '{':
		return s.object(sh)
	case '[':
		return s.array(sh)
	case '"':
		s.str()
	default:
		// A literal's first byte. In a body that is not JSON it may be
		// any other (End reads such bodies): taken all the same, so that
		// every value read moves on and no loop reading one ends where
		// it began.
		s.i++
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return nil
			}
			s.i++
		}
	}
	return nil
}

func (s *scan) object(sh *shape) *miss {
	s.i++ // {
	for {
		s.space()
		if s.i >= len(s.b) || s.b[s.i] == '}' {
			s.i++
			return nil
		}
		if s.b[s.i] == ',' {
			s.i++
			continue
		}
		raw := s.str()
		s.space()
		s.i++ // :
		inner := &none
		switch sh.kind {
		case reflect.Map:
			inner = shapeOf(sh.elem)
		case reflect.Struct:
			f, ok, exact := sh.field(raw)
			if ok && !exact && f.tagged {
				return &miss{steps: []step{{spelt: unquoted(raw), want: f.name}}}
			}
			if ok {
				inner = shapeOf(f.Type)
			}
		}
		if m := s.value(inner); m != nil {
			name := unquoted(raw)
			m.steps = append(m.steps, step{spelt: name, want: name})
			return m
		}
	}
}

var none shape

func (s *scan) array(sh *shape) *miss {
	s.i++ // [
	inner := &none
	if sh.kind == reflect.Slice {
		inner = shapeOf(sh.elem)
	}
	for n := 0; ; n++ {
		s.space()
		if s.i >= len(s.b) || s.b[s.i] == ']' {
			s.i++
			return nil
		}
		if s.b[s.i] == ',' {
			s.i++
			n--
			continue
		}
		if m := s.value(inner); m != nil {
			m.steps = append(m.steps, step{index: n, element: true})
			return m
		}
	}
}

// str reads a string at s.i, quotes included, and returns it raw.
func (s *scan) str() []byte {
	start := s.i
	s.i++ // "
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			s.i += 2
			continue
		case '"':
			s.i++
			return s.b[start:s.i]
		}
		s.i++
	}
	return s.b[start:]
}

// unquoted is the name a raw JSON string (quotes included) stands for.
func unquoted(raw []byte) string {
	if !escaped(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // it decoded before
	return s
}

// escaped says whether raw, a JSON string, stands for other bytes than
// its own: it has an escape, or bytes that are not UTF-8 (decoded as
// U+FFFD), or it is cut short (a body that did not decode: not expected).
func escaped(raw []byte) bool {
	return len(raw) < 2 || bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw)
}

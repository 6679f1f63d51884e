// Package jsonerr says what is wrong with a JSON body that did not decode,
// naming the member as the client sent it, in the words every TMF API of
// ordertwin answers with.
package jsonerr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Describe returns the field a decoding error is about ("the body" when
// it is about the whole, "" when the message names it) and what is wrong
// with it: the JSON kind wanted ("want an array, not string"), a member
// the type does not have, or where the JSON is malformed. Explain says
// more, from the body.
func Describe(err error) (field, message string) {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	var unknown *UnknownMember
	switch {
	case errors.As(err, &unknown):
		return "", unknown.Error()
	case errors.As(err, &typ):
		field = typ.Field
		if field == "" {
			field = "the body"
		}
		return field, fmt.Sprintf("want %s, not %s", Kind(typ.Type), Clip(typ.Value))
	case errors.As(err, &syn):
		return "the body", fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the body", "malformed JSON: " + err.Error()
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if s, err := strconv.Unquote(name); err == nil {
			name = s
		}
		return "", (&UnknownMember{Name: name}).Error()
	}
	return "the body", err.Error()
}

// Explain is Describe of err, the error of decoding body into a value of
// type t (strict: refusing a member t does not have), with the field
// found in body: its path as the client spelt it (measure.latencyMs,
// productOrderItem[2].quantity), whatever the error — a value a type's
// own UnmarshalJSON refused, a member t does not have (listing those it
// has) or a wrong kind.
func Explain(body []byte, t reflect.Type, strict bool, err error) (field, message string) {
	var syn *json.SyntaxError
	if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) {
		return Describe(err)
	}
	path, leaf, found := find(body, t, strict, "")
	if !found {
		return Describe(err)
	}
	var unknown *UnknownMember
	if errors.As(leaf, &unknown) {
		return path, unknown.Error()
	}
	if path == "" {
		path = "the body"
	}
	var typ *json.UnmarshalTypeError
	if errors.As(leaf, &typ) {
		return path, fmt.Sprintf("want %s, not %s", Kind(typ.Type), Clip(typ.Value))
	}
	return path, leaf.Error()
}

// UnknownMember is a member a JSON object has that its type does not.
type UnknownMember struct {
	Name string
	// Members are those the object may have (none when not known).
	Members []string
}

func (u *UnknownMember) Error() string {
	msg := "unknown member " + Quote(u.Name)
	if len(u.Members) > 0 {
		msg += "; the members are " + strings.Join(u.Members, ", ")
	}
	return msg
}

var (
	unmarshaler     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

// find walks raw and t together to the first member (or element) that
// does not decode, in the order of the body: its path and its error.
func find(raw []byte, t reflect.Type, strict bool, path string) (string, error, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	decodes := func(b []byte) error {
		v := reflect.New(t).Interface()
		dec := json.NewDecoder(strings.NewReader(string(b)))
		if strict {
			dec.DisallowUnknownFields()
		}
		return dec.Decode(v)
	}
	custom := reflect.PointerTo(t).Implements(unmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)
	switch {
	case custom:
	case t.Kind() == reflect.Struct:
		members, ok := objectMembers(raw)
		if !ok {
			break
		}
		fields := fieldsOf(t)
		for _, m := range members {
			f, known := fieldNamed(fields, m.name)
			if !known {
				if strict {
					return path, &UnknownMember{Name: m.name, Members: memberNames(fields)}, true
				}
				continue
			}
			one, _ := json.Marshal(map[string]json.RawMessage{m.name: m.value})
			err := decodes(one)
			if err == nil {
				continue
			}
			at := join(path, m.name)
			if p, leaf, ok := find(m.value, f.Type, strict, at); ok {
				return p, leaf, true
			}
			return at, err, true
		}
		return "", nil, false
	case t.Kind() == reflect.Map:
		members, ok := objectMembers(raw)
		if !ok {
			break
		}
		for _, m := range members {
			if p, leaf, ok := find(m.value, t.Elem(), strict, join(path, m.name)); ok {
				return p, leaf, true
			}
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() != reflect.Uint8:
		elems, ok := arrayElements(raw)
		if !ok {
			break
		}
		for i, e := range elems {
			if p, leaf, ok := find(e, t.Elem(), strict, path+"["+strconv.Itoa(i)+"]"); ok {
				return p, leaf, true
			}
		}
	}
	if err := decodes(raw); err != nil {
		return path, err, true
	}
	return "", nil, false
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

type member struct {
	name  string
	value json.RawMessage
}

// objectMembers are the members of a JSON object in their order; ok is
// false for anything else.
func objectMembers(raw []byte) ([]member, bool) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		name, isName := tok.(string)
		if err != nil || !isName {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, member{name, v})
	}
	return out, true
}

// arrayElements are the elements of a JSON array; ok is false for
// anything else.
func arrayElements(raw []byte) ([]json.RawMessage, bool) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, false
	}
	var out []json.RawMessage
	for dec.More() {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// field is a member a struct decodes: its JSON name and type.
type field struct {
	name   string
	tagged bool
	Type   reflect.Type
}

// fieldsOf lists the members t decodes, those of embedded structs
// included, shallower first.
func fieldsOf(t reflect.Type) []field {
	var out, deeper []field
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if f.Anonymous && tag == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				deeper = append(deeper, fieldsOf(ft)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if tag != "" {
			out = append(out, field{tag, true, f.Type})
		} else {
			out = append(out, field{f.Name, false, f.Type})
		}
	}
	return append(out, deeper...)
}

// fieldNamed is the field a member decodes into: its name exactly, else
// in other letter case (as encoding/json matches).
func fieldNamed(fields []field, name string) (field, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			return f, true
		}
	}
	return field{}, false
}

// memberNames are the names a client gives fields: its tag's name, or
// the Go name with a lower-case first letter (ResourceType as
// resourceType, which decodes as well), sorted.
func memberNames(fields []field) []string {
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		n := f.name
		if !f.tagged {
			if strings.ToUpper(n) == n {
				n = strings.ToLower(n)
			} else {
				r, size := utf8.DecodeRuneInString(n)
				n = strings.ToLower(string(r)) + n[size:]
			}
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// MaxQuoted is the most runes of client input an error quotes; the rest
// is left out (…).
const MaxQuoted = 64

// Clip is s cut to MaxQuoted runes, "…" marking what was left out: what
// an error echoes of client input, which may be of any length.
func Clip(s string) string {
	n := 0
	for i := range s {
		if n == MaxQuoted {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// Quote is s clipped (Clip) and quoted as a Go string: client input in an
// error message.
func Quote(s string) string {
	c := Clip(s)
	if c == s {
		return strconv.Quote(s)
	}
	return strconv.Quote(strings.TrimSuffix(c, "…")) + "…"
}

// Kind names the JSON kind a Go type decodes from.
func Kind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return Kind(t.Elem())
	}
	return t.String()
}

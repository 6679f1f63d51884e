package jsonerr

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tokenMisnamed is Misnamed read token by token with encoding/json's
// decoder: slower, and plainly right, so the scanner is held to it.
func tokenMisnamed(body []byte, t reflect.Type) (path, want string, found bool) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	path, want, found, _ = misnamed(dec, t, "")
	return path, want, found
}

// misnamed reads one value of dec, held to type t (nil: anything, not
// looked into).
func misnamed(dec *json.Decoder, t reflect.Type, path string) (string, string, bool, error) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (reflect.PointerTo(t).Implements(unmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)) {
		t = nil // decodes itself
	}
	tok, err := dec.Token()
	if err != nil {
		return "", "", false, err
	}
	switch tok {
	case json.Delim('{'):
		var fields []field
		if t != nil && t.Kind() == reflect.Struct {
			fields = fieldsOf(t)
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return "", "", false, err
			}
			name, _ := tok.(string)
			var elem reflect.Type
			switch {
			case t != nil && t.Kind() == reflect.Map:
				elem = t.Elem()
			case fields != nil:
				f, ok := fieldNamed(fields, name)
				if ok && f.tagged && f.name != name {
					return join(path, name), join(path, f.name), true, nil
				}
				if ok {
					elem = f.Type
				}
			}
			if p, w, found, err := misnamed(dec, elem, join(path, name)); found || err != nil {
				return p, w, found, err
			}
		}
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if p, w, found, err := misnamed(dec, elem, path+"["+strconv.Itoa(i)+"]"); found || err != nil {
				return p, w, found, err
			}
		}
	default:
		return "", "", false, nil // a scalar
	}
	_, err = dec.Token() // the closing delimiter
	return "", "", false, err
}

var awkward = []string{
	`{"category":"x","relatedParty":[{"role":"customer"}],"evil":{"Category":1}}`,
	`{"CATEGORY":"x"}`,
	` { "relatedParty" : [ { "role" : "a" } , { "Role" : "b" } ] } `,
	`{"extra":{"k":{"ROLE":"a"}}}`,
	`{"extra":{"k\"}{":{"ROL\u0045":"a"}}}`,
	`{"\u0063ategory":"x","ID":"y"}`,
	`{"category":"a\"}],{\\","Category":1}`,
	`{"nested":{"a":[1,2,{"A":3}],"A":1}}`,
	`{"raw":{"Category":[{"Role":1}]},"any":[{"Category":1}],"counts":{"Category":1},"loose":{"itemkind":"a"}}`,
	`{"relatedParty":[[{"Role":1}]],"id":null}`,
	`{"relatedParty":[],"extra":{},"nested":null,"category":"","":1,"Id":2}`,
	`[{"Category":1}]`,
	`"Category"`,
	`12.5e3`,
	`{}`,
}

// The scanner finds what a reading token by token finds, in bodies made
// to trip it: escapes in names and strings, spacing, nesting, values of
// no fixed shape.
func TestMisnamedAgreesWithTokens(t *testing.T) {
	typ := reflect.TypeFor[tagged]()
	for _, body := range awkward {
		require.True(t, json.Valid([]byte(body)), body)
		p, w, f := Misnamed([]byte(body), typ)
		rp, rw, rf := tokenMisnamed([]byte(body), typ)
		assert.Equal(t, []any{rp, rw, rf}, []any{p, w, f}, body)
	}
}

func FuzzMisnamed(f *testing.F) {
	for _, body := range awkward {
		f.Add(body)
	}
	typ := reflect.TypeFor[tagged]()
	f.Fuzz(func(t *testing.T, body string) {
		var v tagged
		if json.Unmarshal([]byte(body), &v) != nil {
			return // Misnamed is given bodies that decoded
		}
		p, w, found := Misnamed([]byte(body), typ)
		rp, rw, rf := tokenMisnamed([]byte(body), typ)
		if p != rp || w != rw || found != rf {
			t.Fatalf("%q: scanner %q %q %v, tokens %q %q %v", body, p, w, found, rp, rw, rf)
		}
	})
}

// A body of 25 parties, about the size of a quote of 25 sites.
func BenchmarkMisnamed(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"id":"QT-1","category":"enterprise","relatedParty":[`)
	for i := range 25 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"role":"site ` + strconv.Itoa(i) + `","@type":"RelatedParty"}`)
	}
	sb.WriteString(`],"extra":{"a":{"role":"x"}},"nested":{"a":1}}`)
	body := []byte(sb.String())
	typ := reflect.TypeFor[tagged]()
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, found := Misnamed(body, typ); found {
				b.Fatal("found")
			}
		}
	})
	b.Run("tokens", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, found := tokenMisnamed(body, typ); found {
				b.Fatal("found")
			}
		}
	})
}

// bodiesNotJSON are bodies json.Unmarshal refuses, which End reads all the
// same (a server asks where the object ends only once Unmarshal refused
// the body): each made End read on forever before it always moved on.
var bodiesNotJSON = []string{
	`{"quote":["id":"QT-001"}]}`, // a member in a list
	`[1:2]`, `{"a":[}`, `[}`, `[[}`, `{]`, `[:]`, `{"a"}`, `{"a":}`, `[,]`, `{"a":1,}`, `{:}`, `"unclosed`, `{"a":"\`, `[`, `{`, `]`, `}`, `:`,
}

// TestEndOfBodiesNotJSON: End gives a place in the body however it is
// malformed; it is watched, for a body it would read forever.
func TestEndOfBodiesNotJSON(t *testing.T) {
	for _, body := range bodiesNotJSON {
		n, ok := endWithin(body)
		require.True(t, ok, "End reads %q on and on", body)
		assert.True(t, n >= 0 && n <= len(body), "%q: %d", body, n)
	}
	n, _ := endWithin(`{"a":[1,2]} {"b":1}`)
	assert.Equal(t, len(`{"a":[1,2]}`), n, "where the first object ends")
}

// endWithin is End(body), or false when it takes more than ten seconds
// (a body it would read forever).
func endWithin(body string) (int, bool) {
	done := make(chan int, 1)
	go func() { done <- End([]byte(body)) }()
	select {
	case n := <-done:
		return n, true
	case <-time.After(10 * time.Second):
		return 0, false
	}
}

// FuzzEnd: End ends, on any body, inside it; on a JSON text it gives the
// end of its value, the space after it left out.
func FuzzEnd(f *testing.F) {
	for _, body := range append(slices.Clone(awkward), bodiesNotJSON...) {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		n, ok := endWithin(body)
		if !ok {
			t.Fatalf("End reads %q on and on", body)
		}
		if n < 0 || n > len(body) {
			t.Fatalf("End(%q) = %d, outside the body", body, n)
		}
		if json.Valid([]byte(body)) && n != len(strings.TrimRight(body, " \t\r\n")) {
			t.Fatalf("End(%q) = %d, want the end of its value", body, n)
		}
	})
}

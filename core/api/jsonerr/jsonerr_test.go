package jsonerr

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

type count int

func (c *count) UnmarshalJSON(b []byte) error {
	if string(b) == "0" {
		return errors.New("a count of 0: want 1 or more")
	}
	return json.Unmarshal(b, (*int)(c))
}

type item struct {
	ID       string `json:"id"`
	Quantity count  `json:"quantity"`
}

type order struct {
	Items  []item
	Target struct{ ResourceType string }
}

// Explain names the member at fault by its path as the client spelt it,
// whatever the error (docs/api.md, "Errors").
func TestExplain(t *testing.T) {
	for _, c := range []struct {
		body, field, msg string
		strict           bool
	}{
		{`{"items":[{"id":"a"},{"id":"b","quantity":0}]}`, "items[1].quantity", "a count of 0: want 1 or more", false},
		{`{"Items":[{"quantity":1e20}]}`, "Items[0].quantity", "want a whole number, not number 1e20", false},
		{`{"items":[{"id":7}]}`, "items[0].id", "want a string, not number", false},
		{`{"target":{"colour":1}}`, "target", `unknown member "colour"; the members are resourceType`, true},
		{`{"actor":1}`, "", `unknown member "actor"; the members are items, target`, true},
		{`{"actor":1,"items":{}}`, "items", "want an array, not object", false},
		{`[]`, "the body", "want an object, not array", false},
	} {
		var v order
		dec := json.NewDecoder(strings.NewReader(c.body))
		if c.strict {
			dec.DisallowUnknownFields()
		}
		err := dec.Decode(&v)
		field, msg := Explain([]byte(c.body), reflect.TypeFor[order](), c.strict, err)
		assert.Equal(t, c.field, field, c.body)
		assert.Equal(t, c.msg, msg, c.body)
	}
}

// An error quotes at most MaxQuoted runes of client input.
func TestQuoteClips(t *testing.T) {
	assert.Equal(t, `"PO-1"`, Quote("PO-1"))
	long := strings.Repeat("é", 10_000)
	assert.Equal(t, `"`+strings.Repeat("é", MaxQuoted)+`"…`, Quote(long))
}

type tagged struct {
	ServerSet
	Category string           `json:"category"`
	Parties  []party          `json:"relatedParty"`
	Extra    map[string]party `json:"extra"`
	Raw      json.RawMessage  `json:"raw"`
	Loose    struct{ ItemKind string }
	Any      any              `json:"any"`
	Counts   map[string]count `json:"counts"`
	Nested   *struct {
		A int `json:"a"`
	} `json:"nested"`
}

type ServerSet struct {
	ID string `json:"id"`
}

type party struct {
	Role string `json:"role"`
}

// A member taken by a field tagged with another letter case is found, by
// its path as the client spelt it; a member of no field, one of an untagged
// field (its Go name), or one inside a value of no fixed shape is not.
func TestMisnamed(t *testing.T) {
	for _, c := range []struct{ body, path, want string }{
		{`{"category":"x","relatedParty":[{"role":"customer"}],"evil":{"Category":1}}`, "", ""},
		{`{"CATEGORY":"x"}`, "CATEGORY", "category"},
		{`{"RelatedParty":[]}`, "RelatedParty", "relatedParty"},
		{`{"relatedParty":[{"role":"a"},{"Role":"b"}]}`, "relatedParty[1].Role", "relatedParty[1].role"},
		{`{"extra":{"k":{"ROLE":"a"}}}`, "extra.k.ROLE", "extra.k.role"},
		{`{"ID":"QT-1"}`, "ID", "id"},
		{`{"nested":{"A":1}}`, "nested.A", "nested.a"},
		{`{"loose":{"itemkind":"a"},"raw":{"Category":1},"any":{"Category":1},"counts":{"Category":1}}`, "", ""},
		{`[{"Category":1}]`, "", ""},
	} {
		path, want, found := Misnamed([]byte(c.body), reflect.TypeFor[tagged]())
		assert.Equal(t, c.path != "", found, c.body)
		assert.Equal(t, c.path, path, c.body)
		assert.Equal(t, c.want, want, c.body)
	}
}

package events

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store"
)

func orderEvent(typ, state string, items ...string) *Event {
	ent := map[string]any{"id": "PO-1", "state": state}
	var its []any
	for _, s := range items {
		its = append(its, map[string]any{"id": "POI", "state": s})
	}
	if its != nil {
		ent["productOrderItem"] = its
	}
	return &Event{EventType: typ, Event: map[string]map[string]any{"productOrder": ent}}
}

func TestQueryMatch(t *testing.T) {
	created := orderEvent("ProductOrderCreateEvent", "acknowledged")
	done := orderEvent("ProductOrderStateChangeEvent", "completed")
	item := orderEvent("ProductOrderAttributeValueChangeEvent", "", "held")
	for _, c := range []struct {
		query string
		pass  []*Event
	}{
		{"", []*Event{created, done, item}},
		{"  ", []*Event{created, done, item}},
		{"eventType=ProductOrderCreateEvent", []*Event{created}},
		{"?eventType=ProductOrderCreateEvent,ProductOrderStateChangeEvent", []*Event{created, done}},
		{"eventType=ProductOrderCreateEvent&eventType=ProductOrderStateChangeEvent", []*Event{created, done}},
		{"event.productOrder.state=completed", []*Event{done}},
		{"eventType=ProductOrderStateChangeEvent&event.productOrder.state=acknowledged", nil},
		{"event.productOrder.productOrderItem.state=held", []*Event{item}},
		{"event.productOrder.id=PO-1", []*Event{created, done, item}},
	} {
		f, err := ParseQuery(ProductOrdering, c.query)
		require.NoError(t, err, c.query)
		var pass []*Event
		for _, ev := range []*Event{created, done, item} {
			if f.Match(ev) {
				pass = append(pass, ev)
			}
		}
		assert.Equal(t, c.pass, pass, c.query)
	}
}

// A query that is no filter of the API's events is refused, naming what
// is wrong.
func TestQueryRefused(t *testing.T) {
	for _, c := range []struct{ query, msg string }{
		{"eventType=QuoteCreateEvent", "eventType QuoteCreateEvent: not an event of productOrderingManagement (want one of ProductOrderCreateEvent"},
		{"eventType=", "eventType: no value"},
		{"state=completed", "state: not a condition of a hub query"},
		{"event.quote.state=accepted", "event.quote.state: quote is not an entity of productOrderingManagement"},
		{"event.productOrder=x", "event.productOrder: not a condition"},
		{"event..state=x", "event..state: not a condition"},
		{"eventType=%zz", "not a URL query"},
	} {
		_, err := ParseQuery(ProductOrdering, c.query)
		assert.ErrorContains(t, err, c.msg, c.query)
	}
}

// Whatever a client sends as a query, parsing it and matching with it do
// not panic, and a query that parses is parsed again the same.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "eventType=ProductOrderCreateEvent", "event.productOrder.state=completed,failed&eventType=ProductOrderStateChangeEvent",
		"event.productOrder.productOrderItem.state=held", "?a=b", "%", "event.productOrder.=x"} {
		f.Add(s)
	}
	ev := orderEvent("ProductOrderAttributeValueChangeEvent", "inProgress", "held", "completed")
	f.Fuzz(func(t *testing.T, q string) {
		flt, err := ParseQuery(ProductOrdering, q)
		if err != nil {
			return
		}
		again, err := ParseQuery(ProductOrdering, q)
		require.NoError(t, err)
		assert.Equal(t, flt.Match(ev), again.Match(ev))
	})
}

// A hub query names an attribute the entity's events carry, checked as a
// list filter checks its attributes (docs/api.md: a query that is no
// filter of the API's events is a 400): one they never carry could never
// hold.
func TestQueryRefusesAttributesEventsDoNotCarry(t *testing.T) {
	for _, q := range []string{"event.productOrder.productOrderItem.state=held", "event.productOrder.jeopardyAlert.jeopardyType=deadline"} {
		_, err := ParseQuery(ProductOrdering, q)
		assert.NoError(t, err, q)
	}
	_, err := ParseQuery(ResourceInventory, "event.resource.resourceCharacteristic.value=reserved")
	assert.NoError(t, err)
	_, err = ParseQuery(ProductOrdering, "event.productOrder.foo=1")
	assert.ErrorContains(t, err, "event.productOrder.foo: foo is not an attribute of the productOrder events carry (they carry @type, href, id,")
	_, err = ParseQuery(ProductOrdering, "event.productOrder.milestone.name=staged")
	assert.ErrorContains(t, err, "milestone.name is not an attribute", "product orders have no milestones")
}

// Every attribute of every event the journal's records become is one its
// entity's Attributes lists: a query may name whatever an event carries.
func TestEventAttributesListed(t *testing.T) {
	tr := &translator{dir: owners{}}
	entries := []store.Record{{Kind: "jeopardy", System: "COM", Entity: "PO-1/W", To: "deadline"},
		{Kind: "jeopardy", System: "SOM", Entity: "SO-1/x", To: "deadline"}, {Kind: "jeopardy", System: "ROM", Entity: "RO-1/x", To: "deadline"}}
	for kind := range byKind {
		for _, ev := range []string{"create", "patch", "delete", "complete"} {
			entries = append(entries, store.Record{Kind: kind, Entity: "X-1/1", To: "completed", Event: ev})
		}
	}
	for _, rec := range entries {
		e := store.Entry{Seq: 1, Record: rec}
		ev, ok, err := tr.event(context.Background(), apiOf(e), e)
		require.NoError(t, err)
		require.True(t, ok, rec.Kind)
		for field, payload := range ev.Event {
			attrs := apiOf(e).entityField(field).Attributes()
			for _, p := range paths(payload, "") {
				assert.Contains(t, attrs, p, "%s: %s", rec.Kind, p)
			}
		}
	}
}

// paths lists the dotted paths of v's members, through lists.
func paths(v any, prefix string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			out = append(out, prefix+k)
			out = append(out, paths(e, prefix+k+".")...)
		}
	case []any:
		for _, e := range x {
			out = append(out, paths(e, prefix)...)
		}
	}
	return out
}

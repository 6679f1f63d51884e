package events

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

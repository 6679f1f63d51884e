package api_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/ordering"
	"github.com/ordertwin/ordertwin/core/api/orderwire"
	"github.com/ordertwin/ordertwin/core/api/tmf641"
	"github.com/ordertwin/ordertwin/core/api/tmf652"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The decoders of what other processes send (orders over POST, events to
// a listener) never panic, refuse bad input with a 400 that says what is
// wrong, and what they take survives another trip through the wire
// unchanged.

func FuzzDecodeServiceOrder(f *testing.F) {
	f.Add([]byte(apitest.AcmeServiceOrder))
	for _, so := range serviceOrders() {
		so.ID, so.State, so.OrderDate, so.CompletionDate = "", "", 0, 0
		for i := range so.Items {
			so.Items[i].State, so.Items[i].StateReason = "", ""
		}
		f.Add(wireJSON(f, orderwire.ServiceOrderToWire(so, epoch)))
	}
	f.Add([]byte(`{"serviceOrderItem":[{"id":"1","action":"add","service":{"serviceSpecification":{"id":"X"},"place":[{"id":"S"}],` +
		`"serviceCharacteristic":[{"name":"n","value":{"a":[1,2.5e3,null]}}]}}]}`))
	f.Add([]byte(`{"id":"SO-1"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		so, e := tmf641.DecodeServiceOrder(body)
		if e != nil {
			assert.Equal(t, "400", e.Status)
			assert.NotEmpty(t, e.Message)
			return
		}
		again, e := tmf641.DecodeServiceOrder(wireJSON(t, orderwire.ServiceOrderToWire(so, epoch)))
		require.Nil(t, e, "what was taken goes back on the wire as a valid order")
		assert.Equal(t, so, again)
	})
}

func FuzzDecodeResourceOrder(f *testing.F) {
	f.Add([]byte(apitest.VLANResourceOrder))
	for _, ro := range resourceOrders() {
		ro.ID, ro.State, ro.OrderDate, ro.StartDate, ro.CompletionDate = "", "", 0, 0, 0
		for i := range ro.Items {
			it := &ro.Items[i]
			it.State, it.StateReason, it.Milestone, it.CompletionDate = "", "", "", 0
			if it.Action != tmf.Delete {
				it.Resource = nil
			}
		}
		f.Add(wireJSON(f, orderwire.ResourceOrderToWire(ro, epoch)))
	}
	f.Add([]byte(`{"place":{"id":"S"},"orderItem":[{"id":"a","action":"add","resourceSpecification":{"id":"VLAN"},` +
		`"orderItemRelationship":[{"relationshipType":"dependsOn","orderItem":{"itemId":"b"}}]},` +
		`{"id":"b","action":"add","resourceSpecification":{"id":"VLAN"},"orderItemRelationship":[{"relationshipType":"dependsOn","orderItem":{"itemId":"a"}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ro, e := tmf652.DecodeResourceOrder(body)
		if e != nil {
			assert.Equal(t, "400", e.Status)
			assert.NotEmpty(t, e.Message)
			return
		}
		again, e := tmf652.DecodeResourceOrder(wireJSON(t, orderwire.ResourceOrderToWire(ro, epoch)))
		require.Nil(t, e, "what was taken goes back on the wire as a valid order")
		assert.Equal(t, ro, again)
	})
}

func FuzzServiceOrderEventFromWire(f *testing.F) {
	fuzzOrderEvents(f, orderwire.ServiceOrderEventToWire, orderwire.ServiceOrderEventFromWire)
}

func FuzzResourceOrderEventFromWire(f *testing.F) {
	fuzzOrderEvents(f, orderwire.ResourceOrderEventToWire, orderwire.ResourceOrderEventFromWire)
}

func fuzzOrderEvents(f *testing.F, to func(*tmf.OrderEvent, time.Time) (string, []byte),
	from func(string, []byte, time.Time) (*tmf.OrderEvent, error)) {
	for _, ev := range orderEvents() {
		typ, body := to(ev, epoch)
		f.Add(typ, body)
	}
	f.Add("ServiceOrderStateChangeEvent", []byte(`{"eventType":"ServiceOrderStateChangeEvent","eventTime":"9999-12-31T23:59:59Z","event":{"serviceOrder":{"id":"x"}}}`))
	f.Add("ResourceOrderCreateEvent", []byte(`{"eventType":"ResourceOrderCreateEvent","eventTime":"0001-01-01T00:00:00+14:00","event":{"resourceOrder":{"id":"x","orderItem":[{"id":"i","resource":{}}]}}}`))
	f.Fuzz(func(t *testing.T, eventType string, body []byte) {
		ev, err := from(eventType, body, epoch)
		if err != nil {
			assert.Nil(t, ev)
			assert.NotEmpty(t, err.Error())
			return
		}
		typ, again := to(ev, epoch)
		back, err := from(typ, again, epoch)
		require.NoError(t, err, "what was taken goes back on the wire as a valid event: %s", again)
		assert.Equal(t, ev, back)
	})
}

func FuzzDecodeOrderCancellation(f *testing.F) {
	f.Add([]byte(`{"serviceOrder":{"id":"SO-001"},"cancellationReason":"moved"}`), false)
	f.Add([]byte(`{"resourceOrder":{"id":"RO-001"},"effectiveCancellationDate":"x"}`), true)
	f.Fuzz(func(t *testing.T, body []byte, resource bool) {
		order := "serviceOrder"
		if resource {
			order = "resourceOrder"
		}
		id, _, e := ordering.DecodeOrderCancellation(body, order)
		if e != nil {
			assert.Equal(t, "400", e.Status)
			assert.NotEmpty(t, e.Message)
			return
		}
		assert.NotEmpty(t, id)
	})
}

func wireJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

package api_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/orderwire"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf641"
	"github.com/ordertwin/ordertwin/core/api/tmf652"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// epoch is T+0 of the worked example: 2024-06-03 09:00 in Melbourne.
var epoch = time.Date(2024, 6, 2, 23, 0, 0, 0, time.UTC)

var melb = tmf.Place{ID: "MELB", Name: "Melbourne HQ", Role: "installationAddress",
	Address: "Level 12, 120 Collins Street, Melbourne VIC 3000"}

var customer = []tmf.Ref{{ID: "CUST-ENT-1102", Name: "GlobalTech Solutions Pty Ltd", Role: "customer", Type: "Organization"}}

// serviceOrders are service orders as COM makes them and as SOM keeps
// them (seed, SO-PILOT: three CFS items for Melbourne HQ).
func serviceOrders() map[string]*tmf.ServiceOrder {
	item := func(id, cfs, name string, handle int, chars ...string) tmf.ServiceOrderItem {
		it := tmf.ServiceOrderItem{ID: id, Action: tmf.Add, ProductOrderItem: tmf.Ref{ID: "POI-001"}, Handle: handle,
			Service: tmf.Service{Category: "CFS", Specification: tmf.Ref{ID: cfs, Name: name}, Place: melb}}
		for i := 0; i+1 < len(chars); i += 2 {
			it.Service.Characteristics.Set(chars[i], chars[i+1])
		}
		return it
	}
	placed := &tmf.ServiceOrder{ExternalID: "PO-2024-01203/SO-PILOT", Category: "rollout wave", Description: "SO-PILOT",
		RelatedParty: customer, ExternalRef: []tmf.Ref{{ID: "PO-2024-01203", Type: "ProductOrder"}}, Handle: 3,
		Items: []tmf.ServiceOrderItem{
			item("SOI-001", "CFS:Fibre-Access", "Fibre Access", 0, "speed", "500M-sym", "technology", "GPON", "oltArea", "SOUTH-03"),
			item("SOI-002", "CFS:Enterprise-QoS", "Enterprise QoS", 1, "slaTier", "Gold"),
			item("SOI-003", "CFS:CPE-Management", "CPE Management", 2),
		}}
	completed := *placed
	completed.ID, completed.State = "SO-001", "partial"
	completed.OrderDate, completed.CompletionDate = 2*time.Hour, 5*24*time.Hour+1500*time.Millisecond
	completed.Items = append([]tmf.ServiceOrderItem(nil), placed.Items...)
	for i := range completed.Items {
		completed.Items[i].State = "completed"
	}
	completed.Items[0].Service.ID = "SI-FA-ENT-1102-MELB"
	completed.Items[0].Service.State = "active"
	completed.Items[0].Service.StartDate = 7 * time.Hour
	completed.Items[0].Service.SupportingRes = []tmf.Ref{{ID: "OLT-SOUTH-03-LC2-P8", Name: "OLT-SOUTH-03 LC2 Port 8", Type: "OLTPort"}}
	completed.Items[2].State, completed.Items[2].StateReason = "failed", "ROI-006 failed: CPE lost in transit"
	disconnect := &tmf.ServiceOrder{ID: "SO-009", ExternalID: "PO-1/SO-DISCONNECT-MELB", State: "acknowledged",
		Items: []tmf.ServiceOrderItem{{ID: "SOI-040", Action: tmf.Delete, State: "acknowledged",
			Service: tmf.Service{Specification: tmf.Ref{ID: "CFS:Fibre-Access"}, Place: tmf.Place{ID: "MELB"}}}}}
	return map[string]*tmf.ServiceOrder{"placed by COM": placed, "completed in part": &completed, "disconnect": disconnect}
}

func resourceOrders() map[string]*tmf.ResourceOrder {
	placed := &tmf.ResourceOrder{ExternalID: "SO-001/MELB", Name: "RO MELB", Place: melb, RelatedParty: customer,
		Items: []tmf.ResourceOrderItem{
			{ID: "ROI-001", Action: tmf.Add, Specification: tmf.Ref{ID: "OLTPort", Name: "RFS:GPON-Bearer"}, Handle: 0,
				Characteristics: tmf.Characteristics{{Name: "bearerSpeed", Value: "1G"}, {Name: "oltArea", Value: "SOUTH-03"}}},
			{ID: "ROI-002", Action: tmf.Add, Specification: tmf.Ref{ID: "VLAN", Name: "RFS:VLAN-Service"}, Handle: 1,
				DependsOn: []string{"ROI-001"}},
			{ID: "ROI-006", Action: tmf.Add, Specification: tmf.Ref{ID: "CPE", Name: "RFS:CE-Router"}, Handle: 5},
		}}
	running := *placed
	running.ID, running.State = "RO-001", "inProgress"
	running.OrderDate, running.StartDate = 3*time.Hour, 4*time.Hour
	running.Items = append([]tmf.ResourceOrderItem(nil), placed.Items...)
	running.Items[0].State, running.Items[0].CompletionDate = "completed", 5*time.Hour
	running.Items[0].Resource = &tmf.Resource{ID: "OLT-SOUTH-03-LC2-P8", Category: "physical", ResourceType: "OLTPort",
		Value: "OLT-SOUTH-03 LC2 Port 8", State: "available", UsageState: "active", Place: melb,
		Characteristics: tmf.Characteristics{{Name: "olt", Value: "OLT-SOUTH-03"}, {Name: "port", Value: "8"}}}
	running.Items[1].State = "acknowledged"
	running.Items[2].State, running.Items[2].Milestone = "inProgress", "inTransit"
	running.Items[2].Resource = &tmf.Resource{ID: "FDO2340567", Category: "physical", ResourceType: "CPE", State: "reserved"}
	released := &tmf.ResourceOrder{ID: "RO-004", ExternalID: "SO-003/BNE2", State: "failed", OrderDate: time.Hour,
		CompletionDate: 2 * time.Hour, Place: tmf.Place{ID: "BNE2"},
		Items: []tmf.ResourceOrderItem{{ID: "ROI-030", Action: tmf.Add, State: "failed", StateReason: "site compensated: no OLT capacity",
			Specification: tmf.Ref{ID: "VLAN"}, Resource: &tmf.Resource{ID: "ENT-BNE-VLAN-3001", ResourceType: "VLAN", State: "released"}}}}
	decommission := &tmf.ResourceOrder{ExternalID: "SO-009/MELB", Place: tmf.Place{ID: "MELB"},
		Items: []tmf.ResourceOrderItem{{ID: "ROI-050", Action: tmf.Delete, Specification: tmf.Ref{ID: "VLAN"},
			Resource: &tmf.Resource{ID: "ENT-MEL-VLAN-2108", ResourceType: "VLAN"}}}}
	return map[string]*tmf.ResourceOrder{"placed by SOM": placed, "running": &running, "released": released, "decommission": decommission}
}

// An order survives the trip to the wire and back, through JSON, Handles
// included: what one process sends is what the other takes.
func TestServiceOrderRoundTrip(t *testing.T) {
	for name, so := range serviceOrders() {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(orderwire.ServiceOrderToWire(so, epoch))
			require.NoError(t, err)
			var w orderwire.ServiceOrder
			require.NoError(t, json.Unmarshal(b, &w))
			back, err := orderwire.ServiceOrderFromWire(&w, epoch)
			require.NoError(t, err)
			assert.Equal(t, so, back, string(b))
		})
	}
}

func TestResourceOrderRoundTrip(t *testing.T) {
	for name, ro := range resourceOrders() {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(orderwire.ResourceOrderToWire(ro, epoch))
			require.NoError(t, err)
			var w orderwire.ResourceOrder
			require.NoError(t, json.Unmarshal(b, &w))
			back, err := orderwire.ResourceOrderFromWire(&w, epoch)
			require.NoError(t, err)
			assert.Equal(t, ro, back, string(b))
		})
	}
}

// The v4 shape of an order as COM places it: the POST body a SOM deployed
// apart takes (no id, state or dates), its Handles in @handle.
func TestServiceOrderWireShape(t *testing.T) {
	b, err := json.Marshal(orderwire.ServiceOrderToWire(serviceOrders()["placed by COM"], epoch))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, managed := range []string{"id", "href", "state", "orderDate", "completionDate"} {
		assert.NotContains(t, m, managed)
	}
	assert.Equal(t, 3.0, m["@handle"])
	assert.Equal(t, []any{map[string]any{"name": "PO-2024-01203", "externalReferenceType": "ProductOrder"}}, m["externalReference"])
	item := m["serviceOrderItem"].([]any)[1].(map[string]any)
	assert.Equal(t, 1.0, item["@handle"])
	assert.Equal(t, map[string]any{"id": "POI-001"}, item["productOrderItem"])
	svc := item["service"].(map[string]any)
	assert.Equal(t, map[string]any{"id": "CFS:Enterprise-QoS", "name": "Enterprise QoS",
		"href": tmf630.ServiceCatalog + "/serviceSpecification/CFS:Enterprise-QoS"}, svc["serviceSpecification"])
	assert.Equal(t, "MELB", svc["place"].([]any)[0].(map[string]any)["id"])
	assert.Equal(t, []any{map[string]any{"name": "slaTier", "valueType": "string", "value": "Gold"}}, svc["serviceCharacteristic"])
	_, e := tmf641.DecodeServiceOrder(b)
	assert.Nil(t, e, "what COM places is a valid POST serviceOrder body")

	b, err = json.Marshal(orderwire.ResourceOrderToWire(resourceOrders()["placed by SOM"], epoch))
	require.NoError(t, err)
	_, e = tmf652.DecodeResourceOrder(b)
	assert.Nil(t, e, "what SOM places is a valid POST resourceOrder body")
	b, err = json.Marshal(orderwire.ResourceOrderToWire(resourceOrders()["decommission"], epoch))
	require.NoError(t, err)
	_, e = tmf652.DecodeResourceOrder(b)
	assert.Nil(t, e, "and so is a decommission")
}

// The v4 resource states of an allocated resource are TMF639's, and ROM's
// own state is kept in lifecycleState.
func TestResourceOrderItemResourceShape(t *testing.T) {
	w := orderwire.ResourceOrderToWire(resourceOrders()["released"], epoch)
	res := w.OrderItem[0].Resource
	require.NotNil(t, res)
	assert.Equal(t, "available", res.ResourceStatus, "released: back in its pool")
	assert.Equal(t, "idle", res.UsageState)
	assert.Equal(t, "released", res.LifecycleState)
	assert.Equal(t, tmf630.ResourceInventory+"/resource/ENT-BNE-VLAN-3001", res.Href)
	assert.Equal(t, "2024-06-03T00:00:00Z", w.OrderDate)
	assert.Equal(t, "2024-06-03T01:00:00Z", w.CompletionDate)
}

// orderEvents are the events SOM and ROM send their orderer, one of each
// kind, with what an item event may carry.
func orderEvents() map[string]*tmf.OrderEvent {
	var events tmf.OrderEvents
	soItem := events.New(tmf.ServiceOrderItemStateChange, "SO-001", "PO-2024-01203/SO-PILOT", "inProgress", true)
	soItem.Handle, soItem.At = 2, 5*24*time.Hour
	*soItem.Item = tmf.ItemEvent{ID: "SOI-002", Handle: 1, State: "completed", Milestone: "slaValidated",
		Instance: tmf.Ref{ID: "SI-QOS-ENT-1102-MELB", Name: "Enterprise QoS"}, Value: "Gold",
		Characteristics: tmf.Characteristics{{Name: "slaTier", Value: "Gold"}, {Name: "measuredLatencyMs", Value: "4.2"}}}
	soFailed := events.New(tmf.ServiceOrderItemStateChange, "SO-003", "PO-2024-01203/SO-WAVE2", "inProgress", true)
	*soFailed.Item = tmf.ItemEvent{ID: "SOI-015", Handle: 14, State: "failed", StateReason: "ROI-030 failed: no OLT capacity"}
	roItem := events.New(tmf.ResourceOrderItemStateChange, "RO-001", "SO-001/MELB", "inProgress", true)
	roItem.At = 5*time.Hour + 250*time.Millisecond
	*roItem.Item = tmf.ItemEvent{ID: "ROI-001", Handle: 7, State: "completed", Milestone: "installed",
		Instance: tmf.Ref{ID: "OLT-SOUTH-03-LC2-P8", Name: "OLT-SOUTH-03 LC2 Port 8", Type: "OLTPort", Role: "bearer"},
		Value:    "OLT-SOUTH-03 LC2 Port 8", Characteristics: tmf.Characteristics{{Name: "olt", Value: "OLT-SOUTH-03"}}}
	roHeld := events.New(tmf.ResourceOrderItemStateChange, "RO-002", "SO-002/SYD1", "inProgress", true)
	*roHeld.Item = tmf.ItemEvent{ID: "ROI-012", State: "held", StateReason: "NETCONF timeout; waiting for manual action"}
	return map[string]*tmf.OrderEvent{
		"service order created":               {Type: tmf.ServiceOrderCreate, Handle: 2, OrderID: "SO-001", ExternalID: "PO-2024-01203/SO-PILOT", State: "acknowledged"},
		"service order state":                 {Type: tmf.ServiceOrderStateChange, Handle: 2, At: time.Hour, OrderID: "SO-001", State: "completed"},
		"service order item":                  soItem,
		"service order item failed, handle 0": soFailed,
		"resource order created":              {Type: tmf.ResourceOrderCreate, OrderID: "RO-001", ExternalID: "SO-001/MELB", State: "acknowledged"},
		"resource order state":                {Type: tmf.ResourceOrderStateChange, Handle: 4, OrderID: "RO-001", ExternalID: "SO-001/MELB", State: "cancelled"},
		"resource order item":                 roItem,
		"resource order item held":            roHeld,
	}
}

// Every field of an event survives the trip through its v4 notification,
// Handles included; the notification names the v4 event type (an item's
// change is an attribute value change: v4 has no item event).
func TestOrderEventRoundTrip(t *testing.T) {
	wantType := map[tmf.EventType]string{
		tmf.ServiceOrderCreate: "ServiceOrderCreateEvent", tmf.ServiceOrderStateChange: "ServiceOrderStateChangeEvent",
		tmf.ServiceOrderItemStateChange: "ServiceOrderAttributeValueChangeEvent",
		tmf.ResourceOrderCreate:         "ResourceOrderCreateEvent", tmf.ResourceOrderStateChange: "ResourceOrderStateChangeEvent",
		tmf.ResourceOrderItemStateChange: "ResourceOrderAttributeValueChangeEvent",
	}
	for name, ev := range orderEvents() {
		t.Run(name, func(t *testing.T) {
			to, from := orderwire.ServiceOrderEventToWire, orderwire.ServiceOrderEventFromWire
			field := "serviceOrder"
			if ev.Type == tmf.ResourceOrderCreate || ev.Type == tmf.ResourceOrderStateChange || ev.Type == tmf.ResourceOrderItemStateChange {
				to, from, field = orderwire.ResourceOrderEventToWire, orderwire.ResourceOrderEventFromWire, "resourceOrder"
			}
			typ, body := to(ev, epoch)
			assert.Equal(t, wantType[ev.Type], typ)
			var env map[string]any
			require.NoError(t, json.Unmarshal(body, &env))
			assert.Equal(t, typ, env["eventType"])
			assert.NotEmpty(t, env["eventId"])
			assert.Contains(t, env["event"], field)
			back, err := from(typ, body, epoch)
			require.NoError(t, err, string(body))
			assert.Equal(t, ev, back, string(body))

			_, again := to(ev, epoch)
			assert.Equal(t, body, again, "the same event is the same notification, eventId included")
		})
	}
}

// The notification of a service order item's change: the order with the
// one item, its service, and its milestone as a v4.1 milestone.
func TestServiceOrderItemEventShape(t *testing.T) {
	_, body := orderwire.ServiceOrderEventToWire(orderEvents()["service order item"], epoch)
	var env struct {
		EventTime string `json:"eventTime"`
		Event     struct {
			ServiceOrder map[string]any `json:"serviceOrder"`
		} `json:"event"`
	}
	require.NoError(t, json.Unmarshal(body, &env))
	assert.Equal(t, "2024-06-07T23:00:00Z", env.EventTime, "T+5 days")
	so := env.Event.ServiceOrder
	assert.Equal(t, tmf630.ServiceOrdering+"/serviceOrder/SO-001", so["href"])
	items := so["serviceOrderItem"].([]any)
	require.Len(t, items, 1)
	item := items[0].(map[string]any)
	assert.Equal(t, "completed", item["state"])
	assert.Equal(t, tmf630.ServiceInventory+"/service/SI-QOS-ENT-1102-MELB", item["service"].(map[string]any)["href"])
	assert.Equal(t, []any{map[string]any{"name": "slaValidated", "status": "reached", "milestoneDate": "2024-06-07T23:00:00Z",
		"@type": "ServiceOrderMilestone", "serviceOrderItem": []any{map[string]any{"itemId": "SOI-002", "serviceOrderId": "SO-001",
			"serviceOrderHref": tmf630.ServiceOrdering + "/serviceOrder/SO-001"}}}}, so["milestone"])
}

// A notification the other side cannot take is an error naming what is
// wrong.
func TestOrderEventFromWireRefusals(t *testing.T) {
	_, good := orderwire.ServiceOrderEventToWire(orderEvents()["service order item"], epoch)
	for _, c := range []struct {
		name, eventType, body, want string
		resource                    bool
	}{
		{"not JSON", "ServiceOrderStateChangeEvent", `{`, "malformed JSON", false},
		{"type disagrees", "ServiceOrderStateChangeEvent", string(good), "eventType", false},
		{"not a service order event", "ProductOrderStateChangeEvent", `{"eventType":"ProductOrderStateChangeEvent"}`, "ServiceOrderCreateEvent", false},
		{"a service order event to the resource side", "ServiceOrderStateChangeEvent",
			`{"eventType":"ServiceOrderStateChangeEvent","event":{"serviceOrder":{"id":"SO-1"}}}`, "ResourceOrderCreateEvent", true},
		{"no order", "ServiceOrderStateChangeEvent", `{"eventType":"ServiceOrderStateChangeEvent","event":{}}`, "event.serviceOrder: required", false},
		{"no order id", "ServiceOrderStateChangeEvent", `{"eventType":"ServiceOrderStateChangeEvent","event":{"serviceOrder":{"state":"completed"}}}`,
			"event.serviceOrder.id", false},
		{"bad time", "ServiceOrderStateChangeEvent", `{"eventType":"ServiceOrderStateChangeEvent","eventTime":"yesterday","event":{"serviceOrder":{"id":"SO-1"}}}`,
			"eventTime", false},
		{"item change without its item", "ServiceOrderAttributeValueChangeEvent",
			`{"eventType":"ServiceOrderAttributeValueChangeEvent","event":{"serviceOrder":{"id":"SO-1"}}}`, "event.serviceOrder.serviceOrderItem", false},
		{"item without id", "ResourceOrderAttributeValueChangeEvent",
			`{"eventType":"ResourceOrderAttributeValueChangeEvent","event":{"resourceOrder":{"id":"RO-1","orderItem":[{"state":"completed"}]}}}`,
			"event.resourceOrder.orderItem[0].id", true},
		{"wrong type of handle", "ResourceOrderStateChangeEvent",
			`{"eventType":"ResourceOrderStateChangeEvent","event":{"resourceOrder":{"id":"RO-1","@handle":"7"}}}`, "@handle", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			from := orderwire.ServiceOrderEventFromWire
			if c.resource {
				from = orderwire.ResourceOrderEventFromWire
			}
			ev, err := from(c.eventType, []byte(c.body), epoch)
			assert.Nil(t, ev)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

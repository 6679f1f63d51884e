package events

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// owners answers the order of an item; it knows no listener.
type owners map[string]string

func (o owners) Listener(context.Context, string) (Listener, bool, error) {
	return Listener{}, false, nil
}
func (o owners) Suspend(context.Context, string, string) error { return nil }
func (o owners) Order(_ context.Context, kind, item string) (string, bool, error) {
	order, ok := o[kind+" "+item]
	return order, ok, nil
}

// Each kind of record becomes the event of its API (TMF622, 641, 652,
// 620, 633, quote management), in the TMF envelope; a record of no API
// (a wave, a listener) or of another API is no event.
func TestTranslate(t *testing.T) {
	tr := &translator{baseURL: "https://om.example", epoch: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		dir: owners{"productOrderItem POI-002": "PO-1", "resourceOrderItem ROI-006": "RO-001"}}
	for _, c := range []struct {
		name string
		api  *API
		rec  store.Record
		want string // the event's JSON; "" for none
	}{
		{"order created", ProductOrdering, store.Record{Kind: "productOrder", Entity: "PO-1", To: "acknowledged", Event: "create", System: "Sales Console → COM"},
			`{"eventId":"7","eventTime":"2024-03-01T02:00:00Z","eventType":"ProductOrderCreateEvent","domain":"productOrderingManagement","title":"ProductOrder PO-1 acknowledged","timeOcurred":"2024-03-01T02:00:00Z","event":{"productOrder":{"@type":"ProductOrder","href":"https://om.example/tmf-api/productOrderingManagement/v4/productOrder/PO-1","id":"PO-1","state":"acknowledged"}}}`},
		{"order state, with its reason", ProductOrdering, store.Record{Kind: "productOrder", Entity: "PO-1", From: "inProgress", To: "failed", Event: "fail", Reason: "no port"},
			`{"eventId":"7","eventTime":"2024-03-01T02:00:00Z","eventType":"ProductOrderStateChangeEvent","domain":"productOrderingManagement","title":"ProductOrder PO-1 failed","description":"no port","timeOcurred":"2024-03-01T02:00:00Z","event":{"productOrder":{"@type":"ProductOrder","href":"https://om.example/tmf-api/productOrderingManagement/v4/productOrder/PO-1","id":"PO-1","state":"failed"}}}`},
		{"item of an order", ProductOrdering, store.Record{Kind: "productOrderItem", Entity: "POI-002", From: "inProgress", To: "completed", Event: "complete"},
			`{"eventId":"7","eventTime":"2024-03-01T02:00:00Z","eventType":"ProductOrderAttributeValueChangeEvent","domain":"productOrderingManagement","title":"ProductOrder PO-1 ProductOrderItem POI-002 completed","timeOcurred":"2024-03-01T02:00:00Z","event":{"productOrder":{"@type":"ProductOrder","href":"https://om.example/tmf-api/productOrderingManagement/v4/productOrder/PO-1","id":"PO-1","productOrderItem":[{"@type":"ProductOrderItem","id":"POI-002","state":"completed"}]}}}`},
		{"item of no known order", ProductOrdering, store.Record{Kind: "productOrderItem", Entity: "POI-404", To: "completed", Event: "complete"}, ""},
		{"wave jeopardy", ProductOrdering, store.Record{Kind: "jeopardy", Entity: "PO-1/Wave 2", System: "COM", To: "deadline", Event: "jeopardyAlert", Reason: "SO-WAVE2 is inProgress at its target T+30d"},
			`{"eventId":"7","eventTime":"2024-03-01T02:00:00Z","eventType":"ProductOrderJeopardyEvent","domain":"productOrderingManagement","title":"ProductOrder PO-1 in jeopardy (deadline): PO-1/Wave 2","description":"SO-WAVE2 is inProgress at its target T+30d","timeOcurred":"2024-03-01T02:00:00Z","event":{"productOrder":{"@type":"ProductOrder","href":"https://om.example/tmf-api/productOrderingManagement/v4/productOrder/PO-1","id":"PO-1","jeopardyAlert":[{"@type":"JeopardyAlert","alertDate":"2024-03-01T02:00:00Z","jeopardyType":"deadline","message":"SO-WAVE2 is inProgress at its target T+30d","name":"PO-1/Wave 2"}]}}}`},
		{"ROM jeopardy is TMF652's", ResourceOrdering, store.Record{Kind: "jeopardy", Entity: "ROI-006", System: "ROM", To: "deadline", Event: "jeopardyAlert", Reason: "late"},
			`{"eventId":"7","eventTime":"2024-03-01T02:00:00Z","eventType":"ResourceOrderJeopardyEvent","domain":"resourceOrderingManagement","title":"ResourceOrder RO-001 in jeopardy (deadline): ROI-006","description":"late","timeOcurred":"2024-03-01T02:00:00Z","event":{"resourceOrder":{"@type":"ResourceOrder","href":"https://om.example/tmf-api/resourceOrderingManagement/v4/resourceOrder/RO-001","id":"RO-001","jeopardyAlert":[{"@type":"JeopardyAlert","alertDate":"2024-03-01T02:00:00Z","jeopardyType":"deadline","message":"late","name":"ROI-006"}]}}}`},
		{"ROM jeopardy is not TMF622's", ProductOrdering, store.Record{Kind: "jeopardy", Entity: "ROI-006", System: "ROM", To: "deadline"}, ""},
		{"offering designed", ProductCatalog, store.Record{Kind: "productOffering", Entity: "POD-001", System: "API", To: "created", Event: "create"},
			`{"eventId":"7","eventTime":"2024-03-01T02:00:00Z","eventType":"ProductOfferingCreateEvent","domain":"productCatalogManagement","title":"ProductOffering POD-001 created","timeOcurred":"2024-03-01T02:00:00Z","event":{"productOffering":{"@type":"ProductOffering","href":"https://om.example/tmf-api/productCatalogManagement/v4/productOffering/POD-001","id":"POD-001"}}}`},
		{"offering patched", ProductCatalog, store.Record{Kind: "productOffering", Entity: "POD-001", System: "API", To: "updated", Event: "patch"},
			`{"eventId":"7","eventTime":"2024-03-01T02:00:00Z","eventType":"ProductOfferingAttributeValueChangeEvent","domain":"productCatalogManagement","title":"ProductOffering POD-001 updated","timeOcurred":"2024-03-01T02:00:00Z","event":{"productOffering":{"@type":"ProductOffering","href":"https://om.example/tmf-api/productCatalogManagement/v4/productOffering/POD-001","id":"POD-001"}}}`},
		{"registered resource deleted, its id escaped", ResourceInventory, store.Record{Kind: "resource", Entity: "10.0.0.0/29", System: "API", To: "deleted", Event: "delete"},
			`{"eventId":"7","eventTime":"2024-03-01T02:00:00Z","eventType":"ResourceDeleteEvent","domain":"resourceInventoryManagement","title":"Resource 10.0.0.0/29 deleted","timeOcurred":"2024-03-01T02:00:00Z","event":{"resource":{"@type":"Resource","href":"https://om.example/tmf-api/resourceInventoryManagement/v4/resource/10.0.0.0%2F29","id":"10.0.0.0/29"}}}`},
		{"TMF633 says Change", ServiceCatalog, store.Record{Kind: "serviceSpecification", Entity: "SSD-001", System: "API", To: "updated", Event: "patch"},
			`{"eventId":"7","eventTime":"2024-03-01T02:00:00Z","eventType":"ServiceSpecificationChangeEvent","domain":"serviceCatalogManagement","title":"ServiceSpecification SSD-001 updated","timeOcurred":"2024-03-01T02:00:00Z","event":{"serviceSpecification":{"@type":"ServiceSpecification","href":"https://om.example/tmf-api/serviceCatalogManagement/v4/serviceSpecification/SSD-001","id":"SSD-001"}}}`},
		{"service made", ServiceInventory, store.Record{Kind: "service", Entity: "SI-QOS-1", Name: "Enterprise QoS", To: "active", Event: "create"},
			`{"eventId":"7","eventTime":"2024-03-01T02:00:00Z","eventType":"ServiceCreateEvent","domain":"serviceInventory","title":"Service SI-QOS-1 active","timeOcurred":"2024-03-01T02:00:00Z","event":{"service":{"@type":"Service","href":"https://om.example/tmf-api/serviceInventory/v4/service/SI-QOS-1","id":"SI-QOS-1","state":"active"}}}`},
		// A modify order changes a product and a service: no second
		// Create for their ids (TMF637/638 v4 AttributeValueChangeEvent).
		{"service modified", ServiceInventory, store.Record{Kind: "service", Entity: "SI-QOS-1", Name: "Enterprise QoS", From: "active", To: "active", Event: "modify", Reason: "SO-004: speed 500M-sym → 1G-sym"},
			`{"eventId":"7","eventTime":"2024-03-01T02:00:00Z","eventType":"ServiceAttributeValueChangeEvent","domain":"serviceInventory","title":"Service SI-QOS-1 changed","description":"SO-004: speed 500M-sym → 1G-sym","timeOcurred":"2024-03-01T02:00:00Z","event":{"service":{"@type":"Service","href":"https://om.example/tmf-api/serviceInventory/v4/service/SI-QOS-1","id":"SI-QOS-1","state":"active"}}}`},
		{"product modified", ProductInventory, store.Record{Kind: "product", Entity: "PI-1", Name: "MELB", From: "active", To: "active", Event: "modify", Reason: "PO-1-M1: speed 500M-sym → 1G-sym"},
			`{"eventId":"7","eventTime":"2024-03-01T02:00:00Z","eventType":"ProductAttributeValueChangeEvent","domain":"productInventory","title":"Product PI-1 changed","description":"PO-1-M1: speed 500M-sym → 1G-sym","timeOcurred":"2024-03-01T02:00:00Z","event":{"product":{"@type":"Product","href":"https://om.example/tmf-api/productInventory/v4/product/PI-1","id":"PI-1","status":"active"}}}`},
		{"quote on the order hub", ProductOrdering, store.Record{Kind: "quote", Entity: "QT-001", To: "accepted", Event: "accept"}, ""},
		{"a wave is no TMF entity", ProductOrdering, store.Record{Kind: "wave", Entity: "PO-1/Pilot", To: "released", Event: "release"}, ""},
		{"a listener is no event", ProductOrdering, store.Record{Kind: "hub", Entity: "HUB-001", To: "created", Event: "create"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.rec.At = 2 * time.Hour
			ev, ok, err := tr.event(context.Background(), c.api, store.Entry{Seq: 7, Record: c.rec})
			require.NoError(t, err)
			if c.want == "" {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			b, err := json.Marshal(ev)
			require.NoError(t, err)
			assert.JSONEq(t, c.want, string(b))
			assert.Contains(t, c.api.EventTypes(), ev.EventType, "a listener may ask for it")
		})
	}
}

// Every API has its entities and no event type twice; base paths are
// those of the v4 specifications.
func TestAPIs(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range APIs() {
		assert.NotEmpty(t, a.Entities, a.Name)
		assert.Equal(t, "/tmf-api/"+a.Name+"/v4", a.Base)
		assert.Same(t, a, APIAt(a.Base))
		for _, typ := range a.EventTypes() {
			assert.False(t, seen[typ], "%s twice", typ)
			seen[typ] = true
		}
	}
	assert.Nil(t, APIAt("/tmf-api/nothing/v4"))
	assert.Contains(t, ProductOrdering.EventTypes(), "CancelProductOrderCreateEvent")
}

// typed answers the order of an item and the @type of a resource, and
// counts the questions about @types.
type typed struct {
	owners
	types   map[string]string // id → @type
	bases   map[string]string // id → @baseType
	lasting bool
	err     error
	asked   int
}

func (d *typed) Type(_ context.Context, field, id string) (EntityType, bool, error) {
	d.asked++
	if field != "resource" {
		return EntityType{}, false, nil
	}
	return EntityType{d.types[id], d.bases[id]}, d.lasting, d.err
}

// TMF639 v4: a resource event's resource has the @type GET gives it (its
// kind, OLTPort or IPv4Subnet; a registered one's as its client wrote
// it), not the API's Resource, which stays the stem of the event types;
// a resource the directory knows no @type of (gone) says Resource; other
// entities keep their API's @type.
func TestResourceEventsCarryTheResourcesType(t *testing.T) {
	dir := &typed{owners: owners{}, types: map[string]string{"OLT-SOUTH-03-LC2-P8": "OLTPort", "SOUTH-ENT-10.88.12.0/29": "IPv4Subnet"},
		bases: map[string]string{"OLT-SOUTH-03-LC2-P8": "PhysicalResource", "SOUTH-ENT-10.88.12.0/29": "LogicalResource"}, lasting: true}
	tr := &translator{epoch: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), dir: dir}
	typeOf := func(api *API, rec store.Record) (eventType, typ string) {
		t.Helper()
		ev, ok, err := tr.event(context.Background(), api, store.Entry{Seq: 7, Record: rec})
		require.NoError(t, err)
		require.True(t, ok)
		for _, ent := range ev.Event {
			typ, _ = ent["@type"].(string)
		}
		return ev.EventType, typ
	}
	port := store.Record{Kind: "resource", Entity: "OLT-SOUTH-03-LC2-P8", Name: "OLT-SOUTH-03 LC2 Port 8", System: "ROM", To: "reserved", Event: "create"}
	evType, typ := typeOf(ResourceInventory, port)
	assert.Equal(t, "ResourceCreateEvent", evType)
	assert.Equal(t, "OLTPort", typ)
	port.From, port.To, port.Event = "reserved", "available", "change"
	evType, typ = typeOf(ResourceInventory, port)
	assert.Equal(t, "ResourceStateChangeEvent", evType)
	assert.Equal(t, "OLTPort", typ)
	assert.Equal(t, 1, dir.asked, "a network resource's @type never changes: asked once")
	_, typ = typeOf(ResourceInventory, store.Record{Kind: "resource", Entity: "SOUTH-ENT-10.88.12.0/29", To: "reserved", Event: "create"})
	assert.Equal(t, "IPv4Subnet", typ)

	// A registered resource's @type is its client's, who may change it:
	// asked each time.
	dir.types["RES-REG-001"], dir.lasting, dir.asked = "Router", false, 0
	reg := store.Record{Kind: "resource", Entity: "RES-REG-001", System: "API", To: "created", Event: "create"}
	_, typ = typeOf(ResourceInventory, reg)
	assert.Equal(t, "Router", typ)
	dir.types["RES-REG-001"] = "Switch"
	reg.To, reg.Event = "updated", "patch"
	evType, typ = typeOf(ResourceInventory, reg)
	assert.Equal(t, "ResourceAttributeValueChangeEvent", evType)
	assert.Equal(t, "Switch", typ)
	assert.Equal(t, 2, dir.asked)

	_, typ = typeOf(ResourceInventory, store.Record{Kind: "resource", Entity: "RES-REG-002", System: "API", To: "deleted", Event: "delete"})
	assert.Equal(t, "Resource", typ, "gone: the API's")
	_, typ = typeOf(ServiceInventory, store.Record{Kind: "service", Entity: "SI-QOS-1", To: "active", Event: "create"})
	assert.Equal(t, "Service", typ)
	assert.Equal(t, 3, dir.asked, "only resources are asked of")

	// Its @baseType too, when the directory tells one; none for a resource
	// gone, or another entity.
	baseOf := func(api *API, rec store.Record) any {
		t.Helper()
		ev, ok, err := tr.event(context.Background(), api, store.Entry{Seq: 9, Record: rec})
		require.NoError(t, err)
		require.True(t, ok)
		for _, ent := range ev.Event {
			return ent["@baseType"]
		}
		return nil
	}
	assert.Equal(t, "PhysicalResource", baseOf(ResourceInventory, port))
	assert.Nil(t, baseOf(ResourceInventory, store.Record{Kind: "resource", Entity: "RES-REG-002", System: "API", To: "deleted", Event: "delete"}))
	assert.Nil(t, baseOf(ServiceInventory, store.Record{Kind: "service", Entity: "SI-QOS-1", To: "active", Event: "create"}))
	assert.Contains(t, resourceEntity.Attributes(), "@baseType", "a hub query may name it")

	dir.err = errors.New("the engine does not answer")
	_, _, err := tr.event(context.Background(), ResourceInventory, store.Entry{Seq: 8, Record: reg})
	require.ErrorContains(t, err, "RES-REG-001", "asked again later")
}

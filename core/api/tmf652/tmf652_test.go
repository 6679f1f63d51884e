package tmf652_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/ordering"
	"github.com/ordertwin/ordertwin/core/api/orderwire"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	resourceOrdersPath = tmf630.ResourceOrdering + "/resourceOrder"
	cancelROPath       = tmf630.ResourceOrdering + "/cancelResourceOrder"
)

// Seed, entity map: SOM placed five resource orders, one per site, with
// 30 resource order items, all completed; each item's resource is in
// TMF639, and the items wait on each other as the seed's dependency table
// says.
func TestResourceOrdersOfTheRollout(t *testing.T) {
	l := apitest.ServeWorkedExample(t)
	defer l.Stop()
	var orders []orderwire.ResourceOrder
	w := l.Do(t, "GET", resourceOrdersPath, nil, &orders)
	require.Equal(t, http.StatusOK, w.Code)
	require.Len(t, orders, 5)
	items := 0
	for i, site := range []string{"MELB", "SYD1", "SYD2", "BNE1", "BNE2"} {
		ro := orders[i]
		assert.Equal(t, "completed", ro.State, site)
		assert.Equal(t, site, ro.Place.ID)
		assert.Equal(t, "RO "+site, ro.Name)
		assert.True(t, strings.HasSuffix(ro.ExternalID, "/"+site), ro.ExternalID)
		assert.NotEmpty(t, ro.StartDate)
		for _, it := range ro.OrderItem {
			items++
			assert.Equal(t, "completed", it.State, it.ID)
			assert.NotEmpty(t, it.CompletionDate, it.ID)
			require.NotNil(t, it.Resource, it.ID)
			assert.Equal(t, "available", it.Resource.ResourceStatus, it.ID)
			assert.Equal(t, "active", it.Resource.UsageState, it.ID)
			res := apitest.GetMap(t, l, it.Resource.Href)
			assert.Equal(t, it.Resource.ID, res["id"])
			assert.Equal(t, it.Resource.Type, res["@type"])
		}
	}
	assert.Equal(t, 30, items, "30 resource order items (seed)")

	melb := orders[0]
	assert.Equal(t, "2024-06-03T03:00:00Z", melb.StartDate, "T+4 hr: RO-001 inProgress")
	byID := map[string]orderwire.ResourceOrderItem{}
	for _, it := range melb.OrderItem {
		byID[it.ID] = it
	}
	bearer := byID["ROI-001"]
	assert.Equal(t, &tmf630.Ref{ID: "OLTPort", Name: "RFS:GPON-Bearer"}, bearer.ResourceSpecification)
	assert.Equal(t, "OLT-SOUTH-03 LC2 Port 8", bearer.Resource.Value)
	assert.Equal(t, "1G", lookupChar(bearer.ResourceCharacteristic, "bearerSpeed"))
	assert.Equal(t, "2024-06-03T04:00:00Z", bearer.CompletionDate, "T+5 hr: OLT port activated")
	assert.Empty(t, bearer.OrderItemRelationship, "the bearer waits for nothing")
	assert.Equal(t, []orderwire.OrderItemRelationship{{RelationshipType: "dependsOn",
		OrderItem: orderwire.ResourceOrderItemRef{ItemID: "ROI-001", ResourceOrderID: melb.ID, ResourceOrderHref: melb.Href}}},
		byID["ROI-002"].OrderItemRelationship, "VLAN after bearer")
	assert.Equal(t, "VLAN 2108", byID["ROI-002"].Resource.Value)
	assert.Equal(t, "installed", byID["ROI-006"].Milestone, "the CE router's shipment")

	var some []orderwire.ResourceOrder
	w = l.Do(t, "GET", resourceOrdersPath+"?place.id=BNE1,BNE2&fields=place", nil, &some)
	assert.Equal(t, "2", w.Header().Get("X-Total-Count"))
	assert.Empty(t, some[0].OrderItem)
	var one orderwire.ResourceOrder
	require.Equal(t, http.StatusOK, l.Do(t, "GET", melb.Href, nil, &one).Code)
	assert.Equal(t, melb, one)
}

func lookupChar(cs []tmf630.Characteristic, name string) any {
	for _, c := range cs {
		if c.Name == name {
			return c.Value
		}
	}
	return nil
}

// A third party's SOM places a resource order on our ROM over TMF652: the
// items run in dependency order, their resources are in TMF639, and the
// same externalId again is the same order. Item ids key the network calls:
// another order may not reuse them.
func TestResourceOrderPlacedOverTMF652(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	var ro orderwire.ResourceOrder
	w := l.Do(t, "POST", resourceOrdersPath, apitest.VLANResourceOrder, &ro)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, resourceOrdersPath+"/"+ro.ID, w.Header().Get("Location"))
	assert.NotEmpty(t, ro.State, "whatever it is by now: the virtual clock runs on")
	assert.Equal(t, 7, ro.OrderItem[0].Handle)
	l.Idle(t)

	require.Equal(t, http.StatusOK, l.Do(t, "GET", resourceOrdersPath+"/"+ro.ID, nil, &ro).Code)
	assert.Equal(t, "completed", ro.State)
	vlan, ip := ro.OrderItem[0], ro.OrderItem[1]
	for _, it := range ro.OrderItem {
		assert.Equal(t, "completed", it.State, it.ID)
		require.NotNil(t, it.Resource, it.ID)
		res := apitest.GetMap(t, l, it.Resource.Href)
		assert.Equal(t, "ACME-MEL", res["place"].(map[string]any)["id"])
	}
	assert.True(t, strings.HasPrefix(vlan.Resource.Value, "VLAN "), vlan.Resource.Value)
	assert.Less(t, vlan.CompletionDate, ip.CompletionDate, "the prefix waited for the VLAN")

	var again orderwire.ResourceOrder
	w = l.Do(t, "POST", resourceOrdersPath, apitest.VLANResourceOrder, &again)
	assert.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, ro.ID, again.ID)

	var e tmf630.Error
	w = l.Do(t, "POST", resourceOrdersPath, strings.Replace(apitest.VLANResourceOrder, "ACME-SOM/77", "ACME-SOM/78", 1), &e)
	assert.Equal(t, http.StatusConflict, w.Code, w.Body.String())
	assert.Contains(t, e.Message, `orderItem: item "ACME-1": item id already taken by resource order `+ro.ID)
	var all []orderwire.ResourceOrder
	l.Do(t, "GET", resourceOrdersPath, nil, &all)
	assert.Len(t, all, 1, "neither the repeated POST nor the refused one placed an order")
}

// A resource order placed over TMF652 and cancelled while its VLAN is
// being configured: the items are cancelled and the VLAN given back.
func TestCancelResourceOrderInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := apitest.ServeLive(t, &engine.Wall{Start: time.Now(), Scale: 3600}) // a virtual hour a second
		defer l.Stop()
		var ro orderwire.ResourceOrder
		require.Equal(t, http.StatusCreated, l.Do(t, "POST", resourceOrdersPath, apitest.VLANResourceOrder, &ro).Code)
		time.Sleep(1500 * time.Millisecond) // T+1.5 hr: started at T+1 hr, the VLAN reserved, its commit takes 45 min
		synctest.Wait()
		l.Do(t, "GET", resourceOrdersPath+"/"+ro.ID, nil, &ro)
		require.Equal(t, "inProgress", ro.State)

		var c ordering.CancelOrder
		w := l.Do(t, "POST", cancelROPath, `{"resourceOrder":{"id":"`+ro.ID+`"},"cancellationReason":"plan changed"}`, &c)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		assert.Equal(t, "CancelResourceOrder", c.Type)
		assert.Equal(t, ro.ID, c.ResourceOrder.ID)
		assert.Equal(t, tmf630.ResourceOrdering+"/resourceOrder/"+ro.ID, c.ResourceOrder.Href)
		time.Sleep(24 * time.Hour / 3600)
		synctest.Wait()

		l.Do(t, "GET", cancelROPath+"/"+c.ID, nil, &c)
		assert.Equal(t, "done", c.State)
		assert.NotEmpty(t, c.EffectiveCancellationDate)
		l.Do(t, "GET", resourceOrdersPath+"/"+ro.ID, nil, &ro)
		assert.Equal(t, "cancelled", ro.State)
		for _, it := range ro.OrderItem {
			assert.Equal(t, "cancelled", it.State, it.ID)
			assert.Equal(t, "cancelled: plan changed", it.StateReason, it.ID)
		}
		require.NotNil(t, ro.OrderItem[0].Resource)
		assert.Equal(t, "released", ro.OrderItem[0].Resource.LifecycleState)

		var e tmf630.Error
		w = l.Do(t, "POST", cancelROPath, `{"resourceOrder":{"id":"`+ro.ID+`"}}`, &e)
		assert.Equal(t, http.StatusConflict, w.Code)
		assert.Contains(t, e.Message, "is cancelled: it can no longer be cancelled")
	})
}

// Bad input gets a 4xx and a TMF Error that names what is wrong, and
// places nothing (docs/architecture.md §8).
func TestResourceOrderBadInput(t *testing.T) {
	l := apitest.ServeWorkedExample(t)
	defer l.Stop()
	with := func(from, to string) string {
		require.Contains(t, apitest.VLANResourceOrder, from)
		return strings.Replace(apitest.VLANResourceOrder, from, to, 1)
	}
	place := `"place":{"id":"M"},`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		says                     string
	}{
		{"malformed JSON", "POST", resourceOrdersPath, `{"orderItem": [`, 400, "malformed JSON"},
		{"wrong type", "POST", resourceOrdersPath, `{"orderItem": "VLAN"}`, 400, "orderItem: want an array"},
		{"no items", "POST", resourceOrdersPath, `{"place":{"id":"M"}}`, 400, "orderItem: required"},
		{"no place", "POST", resourceOrdersPath, with(`"place": {"id": "ACME-MEL", `, `"site": {`), 400, "place.id: required"},
		// Taken, its items failed later, each on an address "" not in
		// the address book.
		{"no address", "POST", resourceOrdersPath, with(`, "address": "Level 12, 120 Collins Street, Melbourne VIC 3000"`, ``), 400,
			"place.address: required: an item that allocates finds the site's serving area"},
		{"server-managed id", "POST", resourceOrdersPath, with(`"externalId"`, `"id":"RO-9","externalId"`), 400, "id: set by the server"},
		{"server-managed start", "POST", resourceOrdersPath, with(`"externalId"`, `"startDate":"2024-06-03T00:00:00Z","externalId"`), 400, "startDate: set by the server"},
		{"item without id", "POST", resourceOrdersPath, `{` + place + `"orderItem":[{"action":"add"}]}`, 400, "orderItem[0].id: required"},
		{"item without action", "POST", resourceOrdersPath, `{` + place + `"orderItem":[{"id":"1"}]}`, 400, "orderItem[0].action: required"},
		{"unknown action", "POST", resourceOrdersPath, with(`"id": "ACME-2", "action": "add"`, `"id": "ACME-2", "action": "no_change"`), 400,
			`orderItem[1].action: "no_change" is not an order item action ROM takes`},
		{"item with a milestone", "POST", resourceOrdersPath, with(`"@handle": 7`, `"@handle": 7, "milestone": "installed"`), 400, "orderItem[0].milestone: set by the server"},
		{"repeated item id", "POST", resourceOrdersPath, with(`"id": "ACME-2"`, `"id": "ACME-1"`), 400, `orderItem[1].id: "ACME-1" is used by another item`},
		{"no specification", "POST", resourceOrdersPath, `{` + place + `"orderItem":[{"id":"1","action":"add"}]}`, 400, "orderItem[0].resourceSpecification.id: required"},
		{"unknown specification", "POST", resourceOrdersPath, with(`{"id": "IPv4Subnet"}`, `{"id": "Wormhole"}`), 400,
			`orderItem[1].resourceSpecification.id: "Wormhole" is no kind of resource an RFS of the catalog allocates (CPE, IPv4Subnet, OLTPort, P2PHandoff, QoSPolicy, TWAMPProbe, VLAN)`},
		{"specification of another RFS", "POST", resourceOrdersPath, with(`"RFS:VLAN-Service"`, `"RFS:IP-Profile"`), 400,
			`orderItem[0].resourceSpecification.name: "RFS:IP-Profile" is no RFS of the catalog that allocates a VLAN`},
		{"dependency on nothing", "POST", resourceOrdersPath, with(`{"itemId": "ACME-1"}`, `{"itemId": "ACME-9"}`), 400,
			`orderItem[1].orderItemRelationship[0].orderItem.itemId: "ACME-9" is not an item of the order`},
		{"dependency on itself", "POST", resourceOrdersPath, with(`{"itemId": "ACME-1"}`, `{"itemId": "ACME-2"}`), 400,
			"orderItem[1].orderItemRelationship[0].orderItem.itemId: an item cannot depend on itself"},
		{"dependency in a circle", "POST", resourceOrdersPath, with(`"@handle": 7,`,
			`"@handle": 7, "orderItemRelationship": [{"relationshipType": "dependsOn", "orderItem": {"itemId": "ACME-2"}}],`), 400,
			`orderItem[1].orderItemRelationship: "ACME-2" depends on "ACME-1", which depends on it, directly or not`},
		{"another relationship", "POST", resourceOrdersPath, with(`"dependsOn"`, `"bundled"`), 400,
			`orderItem[1].orderItemRelationship[0].relationshipType: "bundled": ROM takes dependsOn`},
		{"a resource to add", "POST", resourceOrdersPath, with(`"@handle": 7,`, `"@handle": 7, "resource": {"id": "X"},`), 400,
			"orderItem[0].resource: set by ROM once allocated"},
		{"a delete without its resource", "POST", resourceOrdersPath, with(`"id": "ACME-2", "action": "add"`, `"id": "ACME-2", "action": "delete"`), 400,
			"orderItem[1].resource.id: required: a delete item names the resource it gives back"},
		{"unknown query parameter", "GET", resourceOrdersPath + "?colour=red", ``, 400, "colour"},
		{"unknown order", "GET", resourceOrdersPath + "/RO-404", ``, 404, `resourceOrder "RO-404": not found`},
		{"delete", "DELETE", resourceOrdersPath + "/RO-001", ``, 405, "cancelResourceOrder"},
		{"cancel without order", "POST", cancelROPath, `{"serviceOrder":{"id":"RO-001"}}`, 400, "resourceOrder.id: required"},
		{"cancel with a state", "POST", cancelROPath, `{"state":"done","resourceOrder":{"id":"RO-001"}}`, 400, "state: set by the server"},
		{"cancel of SOM's order", "POST", cancelROPath, `{"resourceOrder":{"id":"RO-001"}}`, 409,
			"resourceOrder RO-001 was placed by SOM, which alone may cancel it: cancel its service order with POST " + tmf630.ServiceOrdering + "/cancelServiceOrder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e tmf630.Error
			w := l.Do(t, tc.method, tc.path, tc.body, &e)
			assert.Equal(t, tc.status, w.Code, w.Body.String())
			assert.Contains(t, e.Message, tc.says)
			assert.Equal(t, "Error", e.Type)
		})
	}
	var orders []orderwire.ResourceOrder
	l.Do(t, "GET", resourceOrdersPath, nil, &orders)
	assert.Len(t, orders, 5, "no bad request placed an order")
}

// §7 finished orders leave memory: the worked example's resource orders,
// each retired an hour after it ended, are read from the store's shelf
// with the same answers as when ROM keeps them: the list, in the same
// order, and each by id; a filter and paging work on them as before.
func TestRetiredResourceOrdersAreRead(t *testing.T) {
	kept := apitest.ServeWorkedExample(t)
	defer kept.Stop()
	gone := apitest.ServeWorkedExampleWith(t, scenarios.Options{Journal: store.NewMemory(), Retention: time.Hour})
	defer gone.Stop()
	var n int
	require.NoError(t, gone.Sys.Engine.Query(context.Background(), func() { n = len(gone.Sys.ROM.Orders()) }))
	require.Zero(t, n, "every resource order left ROM's memory")

	for _, path := range []string{resourceOrdersPath, resourceOrdersPath + "?state=completed&fields=id,state",
		resourceOrdersPath + "?offset=1&limit=2"} {
		var want, got []orderwire.ResourceOrder
		wk := kept.Do(t, "GET", path, nil, &want)
		wg := gone.Do(t, "GET", path, nil, &got)
		require.Equal(t, http.StatusOK, wg.Code, path)
		assert.Equal(t, want, got, path)
		assert.Equal(t, wk.Header().Get("X-Total-Count"), wg.Header().Get("X-Total-Count"), path)
		assert.NotEmpty(t, got, path)
	}
	var orders []orderwire.ResourceOrder
	kept.Do(t, "GET", resourceOrdersPath, nil, &orders)
	for _, ro := range orders {
		var want, got orderwire.ResourceOrder
		kept.Do(t, "GET", resourceOrdersPath+"/"+ro.ID, nil, &want)
		require.Equal(t, http.StatusOK, gone.Do(t, "GET", resourceOrdersPath+"/"+ro.ID, nil, &got).Code)
		assert.Equal(t, want, got, ro.ID)
	}
	apitest.TMFError(t, gone.Do(t, "GET", resourceOrdersPath+"/RO-999", nil, nil), http.StatusNotFound, "RO-999")

	// An item id of an order that left memory is taken still: the id keys
	// the network calls (a second ROI-002 was placed, and ran).
	reused := strings.ReplaceAll(apitest.VLANResourceOrder, "ACME-1", "ROI-002")
	for _, l := range []*apitest.Live{kept, gone} {
		var e tmf630.Error
		w := l.Do(t, "POST", resourceOrdersPath, reused, &e)
		assert.Equal(t, http.StatusConflict, w.Code, w.Body.String())
		assert.Contains(t, e.Message, `orderItem: item "ROI-002": item id already taken by resource order RO-001`)
	}

	// Cancelling a finished order that left memory is refused: it is
	// finished.
	apitest.TMFError(t, gone.Do(t, "POST", tmf630.ResourceOrdering+"/cancelResourceOrder", `{"resourceOrder":{"id":"`+orders[0].ID+`"}}`, nil),
		http.StatusConflict, "resourceOrder "+orders[0].ID+" is completed: it can no longer be cancelled")
}

// A resource order placed over the API is found by its externalId once it
// left memory: the same POST again, after, is answered with it and places
// nothing (its doc on the shelf lists the externalId).
func TestResourceOrderExternalIDOutlivesMemory(t *testing.T) {
	apitest.PlacedAgainAfterMemory(t, resourceOrdersPath, apitest.VLANResourceOrder, func(sys *scenarios.System) int { return len(sys.ROM.Orders()) })
}

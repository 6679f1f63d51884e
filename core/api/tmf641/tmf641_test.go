package tmf641_test

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
	serviceOrdersPath  = tmf630.ServiceOrdering + "/serviceOrder"
	resourceOrdersPath = tmf630.ResourceOrdering + "/resourceOrder"
	cancelSOPath       = tmf630.ServiceOrdering + "/cancelServiceOrder"
)

// Seed, entity map: COM placed three service orders (SO-PILOT, SO-WAVE1,
// SO-WAVE2) with 15 service order items, all completed, each with the
// service instance it installed in TMF638.
func TestServiceOrdersOfTheRollout(t *testing.T) {
	l := apitest.ServeWorkedExample(t)
	defer l.Stop()
	var orders []orderwire.ServiceOrder
	w := l.Do(t, "GET", serviceOrdersPath, nil, &orders)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "3", w.Header().Get("X-Total-Count"))
	require.Len(t, orders, 3)
	items := 0
	for i, name := range []string{"SO-PILOT", "SO-WAVE1", "SO-WAVE2"} {
		so := orders[i]
		assert.Equal(t, name, so.Description)
		assert.Equal(t, "PO-2024-01203/"+name, so.ExternalID)
		assert.Equal(t, "completed", so.State, name)
		assert.Equal(t, serviceOrdersPath+"/"+so.ID, so.Href)
		assert.Equal(t, []orderwire.ExternalReference{{Name: "PO-2024-01203", ExternalReferenceType: "ProductOrder"}}, so.ExternalReference)
		assert.Equal(t, "CUST-ENT-1102", so.RelatedParty[0].ID)
		assert.True(t, so.CompletionDate > so.OrderDate, "%s: %s after %s", name, so.CompletionDate, so.OrderDate)
		assert.Equal(t, i, so.Handle, "COM's handle of the wave")
		for _, it := range so.ServiceOrderItem {
			items++
			assert.Equal(t, "completed", it.State, it.ID)
			assert.Equal(t, "add", it.Action)
			assert.Equal(t, "active", it.Service.State, "the installed service's state, from TMF638")
			require.NotNil(t, it.ProductOrderItem, it.ID)
			var svc map[string]any
			require.Equal(t, http.StatusOK, l.Do(t, "GET", it.Service.Href, nil, &svc).Code, it.Service.Href)
			assert.Equal(t, it.Service.ID, svc["id"])
		}
	}
	assert.Equal(t, 15, items, "15 service order items (seed)")

	pilot := orders[0]
	assert.Equal(t, "2024-06-03T01:00:00Z", pilot.OrderDate, "T+2 hr: COM validates and decomposes")
	fa := pilot.ServiceOrderItem[0]
	assert.Equal(t, "SOI-001", fa.ID)
	assert.Equal(t, "SI-FA-ENT-1102-MELB", fa.Service.ID)
	assert.Equal(t, &tmf630.Ref{ID: "CFS:Fibre-Access", Name: "Fibre Access", Href: tmf630.ServiceCatalog + "/serviceSpecification/CFS:Fibre-Access"},
		fa.Service.ServiceSpecification)
	assert.Equal(t, "MELB", fa.Service.Place[0].ID)
	assert.Equal(t, "POI-001", fa.ProductOrderItem.ID)

	var one orderwire.ServiceOrder
	require.Equal(t, http.StatusOK, l.Do(t, "GET", pilot.Href, nil, &one).Code)
	assert.Equal(t, pilot, one)
	var some []map[string]any
	w = l.Do(t, "GET", serviceOrdersPath+"?description=SO-WAVE1,SO-WAVE2&fields=state", nil, &some)
	assert.Equal(t, "2", w.Header().Get("X-Total-Count"))
	for _, so := range some {
		assert.ElementsMatch(t, []string{"id", "href", "@type", "state"}, apitest.Keys(so))
	}
	l.Do(t, "GET", serviceOrdersPath+"?serviceOrderItem.service.place.id=SYD2", nil, &some)
	assert.Equal(t, []string{orders[1].ID}, apitest.IDsOf(some))
}

// A third party's COM places work on our SOM over TMF641: SOM decomposes
// it, ROM allocates the site's resources, the order completes with its
// services in TMF638, and the same externalId again is the same order.
func TestServiceOrderPlacedOverTMF641(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	var so orderwire.ServiceOrder
	w := l.Do(t, "POST", serviceOrdersPath, apitest.AcmeServiceOrder, &so)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, serviceOrdersPath+"/"+so.ID, w.Header().Get("Location"))
	assert.NotEmpty(t, so.State, "whatever it is by now: the virtual clock runs on")
	assert.Equal(t, "Fibre Access", so.ServiceOrderItem[0].Service.ServiceSpecification.Name, "named from the catalog")
	assert.Equal(t, 40, so.ServiceOrderItem[0].Handle, "the orderer's handle, echoed")
	l.Idle(t)

	require.Equal(t, http.StatusOK, l.Do(t, "GET", serviceOrdersPath+"/"+so.ID, nil, &so).Code)
	assert.Equal(t, "completed", so.State)
	assert.NotEmpty(t, so.CompletionDate)
	for _, it := range so.ServiceOrderItem {
		assert.Equal(t, "completed", it.State, it.ID)
		assert.Equal(t, "active", it.Service.State, it.ID)
	}
	assert.Equal(t, "SI-FA-ACME-0042-ACME-MEL", so.ServiceOrderItem[0].Service.ID)
	assert.Equal(t, "10", apitest.Lookup(t, apitest.GetMap(t, l, so.ServiceOrderItem[1].Service.Href)["serviceCharacteristic"], "latencyMs"),
		"a number is kept as its JSON text")

	var ros []orderwire.ResourceOrder
	l.Do(t, "GET", resourceOrdersPath+"?externalId="+so.ID+"/ACME-MEL", nil, &ros)
	require.Len(t, ros, 1, "SOM placed the site's resource order")
	assert.Equal(t, "completed", ros[0].State)
	assert.Len(t, ros[0].OrderItem, 6)

	var again orderwire.ServiceOrder
	w = l.Do(t, "POST", serviceOrdersPath, apitest.AcmeServiceOrder, &again)
	assert.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, so.ID, again.ID)
	var all []orderwire.ServiceOrder
	l.Do(t, "GET", serviceOrdersPath, nil, &all)
	assert.Len(t, all, 1, "the repeated POST changed nothing")

	var e tmf630.Error
	w = l.Do(t, "POST", cancelSOPath, `{"serviceOrder":{"id":"`+so.ID+`"}}`, &e)
	assert.Equal(t, http.StatusConflict, w.Code)
	assert.Contains(t, e.Message, "completed: it can no longer be cancelled")
}

// A service order placed over TMF641 and cancelled while its site is
// being built: its items are cancelled, the site's resource order is
// cancelled and what it had allocated is released (seed: cancellation
// releases everything, nothing leaks).
func TestCancelServiceOrderInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := apitest.ServeLive(t, &engine.Wall{Start: time.Now(), Scale: 3600}) // a virtual hour a second
		defer l.Stop()
		var so orderwire.ServiceOrder
		require.Equal(t, http.StatusCreated, l.Do(t, "POST", serviceOrdersPath, apitest.AcmeServiceOrder, &so).Code)
		time.Sleep(2500 * time.Millisecond) // T+2.5 hr: the bearer is reserved, no item is done
		synctest.Wait()
		l.Do(t, "GET", serviceOrdersPath+"/"+so.ID, nil, &so)
		require.Equal(t, "inProgress", so.State)

		var c ordering.CancelOrder
		w := l.Do(t, "POST", cancelSOPath, `{"serviceOrder":{"id":"`+so.ID+`"},"cancellationReason":"customer moved"}`, &c)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		assert.Equal(t, cancelSOPath+"/"+c.ID, w.Header().Get("Location"))
		assert.Equal(t, "CancelServiceOrder", c.Type)
		assert.Equal(t, "done", c.State, "SOM cancels the items at once")
		assert.Equal(t, so.ID, c.ServiceOrder.ID)
		time.Sleep(24 * time.Hour / 3600)
		synctest.Wait()

		l.Do(t, "GET", serviceOrdersPath+"/"+so.ID, nil, &so)
		assert.Equal(t, "cancelled", so.State)
		for _, it := range so.ServiceOrderItem {
			assert.Equal(t, "cancelled", it.State)
			assert.Equal(t, "cancelled: customer moved", it.StateReason)
		}
		var ros []orderwire.ResourceOrder
		l.Do(t, "GET", resourceOrdersPath+"?externalId="+so.ID+"/ACME-MEL", nil, &ros)
		require.Len(t, ros, 1)
		assert.Equal(t, "cancelled", ros[0].State)
		allocated := 0
		for _, it := range ros[0].OrderItem {
			if it.Resource != nil {
				allocated++
				assert.Equal(t, "released", it.Resource.LifecycleState, it.ID)
			}
		}
		assert.NotZero(t, allocated, "the bearer was allocated before the cancellation")

		var tasks []ordering.CancelOrder
		l.Do(t, "GET", cancelSOPath, nil, &tasks)
		require.Len(t, tasks, 1)
		assert.Equal(t, c.ID, tasks[0].ID)
		assert.Equal(t, "customer moved", tasks[0].CancellationReason)
		assert.NotEmpty(t, tasks[0].EffectiveCancellationDate)
	})
}

// Bad input gets a 4xx and a TMF Error that names what is wrong, and
// places nothing (docs/architecture.md §8).
func TestServiceOrderBadInput(t *testing.T) {
	l := apitest.ServeWorkedExample(t)
	defer l.Stop()
	with := func(from, to string) string {
		require.Contains(t, apitest.AcmeServiceOrder, from)
		return strings.Replace(apitest.AcmeServiceOrder, from, to, 1)
	}
	item := func(body string) string { return `{"serviceOrderItem":[` + body + `]}` }
	melb := `"place":[{"id":"M"}]`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		says                     string
	}{
		{"malformed JSON", "POST", serviceOrdersPath, `{"serviceOrderItem": [`, 400, "malformed JSON"},
		{"not an object", "POST", serviceOrdersPath, `[1]`, 400, "want an object"},
		{"wrong type", "POST", serviceOrdersPath, `{"serviceOrderItem": {}}`, 400, "serviceOrderItem: want an array"},
		{"wrong type of handle", "POST", serviceOrdersPath, with(`"@handle": 40`, `"@handle": "40"`), 400, "@handle: want a whole number"},
		{"no items", "POST", serviceOrdersPath, `{"description":"x"}`, 400, "serviceOrderItem: required"},
		{"server-managed id", "POST", serviceOrdersPath, with(`"externalId"`, `"id":"SO-9","externalId"`), 400, "id: set by the server"},
		{"server-managed state", "POST", serviceOrdersPath, with(`"externalId"`, `"state":"completed","externalId"`), 400, "state: set by the server"},
		{"server-managed milestone", "POST", serviceOrdersPath, with(`"externalId"`, `"milestone":[],"externalId"`), 400, "milestone: set by the server"},
		{"item without id", "POST", serviceOrdersPath, item(`{"action":"add"}`), 400, "serviceOrderItem[0].id: required"},
		{"item without action", "POST", serviceOrdersPath, item(`{"id":"1"}`), 400, "serviceOrderItem[0].action: required"},
		{"unknown action", "POST", serviceOrdersPath, item(`{"id":"1","action":"grow"}`), 400, `serviceOrderItem[0].action: "grow" is not an order item action`},
		{"noChange", "POST", serviceOrdersPath, item(`{"id":"1","action":"noChange"}`), 400, `serviceOrderItem[0].action: "noChange" asks SOM for nothing`},
		{"item with a state", "POST", serviceOrdersPath, with(`"id": "2", "action": "add"`, `"id": "2", "action": "add", "state": "completed"`), 400,
			"serviceOrderItem[1].state: set by the server"},
		{"repeated item id", "POST", serviceOrdersPath, with(`"id": "2"`, `"id": "1"`), 400, `serviceOrderItem[1].id: "1" is used by another item`},
		{"no specification", "POST", serviceOrdersPath, item(`{"id":"1","action":"add","service":{` + melb + `}}`), 400,
			"serviceOrderItem[0].service.serviceSpecification.id: required"},
		{"unknown specification", "POST", serviceOrdersPath, with(`"CFS:CPE-Management"`, `"CFS:Teleport"`), 400,
			`serviceOrderItem[2].service.serviceSpecification.id: "CFS:Teleport" is no such CFS in the catalog (CFS: CFS:CPE-Management, CFS:Enterprise-QoS, CFS:Fibre-Access)`},
		{"an RFS", "POST", serviceOrdersPath, with(`"CFS:CPE-Management"`, `"RFS:CE-Router"`), 400,
			`serviceOrderItem[2].service.serviceSpecification.id: "RFS:CE-Router" is a resource-facing service`},
		{"no place", "POST", serviceOrdersPath, item(`{"id":"1","action":"add","service":{"serviceSpecification":{"id":"CFS:Fibre-Access"}}}`), 400,
			"serviceOrderItem[0].service.place: want the one site of the service, not 0 places"},
		{"place without id", "POST", serviceOrdersPath, with(`{"id": "ACME-MEL", "address"`, `{"address"`), 400, "serviceOrderItem[1].service.place[0].id: required"},
		{"characteristic without name", "POST", serviceOrdersPath, with(`{"name": "model", "value"`, `{"value"`), 400,
			"serviceOrderItem[2].service.serviceCharacteristic[0].name: required"},
		{"two actions at one site", "POST", serviceOrdersPath, with(`"id": "3", "action": "add"`, `"id": "3", "action": "delete"`), 400,
			`serviceOrderItem[2].action: "delete": the items of site "ACME-MEL" share one action`},
		{"party without id", "POST", serviceOrdersPath, with(`{"id": "CUST-ACME-0042", `, `{`), 400, "relatedParty[0].id: required"},
		{"oversized", "POST", serviceOrdersPath, `{"description":"` + strings.Repeat("x", tmf630.MaxBody) + `"}`, 413, "larger than"},
		{"unknown query parameter", "GET", serviceOrdersPath + "?colour=red", ``, 400, "colour"},
		{"unknown order", "GET", serviceOrdersPath + "/SO-404", ``, 404, `serviceOrder "SO-404": not found`},
		{"a query on one order", "GET", serviceOrdersPath + "/SO-001?state=completed", ``, 400, "only fields applies"},
		{"patch", "PATCH", serviceOrdersPath + "/SO-001", `{"description":"x"}`, 405, "cancelServiceOrder"},
		{"delete", "DELETE", serviceOrdersPath + "/SO-001", ``, 405, "cancelServiceOrder"},
		{"cancel without order", "POST", cancelSOPath, `{"cancellationReason":"x"}`, 400, "serviceOrder.id: required"},
		{"cancel with a date", "POST", cancelSOPath, `{"serviceOrder":{"id":"SO-001"},"requestedCancellationDate":"2024-07-01T00:00:00Z"}`, 400,
			"requestedCancellationDate"},
		{"cancel of an unknown order", "POST", cancelSOPath, `{"serviceOrder":{"id":"SO-404"}}`, 404, `no serviceOrder "SO-404"`},
		{"cancel of COM's order", "POST", cancelSOPath, `{"serviceOrder":{"id":"SO-001"}}`, 409,
			"serviceOrder SO-001 was placed by COM, which alone may cancel it: cancel its product order with POST " + tmf630.ProductOrdering + "/cancelProductOrder"},
		{"unknown cancellation", "GET", cancelSOPath + "/CSO-404", ``, 404, "no such cancellation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e tmf630.Error
			w := l.Do(t, tc.method, tc.path, tc.body, &e)
			assert.Equal(t, tc.status, w.Code, w.Body.String())
			assert.Contains(t, e.Message, tc.says)
			assert.Equal(t, "Error", e.Type)
		})
	}
	var orders []orderwire.ServiceOrder
	l.Do(t, "GET", serviceOrdersPath, nil, &orders)
	assert.Len(t, orders, 3, "no bad request placed an order")
	var tasks []ordering.CancelOrder
	l.Do(t, "GET", cancelSOPath, nil, &tasks)
	assert.Empty(t, tasks, "no bad request made a cancellation")
}

// §7 finished orders leave memory: the worked example's service orders,
// each retired an hour after ROM told the end of its resource orders, are
// read from the store's shelf with the same answers as when SOM keeps
// them: the list, in the same order, and each by id; a filter and paging
// work on them as before.
func TestRetiredServiceOrdersAreRead(t *testing.T) {
	kept := apitest.ServeWorkedExample(t)
	defer kept.Stop()
	gone := apitest.ServeWorkedExampleWith(t, scenarios.Options{Journal: store.NewMemory(), Retention: time.Hour})
	defer gone.Stop()
	var n int
	require.NoError(t, gone.Sys.Engine.Query(context.Background(), func() { n = len(gone.Sys.SOM.Orders()) }))
	require.Zero(t, n, "every service order left SOM's memory")

	for _, path := range []string{serviceOrdersPath, serviceOrdersPath + "?state=completed&fields=id,state",
		serviceOrdersPath + "?offset=1&limit=2", serviceOrdersPath + "?serviceOrderItem.service.place.id=SYD2"} {
		var want, got []orderwire.ServiceOrder
		wk := kept.Do(t, "GET", path, nil, &want)
		wg := gone.Do(t, "GET", path, nil, &got)
		require.Equal(t, http.StatusOK, wg.Code, path)
		assert.Equal(t, want, got, path)
		assert.Equal(t, wk.Header().Get("X-Total-Count"), wg.Header().Get("X-Total-Count"), path)
		assert.NotEmpty(t, got, path)
	}
	var orders []orderwire.ServiceOrder
	kept.Do(t, "GET", serviceOrdersPath, nil, &orders)
	require.Len(t, orders, 3)
	for _, so := range orders {
		var want, got orderwire.ServiceOrder
		kept.Do(t, "GET", serviceOrdersPath+"/"+so.ID, nil, &want)
		require.Equal(t, http.StatusOK, gone.Do(t, "GET", serviceOrdersPath+"/"+so.ID, nil, &got).Code)
		assert.Equal(t, want, got, so.ID)
		for _, it := range got.ServiceOrderItem {
			assert.Equal(t, "active", it.Service.State, "%s %s: its service's state, as it left memory", so.ID, it.ID)
		}
	}
	apitest.TMFError(t, gone.Do(t, "GET", serviceOrdersPath+"/SO-999", nil, nil), http.StatusNotFound, "SO-999")

	// Cancelling a finished order that left memory is refused: it is
	// finished.
	apitest.TMFError(t, gone.Do(t, "POST", tmf630.ServiceOrdering+"/cancelServiceOrder", `{"serviceOrder":{"id":"`+orders[0].ID+`"}}`, nil),
		http.StatusConflict, "serviceOrder "+orders[0].ID+" is completed: it can no longer be cancelled")
}

// A service order placed over the API is found by its externalId once it
// left memory: the same POST again, after, is answered with it and places
// nothing (its doc on the shelf lists the externalId).
func TestServiceOrderExternalIDOutlivesMemory(t *testing.T) {
	apitest.PlacedAgainAfterMemory(t, serviceOrdersPath, apitest.AcmeServiceOrder, func(sys *scenarios.System) int { return len(sys.SOM.Orders()) })
}

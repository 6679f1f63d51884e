package tmf639_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	servicesPath  = tmf630.ServiceInventory + "/service"
	resourcesPath = tmf630.ResourceInventory + "/resource"
)

// §7 finished orders leave memory: the services and resources of the
// worked example's orders leave SOM's and ROM's memory with them, and
// TMF638 and TMF639 read them from the store's shelf with the answers,
// filters and paging of those kept; a site disconnected long after takes
// its services and resources back from the shelf, terminates them (the
// network gives back what it allocated) and lets them go again, the
// inventories answering as when kept; a network resource on the shelf is
// still ROM's (PATCH is a 409); a restart replays it all, its reads of
// the shelf included.
func TestRetiredInventories(t *testing.T) {
	kept := apitest.ServeWorkedExample(t)
	defer kept.Stop()
	mem := store.NewMemory()
	gone := apitest.ServeWorkedExampleWith(t, scenarios.Options{Journal: mem, Log: mem, Retention: time.Hour})
	stopped := false
	defer func() {
		if !stopped {
			gone.Stop()
		}
	}()
	inMemory := func() (services, resources int) {
		require.NoError(t, gone.Sys.Engine.Query(context.Background(), func() {
			services, resources = gone.Sys.SOM.Services.Len(), gone.Sys.ROM.Resources.Len()
		}))
		return services, resources
	}
	services, resources := inMemory()
	require.Zero(t, services, "every service left SOM's memory with its order")
	require.Zero(t, resources, "every resource left ROM's memory with its order")

	same := func(label string) {
		t.Helper()
		for _, path := range []string{servicesPath, servicesPath + "?state=terminated", servicesPath + "?state=active&fields=id,state",
			servicesPath + "?offset=4&limit=5", resourcesPath, resourcesPath + "?fields=id,resourceStatus,usageState",
			resourcesPath + "?usageState=active&offset=3&limit=4", resourcesPath + "?offset=20&limit=100"} {
			var want, got []map[string]any
			wk := kept.Do(t, "GET", path, nil, &want)
			wg := gone.Do(t, "GET", path, nil, &got)
			require.Equal(t, http.StatusOK, wg.Code, path)
			assert.Equal(t, want, got, "%s: %s", label, path)
			assert.Equal(t, wk.Header().Get("X-Total-Count"), wg.Header().Get("X-Total-Count"), "%s: %s", label, path)
			assert.Equal(t, wk.Header().Get("X-Result-Count"), wg.Header().Get("X-Result-Count"), "%s: %s", label, path)
		}
		for _, coll := range []string{servicesPath, resourcesPath} {
			var all []map[string]any
			kept.Do(t, "GET", coll, nil, &all)
			require.NotEmpty(t, all, coll)
			for _, id := range apitest.IDsOf(all) {
				path := coll + "/" + url.PathEscape(id) // a prefix has a slash
				assert.Equal(t, apitest.GetMap(t, kept, path), apitest.GetMap(t, gone, path), "%s: %s", label, id)
			}
		}
	}
	same("retired")
	apitest.TMFError(t, gone.Do(t, "GET", servicesPath+"/SI-NONE", nil, nil), http.StatusNotFound, "SI-NONE")
	apitest.TMFError(t, gone.Do(t, "GET", resourcesPath+"/RES-NONE", nil, nil), http.StatusNotFound, "RES-NONE")
	port := "OLT-SOUTH-03-LC2-P8"
	apitest.TMFError(t, gone.Do(t, "PATCH", resourcesPath+"/"+port, `{"name":"mine"}`, nil, "Content-Type", "application/merge-patch+json"),
		http.StatusConflict, port)

	// The Melbourne site disconnected long after: its port, VLAN and
	// prefix are given back, and every inventory reads as when kept.
	var po []tmf622.ProductOrder
	kept.Do(t, "GET", tmf630.ProductOrdering+"/productOrder", nil, &po)
	require.NotEmpty(t, po)
	melb := po[0].ProductOrderItem[0].Product.ID
	del := `{"productOrderItem":[{"id":"1","action":"delete","product":{"id":"` + melb + `"}}]}`
	for _, l := range []*apitest.Live{kept, gone} {
		w := l.Do(t, "POST", tmf630.ProductOrdering+"/productOrder", del, nil)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		l.Idle(t)
	}
	var res map[string]any
	require.Equal(t, http.StatusOK, gone.Do(t, "GET", resourcesPath+"/"+port, nil, &res).Code)
	assert.Equal(t, "terminated", apitest.Lookup(t, res["resourceCharacteristic"], "lifecycleState"), "the port is given back")
	same("disconnected")
	services, resources = inMemory()
	assert.Zero(t, services+resources, "they left memory again with the disconnect's orders")
	require.Equal(t, kept.Sys.Journal.(*store.Memory).Records(), mem.Records(), "the same journal, record for record")

	// A restart replays the input log, the reads of the shelf included.
	want := inventoryOf(t, gone.Sys, mem)
	gone.Stop()
	stopped = true
	sc, err := scenarios.LoadLibrary("globaltech-5site.yaml")
	require.NoError(t, err)
	journal := store.Resume(store.NewMemory(), mem.Records())
	again, err := scenarios.New(sc.Spec, scenarios.Options{Journal: journal, Retention: time.Hour})
	require.NoError(t, err)
	require.NoError(t, again.Engine.Replay(context.Background(), mem.Inputs(), journal.Caught))
	assert.Equal(t, want, inventoryOf(t, again, journal.Journal.(*store.Memory)))
}

// inventoryOf are the services and resources of sys, in memory or on the
// shelf, by id.
func inventoryOf(t *testing.T, sys *scenarios.System, shelf store.Shelf) map[string]any {
	out := map[string]any{}
	for kind, decode := range map[string]func([]byte) (any, error){
		som.ServiceShelfKind:  func(b []byte) (any, error) { return som.ShelvedService(b) },
		rom.ResourceShelfKind: func(b []byte) (any, error) { return rom.ShelvedResource(b) },
	} {
		docs, err := shelf.ShelvedAll(kind)
		require.NoError(t, err)
		for _, d := range docs {
			v, err := decode(d.Body)
			require.NoError(t, err)
			out[kind+" "+d.ID] = v
		}
	}
	for _, svc := range sys.SOM.Services.All() {
		out[som.ServiceShelfKind+" "+svc.ID] = svc
	}
	for _, res := range sys.ROM.Resources.All() {
		out[rom.ResourceShelfKind+" "+res.ID] = res
	}
	require.NotEmpty(t, out)
	return out
}

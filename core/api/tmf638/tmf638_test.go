package tmf638_test

import (
	"net/http"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Seed, "SOM Updates Service Inventory": three service instances per site
// (Fibre Access, Enterprise QoS, CPE Management), active, with the
// provisioned characteristics and references to the allocated resources.
func TestServiceInventoryAfterTheRollout(t *testing.T) {
	r := apitest.ServeRollout(t)
	coll := tmf630.ServiceInventory + "/service"
	services := r.List(t, coll)
	require.Len(t, services, 15, "15 service instances (seed, entity map)")
	for _, s := range services {
		assert.Equal(t, "CFS", s["category"], s["id"])
		assert.Equal(t, "active", s["state"], s["id"])
		assert.Equal(t, "Service", s["@type"])
		assert.IsType(t, []any{}, s["serviceCharacteristic"])
		assert.IsType(t, []any{}, s["supportingResource"])
	}

	fa := r.One(t, coll+"/SI-FA-ENT-1102-MELB")
	assert.Equal(t, apitest.ByID(t, services, "SI-FA-ENT-1102-MELB"), fa)
	assert.Equal(t, coll+"/SI-FA-ENT-1102-MELB", fa["href"])
	assert.Equal(t, "Fibre Access", fa["name"])
	assert.Equal(t, map[string]any{"id": "CFS:Fibre-Access", "name": "Fibre Access", "@referredType": "ServiceSpecification",
		"href": tmf630.ServiceCatalog + "/serviceSpecification/CFS:Fibre-Access"}, fa["serviceSpecification"])
	// SOI-001: speed=500M-sym, technology=GPON, oltArea=SOUTH-03.
	assert.Equal(t, "500M-sym", apitest.Lookup(t, fa["serviceCharacteristic"], "speed"))
	assert.Equal(t, "GPON", apitest.Lookup(t, fa["serviceCharacteristic"], "technology"))
	assert.Equal(t, "SOUTH-03", apitest.Lookup(t, fa["serviceCharacteristic"], "oltArea"))
	assert.Equal(t, "MELB", fa["place"].([]any)[0].(map[string]any)["id"])
	assert.Equal(t, "CUST-ENT-1102", fa["relatedParty"].([]any)[0].(map[string]any)["id"])
	assert.Equal(t, "2024-06-03T05:00:00Z", fa["startDate"], "Fibre Access completes with the IP profile, at T+6 hr")

	// Its supporting resources are the bearer, VLAN and IP prefix
	// (seed, "Complete Resource Allocation Summary"), each found by its
	// href in the resource inventory.
	var names []string
	for _, ref := range fa["supportingResource"].([]any) {
		ref := ref.(map[string]any)
		names = append(names, ref["name"].(string))
		res := r.One(t, apitest.PathOf(t, ref["href"]))
		assert.Equal(t, ref["id"], res["id"])
		assert.Equal(t, ref["@referredType"], res["@type"])
	}
	assert.Equal(t, []string{"OLT-SOUTH-03 LC2 Port 8", "VLAN 2108", "10.88.12.0/29"}, names)

	qos := r.One(t, coll+"/SI-QOS-ENT-1102-MELB")
	assert.Equal(t, "Gold", apitest.Lookup(t, qos["serviceCharacteristic"], "slaTier"))
}

func TestServiceInventoryQueriesAndRefusals(t *testing.T) {
	r := apitest.ServeRollout(t)
	coll := tmf630.ServiceInventory + "/service"
	assert.Equal(t, []string{"SI-FA-ENT-1102-MELB", "SI-CPE-ENT-1102-MELB", "SI-QOS-ENT-1102-MELB"}, // in the order they completed
		apitest.IDsOf(r.List(t, coll+"?place.id=MELB")))
	assert.Len(t, r.List(t, coll+"?category=CFS&state=active"), 15)
	assert.Len(t, r.List(t, coll+"?serviceSpecification.id=CFS:Enterprise-QoS"), 5)
	assert.Equal(t, []string{"SI-FA-ENT-1102-MELB"},
		apitest.IDsOf(r.List(t, coll+"?supportingResource.name=OLT-SOUTH-03%20LC2%20Port%208")))
	assert.Empty(t, r.List(t, coll+"?state=terminated"))
	assert.Len(t, r.List(t, coll+"/"), 15, "older kits list service/")
	for _, s := range r.List(t, coll+"?fields=name,state") {
		assert.ElementsMatch(t, []string{"id", "href", "@type", "name", "state"}, apitest.Keys(s))
	}

	apitest.TMFError(t, r.Call(t, http.MethodGet, coll+"/SI-NOPE", ""), http.StatusNotFound, "SI-NOPE")
	apitest.TMFError(t, r.Call(t, http.MethodGet, coll+"?colour=red", ""), http.StatusBadRequest, "colour")
	for _, c := range []struct{ method, path string }{
		{http.MethodPost, coll},
		{http.MethodPatch, coll + "/SI-FA-ENT-1102-MELB"},
		{http.MethodDelete, coll + "/SI-FA-ENT-1102-MELB"},
	} {
		apitest.TMFError(t, r.Call(t, c.method, c.path, `{"name":"x"}`), http.StatusMethodNotAllowed, "service orders")
	}
}

package tmf637_test

import (
	"net/http"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The keys the TMF637 conformance kit requires on every product
// (/tmp/ctk-notes.md §3): present, never left out.
var productKeys = []string{"billingAccount", "href", "id", "productCharacteristic", "productOffering", "productPrice",
	"relatedParty", "status"}

// Seed, "COM Updates Product Inventory": one product instance per site,
// active, billed at the negotiated $1,800 a month, realised by the site's
// three service instances.
func TestProductInventoryAfterTheRollout(t *testing.T) {
	r := apitest.ServeRollout(t)
	coll := tmf630.ProductInventory + "/product"
	w := r.Call(t, http.MethodGet, coll, "")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "5", w.Header().Get("X-Total-Count"))
	products := r.List(t, coll)
	assert.Equal(t, []string{"PI-EFCG-1102-MELB", "PI-EFCG-1102-SYD1", "PI-EFCG-1102-SYD2", "PI-EFCG-1102-BNE1",
		"PI-EFCG-1102-BNE2"}, apitest.IDsOf(products))
	for _, p := range products {
		for _, k := range productKeys {
			assert.Contains(t, p, k, p["id"])
		}
		assert.Equal(t, "active", p["status"])
		assert.Equal(t, "Product", p["@type"])
	}

	melb := r.One(t, coll+"/PI-EFCG-1102-MELB")
	assert.Equal(t, apitest.ByID(t, products, "PI-EFCG-1102-MELB"), melb, "the list and the entity agree")
	assert.Equal(t, coll+"/PI-EFCG-1102-MELB", melb["href"])
	assert.Equal(t, "Enterprise Fibre Connect Gold", melb["name"])
	assert.Equal(t, "PO-EFCG-01", melb["productOffering"].(map[string]any)["id"])
	assert.Equal(t, "PS-ESA-01", melb["productSpecification"].(map[string]any)["id"])
	assert.Equal(t, "ACC-ENT-3384", melb["billingAccount"].(map[string]any)["id"])
	party := melb["relatedParty"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"id": "CUST-ENT-1102", "name": "GlobalTech Solutions Pty Ltd", "role": "customer",
		"@referredType": "Organization"}, party)
	assert.Equal(t, "Gold", apitest.Lookup(t, melb["productCharacteristic"], "slaTier"))
	assert.Equal(t, "500M-sym", apitest.Lookup(t, melb["productCharacteristic"], "speed"))
	site := melb["place"].([]any)[0].(map[string]any)
	assert.Equal(t, "MELB", site["id"])
	assert.Equal(t, "Melbourne HQ", site["name"])
	assert.Equal(t, "GeographicSite", site["@referredType"])
	assert.NotEmpty(t, site["role"])
	price := melb["productPrice"].([]any)
	require.Len(t, price, 1)
	assert.Equal(t, map[string]any{"name": "Monthly charge", "priceType": "recurring", "recurringChargePeriod": "month",
		"price": map[string]any{"dutyFreeAmount": map[string]any{"unit": "AUD", "value": 1800.0}}}, price[0])
	assert.Equal(t, "2024-06-07T23:00:00Z", melb["startDate"], "the pilot completes at T+5 days")
	assert.NotContains(t, melb, "terminationDate")
	item := melb["productOrderItem"].([]any)[0].(map[string]any)
	assert.Equal(t, "PO-2024-01203", item["productOrderId"])
	assert.Equal(t, "POI-001", item["orderItemId"])

	// realizingService names service instances the service inventory has.
	var services []string
	for _, s := range melb["realizingService"].([]any) {
		ref := s.(map[string]any)
		services = append(services, ref["id"].(string))
		svc := r.One(t, apitest.PathOf(t, ref["href"]))
		assert.Equal(t, ref["id"], svc["id"])
		assert.Equal(t, "MELB", svc["place"].([]any)[0].(map[string]any)["id"])
	}
	assert.ElementsMatch(t, []string{"SI-FA-ENT-1102-MELB", "SI-QOS-ENT-1102-MELB", "SI-CPE-ENT-1102-MELB"}, services)
}

// TMF630 list parameters on the product inventory: the kit's filters
// (id=, status=) and fields, paging.
func TestProductInventoryQueries(t *testing.T) {
	r := apitest.ServeRollout(t)
	coll := tmf630.ProductInventory + "/product"
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"status=active", []string{"PI-EFCG-1102-MELB", "PI-EFCG-1102-SYD1", "PI-EFCG-1102-SYD2", "PI-EFCG-1102-BNE1", "PI-EFCG-1102-BNE2"}},
		{"status=terminated", []string{}},
		{"id=PI-EFCG-1102-SYD2", []string{"PI-EFCG-1102-SYD2"}},
		{"place.id=BNE1,BNE2", []string{"PI-EFCG-1102-BNE1", "PI-EFCG-1102-BNE2"}},
		{"productCharacteristic.value=Gold&place.id=MELB", []string{"PI-EFCG-1102-MELB"}},
		{"billingAccount.id=ACC-ENT-3384&offset=3", []string{"PI-EFCG-1102-BNE1", "PI-EFCG-1102-BNE2"}},
		{"limit=2", []string{"PI-EFCG-1102-MELB", "PI-EFCG-1102-SYD1"}},
	} {
		assert.Equal(t, c.want, apitest.IDsOf(r.List(t, coll+"?"+c.query)), c.query)
	}
	w := r.Call(t, http.MethodGet, coll+"?limit=2", "")
	assert.Equal(t, "5", w.Header().Get("X-Total-Count"))
	assert.Equal(t, "2", w.Header().Get("X-Result-Count"))

	for _, p := range r.List(t, coll+"?fields=status") {
		assert.ElementsMatch(t, []string{"id", "href", "@type", "status"}, apitest.Keys(p))
	}
	one := r.One(t, coll+"/PI-EFCG-1102-MELB?fields=name,productPrice")
	assert.ElementsMatch(t, []string{"id", "href", "@type", "name", "productPrice"}, apitest.Keys(one))
}

// Unknown products are 404, bad parameters 400, and the inventory is read
// only: products come from TMF622 orders (405).
func TestProductInventoryRefusals(t *testing.T) {
	r := apitest.ServeRollout(t)
	coll := tmf630.ProductInventory + "/product"
	apitest.TMFError(t, r.Call(t, http.MethodGet, coll+"/55a2163b-489e-4138-93e9-8becb24272f2", ""), http.StatusNotFound,
		"55a2163b-489e-4138-93e9-8becb24272f2")
	apitest.TMFError(t, r.Call(t, http.MethodGet, coll+"?colour=red", ""), http.StatusBadRequest, "colour")
	apitest.TMFError(t, r.Call(t, http.MethodGet, coll+"?limit=many", ""), http.StatusBadRequest, "limit")
	apitest.TMFError(t, r.Call(t, http.MethodGet, coll+"/PI-EFCG-1102-MELB?status=active", ""), http.StatusBadRequest, "status")
	for _, c := range []struct{ method, path string }{
		{http.MethodPost, coll},
		{http.MethodPatch, coll + "/PI-EFCG-1102-MELB"},
		{http.MethodDelete, coll + "/PI-EFCG-1102-MELB"},
	} {
		w := r.Call(t, c.method, c.path, `{"name":"x"}`)
		apitest.TMFError(t, w, http.StatusMethodNotAllowed, "TMF622")
		assert.Equal(t, "GET, HEAD", w.Header().Get("Allow"))
	}
	assert.Len(t, r.List(t, coll), 5, "nothing changed")
}

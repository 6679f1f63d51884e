package tmf620_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const pc = tmf630.ProductCatalog

// The catalog file is the orderable catalog: the worked example's
// offering PO-EFCG-01 sells specification PS-ESA-01, whose CFS are those
// COM reads (seed step 2: CFS:Fibre-Access, CFS:Enterprise-QoS,
// CFS:CPE-Management), at list price $2,200 or the negotiated rate card's
// $1,800/site/month.
func TestProductCatalogFromTheCatalogFile(t *testing.T) {
	c := apitest.ServeCatalog(t, scenarios.Options{})
	loaded := "2024-06-02T23:00:00Z" // T+0, 2024-06-03 09:00 +10:00

	offerings, h := c.List(t, pc+"/productOffering")
	assert.Equal(t, []string{"PO-EFCG-01", "PO-EFCP-01"}, apitest.IDsOf(offerings))
	assert.Equal(t, "2", h.Get("X-Total-Count"))
	o := offerings[0]
	assert.Equal(t, "Enterprise Fibre Connect Gold", o["name"])
	assert.Equal(t, pc+"/productOffering/PO-EFCG-01", o["href"])
	assert.Equal(t, "Launched", o["lifecycleStatus"])
	assert.Equal(t, loaded, o["lastUpdate"])
	assert.Equal(t, false, o["isBundle"])
	assert.Equal(t, map[string]any{"id": "PS-ESA-01", "href": pc + "/productSpecification/PS-ESA-01",
		"name": "Enterprise Symmetric Access", "@referredType": "ProductSpecification"}, o["productSpecification"])
	var priceIDs []string
	for _, p := range o["productOfferingPrice"].([]any) {
		priceIDs = append(priceIDs, p.(map[string]any)["id"].(string))
	}
	assert.Equal(t, []string{"PO-EFCG-01:list", "PO-EFCG-01:RC-ENT-2024-NEG", "PO-EFCG-01:RC-ENT-2024-NEG:1G-sym",
		"PO-EFCG-01:RC-ENT-2024-STD", "PO-EFCG-01:RC-ENT-2025-PLAT", "PO-EFCG-01:RC-ENT-2024-TIERED",
		"PO-EFCG-01:RC-ENT-2024-TIERED:Gold:100M-sym", "PO-EFCG-01:RC-ENT-2024-TIERED:Gold:1G-sym", "PO-EFCG-01:RC-ENT-2024-TIERED:Gold:500M-sym",
		"PO-EFCG-01:RC-ENT-2024-TIERED:Platinum:1G-sym", "PO-EFCG-01:RC-ENT-2024-TIERED:Platinum:500M-sym",
		"PO-EFCG-01:RC-ENT-2024-TIERED:Silver:100M-sym", "PO-EFCG-01:RC-ENT-2024-TIERED:Silver:500M-sym"}, priceIDs)
	uses := o["prodSpecCharValueUse"].([]any)
	require.Len(t, uses, 2)
	assert.Equal(t, "slaTier", uses[0].(map[string]any)["name"])
	assert.Equal(t, []any{map[string]any{"value": "Silver", "valueType": "string"}, map[string]any{"value": "Gold", "valueType": "string"},
		map[string]any{"value": "Platinum", "valueType": "string"}}, uses[0].(map[string]any)["productSpecCharacteristicValue"])
	terms := o["productOfferingTerm"].([]any)
	require.Len(t, terms, 3)
	assert.Equal(t, map[string]any{"name": "36 months", "duration": map[string]any{"amount": 36.0, "units": "month"}}, terms[1])

	spec := c.One(t, http.MethodGet, pc+"/productSpecification/PS-ESA-01", "", http.StatusOK)
	assert.Equal(t, "Active", spec["lifecycleStatus"])
	var cfs []string
	for _, s := range spec["serviceSpecification"].([]any) {
		ref := s.(map[string]any)
		cfs = append(cfs, ref["id"].(string))
		assert.Equal(t, tmf630.ServiceCatalog+"/serviceSpecification/"+ref["id"].(string), ref["href"])
	}
	assert.Equal(t, []string{"CFS:Fibre-Access", "CFS:Enterprise-QoS", "CFS:CPE-Management"}, cfs)

	list := c.One(t, http.MethodGet, pc+"/productOfferingPrice/PO-EFCG-01:list", "", http.StatusOK)
	assert.Equal(t, "recurring", list["priceType"])
	assert.Equal(t, map[string]any{"unit": "AUD", "value": 2200.0}, list["price"])
	assert.Equal(t, "month", list["recurringChargePeriodType"])
	assert.Equal(t, map[string]any{"amount": 1.0, "units": "site"}, list["unitOfMeasure"])

	// The negotiated card prices 1 Gbps apart; its days are those of T+0's
	// time zone, as the quote checks them.
	card := c.One(t, http.MethodGet, pc+"/productOfferingPrice/PO-EFCG-01:RC-ENT-2024-NEG", "", http.StatusOK)
	assert.Equal(t, map[string]any{"unit": "AUD", "value": 1800.0}, card["price"])
	assert.Equal(t, map[string]any{"startDateTime": "2023-12-31T14:00:00Z", "endDateTime": "2030-12-31T13:59:59Z"}, card["validFor"])
	speeds := card["prodSpecCharValueUse"].([]any)[0].(map[string]any)["productSpecCharacteristicValue"]
	assert.Equal(t, []any{map[string]any{"value": "100M-sym", "valueType": "string"}, map[string]any{"value": "500M-sym", "valueType": "string"}}, speeds)
	gig := c.One(t, http.MethodGet, pc+"/productOfferingPrice/PO-EFCG-01:RC-ENT-2024-NEG:1G-sym", "", http.StatusOK)
	assert.Equal(t, map[string]any{"unit": "AUD", "value": 2400.0}, gig["price"])
	assert.Len(t, gig["productOfferingTerm"], 2, "the card's terms: 36 and 60 months")

	prices, h := c.List(t, pc+"/productOfferingPrice")
	assert.Equal(t, "15", h.Get("X-Total-Count"), "two list prices, five rate cards, one price of 1G-sym apart, seven of a tier and speed")
	tiered := c.One(t, http.MethodGet, pc+"/productOfferingPrice/PO-EFCG-01:RC-ENT-2024-TIERED:Platinum:1G-sym", "", http.StatusOK)
	assert.Equal(t, map[string]any{"unit": "AUD", "value": 3100.0}, tiered["price"])
	var names []string
	for _, u := range tiered["prodSpecCharValueUse"].([]any) {
		names = append(names, u.(map[string]any)["name"].(string))
	}
	assert.Equal(t, []string{"slaTier", "speed"}, names)
	for _, p := range prices {
		assert.Equal(t, "recurring", p["priceType"], p["id"])
	}

	catalogs, _ := c.List(t, pc+"/catalog")
	require.Len(t, catalogs, 1)
	assert.Equal(t, "enterprise-fixed", catalogs[0]["id"])
	assert.Equal(t, "enterprise-fixed", c.One(t, http.MethodGet, pc+"/catalog/enterprise-fixed", "", http.StatusOK)["name"])
}

// TMF630 list behaviour: attribute filters, fields, offset/limit with
// X-Total-Count and X-Result-Count; unknown parameters are refused.
func TestProductCatalogQueries(t *testing.T) {
	c := apitest.ServeCatalog(t, scenarios.Options{})
	got, _ := c.List(t, pc+"/productOffering?name=Enterprise%20Fibre%20Connect%20Platinum")
	assert.Equal(t, []string{"PO-EFCP-01"}, apitest.IDsOf(got))
	got, _ = c.List(t, pc+"/productOfferingPrice?productOfferingTerm.duration.amount=24")
	assert.Equal(t, []string{"PO-EFCG-01:RC-ENT-2024-STD", "PO-EFCG-01:list"}, apitest.IDsOf(got), "a dotted path into arrays")
	got, _ = c.List(t, pc+"/productSpecification?lifecycleStatus=Launched")
	assert.Empty(t, got)

	got, h := c.List(t, pc+"/productOffering?offset=1&limit=1")
	assert.Equal(t, []string{"PO-EFCP-01"}, apitest.IDsOf(got))
	assert.Equal(t, "2", h.Get("X-Total-Count"))
	assert.Equal(t, "1", h.Get("X-Result-Count"))

	got, _ = c.List(t, pc+"/productOffering?fields=lifecycleStatus")
	assert.Equal(t, map[string]any{"id": "PO-EFCG-01", "href": pc + "/productOffering/PO-EFCG-01", "@type": "ProductOffering",
		"lifecycleStatus": "Launched"}, got[0])
	one := c.One(t, http.MethodGet, pc+"/productSpecification/PS-ESA-01?fields=name", "", http.StatusOK)
	assert.Equal(t, map[string]any{"id": "PS-ESA-01", "href": pc + "/productSpecification/PS-ESA-01", "@type": "ProductSpecification",
		"name": "Enterprise Symmetric Access"}, one)

	res, b := c.Do(t, http.MethodGet, pc+"/productOffering?colour=red", "")
	apitest.Refused(t, res, b, http.StatusBadRequest, "query parameter colour: not an attribute of this resource")
	res, b = c.Do(t, http.MethodGet, pc+"/productOfferingPrice?limit=-1", "")
	apitest.Refused(t, res, b, http.StatusBadRequest, `query parameter limit: "-1" is not a whole number ≥ 0`)
}

func TestProductCatalogNotFound(t *testing.T) {
	c := apitest.ServeCatalog(t, scenarios.Options{})
	for _, tc := range []struct{ method, path, message string }{
		{http.MethodGet, "/productOffering/1ab18f13-2bd2-434d-9788-4b72ec11fe8a", `no productOffering "1ab18f13-2bd2-434d-9788-4b72ec11fe8a"`},
		{http.MethodGet, "/productSpecification/PSD-001", `no productSpecification "PSD-001"`},
		{http.MethodGet, "/productOfferingPrice/RC-ENT-2024-NEG", `no productOfferingPrice "RC-ENT-2024-NEG"`},
		{http.MethodPatch, "/productOffering/POD-001", `no productOffering "POD-001"`},
		{http.MethodDelete, "/productOfferingPrice/POPD-001", `no productOfferingPrice "POPD-001"`},
		{http.MethodGet, "/catalog/other", `no catalog "other"`},
	} {
		res, b := c.Do(t, tc.method, pc+tc.path, `{"name":"x"}`)
		apitest.Refused(t, res, b, http.StatusNotFound, tc.message)
	}
}

// The catalog file's entries cannot be changed through the API: they are
// what orders are checked against, and the file would bring them back at
// the next start.
func TestProductCatalogFileIsReadOnly(t *testing.T) {
	c := apitest.ServeCatalog(t, scenarios.Options{})
	for _, path := range []string{"/productOffering/PO-EFCG-01", "/productSpecification/PS-ESA-01", "/productOfferingPrice/PO-EFCG-01:list"} {
		before := c.One(t, http.MethodGet, pc+path, "", http.StatusOK)
		collection, id, _ := strings.Cut(path[1:], "/")
		for _, method := range []string{http.MethodPatch, http.MethodDelete} {
			res, b := c.Do(t, method, pc+path, `{"name":"Renamed"}`)
			apitest.Refused(t, res, b, http.StatusMethodNotAllowed, collection+" "+id+" comes from the catalog file and is read-only")
			assert.Equal(t, "GET, HEAD", res.Header.Get("Allow"))
		}
		assert.Equal(t, before, c.One(t, http.MethodGet, pc+path, "", http.StatusOK), "unchanged")
	}
	res, b := c.Do(t, http.MethodPut, pc+"/productOffering/PO-EFCG-01", `{"name":"x"}`)
	apitest.Refused(t, res, b, http.StatusMethodNotAllowed, "PUT "+pc+"/productOffering/PO-EFCG-01: allowed are GET, PATCH, DELETE")
	res, b = c.Do(t, http.MethodPost, pc+"/catalog", `{"name":"x"}`)
	apitest.Refused(t, res, b, http.StatusMethodNotAllowed, "POST "+pc+"/catalog: allowed are GET")
}

// A client's design goes through the conformance kit's round trip: POST
// (201, server-managed attributes set, In design), listed after the file's
// entries and found by its filters, PATCH as application/json or
// application/merge-patch+json, DELETE (204), then 404.
func TestProductCatalogDesignRoundTrip(t *testing.T) {
	c := apitest.ServeCatalog(t, scenarios.Options{})
	now := c.Now(t)

	res, b := c.Do(t, http.MethodPost, pc+"/productOffering", `{"name":"aProductOffering","productSpecification":{"id":"9881",
		"href":"https://mycsp.com:8080/tmf-api/productCatalogManagement/v4/productSpecification/9881","version":"1.1",
		"name":"Robotics999","@referredType":"DeviceSpecification"}}`)
	require.Equal(t, http.StatusCreated, res.StatusCode, "%s", b)
	var o map[string]any
	require.NoError(t, json.Unmarshal(b, &o))
	assert.Equal(t, "POD-001", o["id"])
	assert.Equal(t, pc+"/productOffering/POD-001", o["href"])
	assert.Equal(t, o["href"], res.Header.Get("Location"))
	assert.Equal(t, "In design", o["lifecycleStatus"])
	assert.Equal(t, now, o["lastUpdate"])
	assert.Equal(t, "ProductOffering", o["@type"])
	assert.Equal(t, "9881", o["productSpecification"].(map[string]any)["id"], "a specification of another catalog is allowed")
	assert.Equal(t, o, c.One(t, http.MethodGet, pc+"/productOffering/POD-001", "", http.StatusOK))

	all, h := c.List(t, pc+"/productOffering")
	assert.Equal(t, []string{"PO-EFCG-01", "PO-EFCP-01", "POD-001"}, apitest.IDsOf(all))
	assert.Equal(t, "3", h.Get("X-Total-Count"))
	for _, filter := range []string{"id=POD-001", "lastUpdate=" + now, "lifecycleStatus=In%20design", "name=aProductOffering"} {
		got, _ := c.List(t, pc+"/productOffering?"+filter)
		assert.Equal(t, []string{"POD-001"}, apitest.IDsOf(got), filter)
	}

	patched := c.One(t, http.MethodPatch, pc+"/productOffering/POD-001", `{"name":"anotherProductOffering"}`, http.StatusOK)
	assert.Equal(t, "anotherProductOffering", patched["name"])
	res, b = c.Do(t, http.MethodPatch, pc+"/productOffering/POD-001",
		`{"productSpecification":{"version":null},"lifecycleStatus":"In test"}`, "application/merge-patch+json")
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
	require.NoError(t, json.Unmarshal(b, &patched))
	assert.Equal(t, "In test", patched["lifecycleStatus"])
	assert.Equal(t, "anotherProductOffering", patched["name"], "what a patch leaves out is kept")
	assert.NotContains(t, patched["productSpecification"], "version", "null removes")
	assert.Equal(t, patched, c.One(t, http.MethodGet, pc+"/productOffering/POD-001", "", http.StatusOK))

	res, b = c.Do(t, http.MethodDelete, pc+"/productOffering/POD-001", "")
	assert.Equal(t, http.StatusNoContent, res.StatusCode)
	assert.Empty(t, b)
	res, b = c.Do(t, http.MethodGet, pc+"/productOffering/POD-001", "")
	apitest.Refused(t, res, b, http.StatusNotFound, `no productOffering "POD-001"`)
	res, b = c.Do(t, http.MethodDelete, pc+"/productOffering/POD-001", "")
	apitest.Refused(t, res, b, http.StatusNotFound, `no productOffering "POD-001"`)

	// The kit's price and specification.
	p := c.One(t, http.MethodPost, pc+"/productOfferingPrice",
		`{"name":"Recurring Charge for Business Firewall","isBundle":false,"priceType":"recurring"}`, http.StatusCreated)
	assert.Equal(t, "POPD-001", p["id"])
	got, _ := c.List(t, pc+"/productOfferingPrice?priceType=recurring&lifecycleStatus=In%20design")
	assert.Equal(t, []string{"POPD-001"}, apitest.IDsOf(got))
	assert.Equal(t, "Renamed", c.One(t, http.MethodPatch, pc+"/productOfferingPrice/POPD-001", `{"name":"Renamed"}`, http.StatusOK)["name"])
	s := c.One(t, http.MethodPost, pc+"/productSpecification", `{"name":"Cisco Firepower NGFW"}`, http.StatusCreated)
	assert.Equal(t, "PSD-001", s["id"])
	specs, _ := c.List(t, pc+"/productSpecification")
	assert.Equal(t, []string{"PS-ESA-01", "PSD-001"}, apitest.IDsOf(specs))
}

// Bad bodies are refused with 400 (413, 415) naming the attribute, and
// change nothing.
func TestProductCatalogBadBodies(t *testing.T) {
	c := apitest.ServeCatalog(t, scenarios.Options{})
	c.One(t, http.MethodPost, pc+"/productOfferingPrice", `{"name":"p","priceType":"oneTime"}`, http.StatusCreated)
	for _, tc := range []struct {
		name, method, path, body, contentType string
		status                                int
		message                               string
	}{
		{"malformed", "POST", "/productOffering", `{"name":"a",}`, "", 400, "the body: malformed JSON at byte 13: invalid character '}' looking for beginning of object key string"},
		{"wrong type", "POST", "/productOffering", `{"name":"a","productSpecification":{"id":9881}}`, "", 400, "productSpecification.id: want a string, not number"},
		{"array", "POST", "/productSpecification", `[{"name":"a"}]`, "", 400, "the body: want an object, not an array"},
		{"server-managed id", "POST", "/productSpecification", `{"id":"PS-1","name":"a"}`, "", 400, "id: set by the server: leave it out"},
		{"unknown attribute", "POST", "/productSpecification", `{"name":"a","colour":"red"}`, "", 400, "colour: not an attribute of ProductSpecification"},
		{"no name", "POST", "/productSpecification", `{"brand":"Cisco"}`, "", 400, "name: required"},
		{"no price type", "POST", "/productOfferingPrice", `{"name":"p"}`, "", 400, `priceType: required: one of "recurring", "oneTime" or "usage"`},
		{"empty", "POST", "/productOffering", ``, "", 400, "the body is empty: want a JSON object"},
		{"oversized", "POST", "/productSpecification", `{"name":"` + strings.Repeat("x", tmf630.MaxBody) + `"}`, "", 413, "the body is larger than 1048576 bytes"},
		{"media type", "POST", "/productSpecification", `{"name":"a"}`, "text/plain", 415, `Content-Type "text/plain": want application/json`},
		{"patch removes the price type", "PATCH", "/productOfferingPrice/POPD-001", `{"priceType":null}`, "", 400, `priceType: required: one of "recurring", "oneTime" or "usage"`},
		{"patch sets lastUpdate", "PATCH", "/productOfferingPrice/POPD-001", `{"lastUpdate":"2024-01-01T00:00:00Z"}`, "", 400, "lastUpdate: set by the server: leave it out"},
		{"patch of the wrong kind", "PATCH", "/productOfferingPrice/POPD-001", `{"price":{"value":"free"}}`, "", 400, "price.value: want a number, not string"},
		{"patch malformed", "PATCH", "/productOfferingPrice/POPD-001", `{"name"}`, "", 400, "the body: malformed JSON at byte 8: invalid character '}' after object key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			contentType := "application/json"
			if tc.contentType != "" {
				contentType = tc.contentType
			}
			res, b := c.Do(t, tc.method, pc+tc.path, tc.body, contentType)
			apitest.Refused(t, res, b, tc.status, tc.message)
		})
	}
	for _, collection := range []string{"productOffering", "productSpecification"} {
		got, _ := c.List(t, pc+"/"+collection+"?lifecycleStatus=In%20design")
		assert.Empty(t, got, "%s: nothing created", collection)
	}
	assert.Equal(t, map[string]any{"id": "POPD-001", "name": "p", "priceType": "oneTime"},
		subset(c.One(t, http.MethodGet, pc+"/productOfferingPrice/POPD-001", "", http.StatusOK), "id", "name", "priceType"), "nothing changed")
}

// Designs are documents of the engine: they outlive a restart, rebuilt by
// replaying the commands the input log kept.
func TestProductCatalogDesignsSurviveARestart(t *testing.T) {
	mem := store.NewMemory()
	c := apitest.ServeCatalog(t, scenarios.Options{Journal: mem, Log: mem})
	c.One(t, http.MethodPost, pc+"/productOffering", `{"name":"o","productSpecification":{"id":"PS-ESA-01"}}`, http.StatusCreated)
	c.One(t, http.MethodPatch, pc+"/productOffering/POD-001", `{"lifecycleStatus":"In test"}`, http.StatusOK)
	c.One(t, http.MethodPost, pc+"/productOfferingPrice", `{"name":"p","priceType":"usage"}`, http.StatusCreated)
	res, _ := c.Do(t, http.MethodDelete, pc+"/productOfferingPrice/POPD-001", "")
	require.Equal(t, http.StatusNoContent, res.StatusCode)
	before, _ := c.List(t, pc+"/productOffering")

	sc, err := scenarios.LoadLibrary("globaltech-5site.yaml")
	require.NoError(t, err)
	journal := store.Resume(store.NewMemory(), mem.Records())
	sys, err := scenarios.New(sc.Spec, scenarios.Options{Journal: journal})
	require.NoError(t, err)
	require.NoError(t, sys.Engine.Replay(context.Background(), mem.Inputs(), journal.Caught))
	again := apitest.StartCatalog(t, sys)
	after, _ := again.List(t, pc+"/productOffering")
	assert.Equal(t, before, after)
	assert.Equal(t, "In test", after[2]["lifecycleStatus"])
	prices, _ := again.List(t, pc+"/productOfferingPrice?lifecycleStatus=In%20design")
	assert.Empty(t, prices, "the deleted price stays deleted")
}

func subset(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

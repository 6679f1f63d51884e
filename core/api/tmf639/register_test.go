package tmf639_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A resource registered by hand (the TMF639 kit's POST): created with an
// id and href of the server's, listed after the network's own resources,
// found by id and by name, merge-patched and deleted.
func TestRegisteredResourceRoundTrip(t *testing.T) {
	r := apitest.ServeRollout(t)
	coll := tmf630.ResourceInventory + "/resource"
	w := r.Call(t, http.MethodPost, coll, `{"name":"RouterXX","@type":"Resource"}`)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var created map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &created))
	assert.Equal(t, map[string]any{"id": "RES-REG-001", "href": coll + "/RES-REG-001", "name": "RouterXX",
		"@type": "Resource"}, created)
	assert.Equal(t, coll+"/RES-REG-001", w.Header().Get("Location"))

	all := r.List(t, coll)
	require.Len(t, all, 31)
	assert.Equal(t, created, all[30], "registered resources follow the network's")
	assert.Equal(t, created, r.One(t, coll+"/RES-REG-001"))
	assert.Equal(t, []string{"RES-REG-001"}, apitest.IDsOf(r.List(t, coll+"?name=RouterXX")))

	// A second one, with v4 attributes and an extension, and no @type.
	w = r.Call(t, http.MethodPost, coll, `{"name":"Core switch MEL-01","category":"physical","resourceStatus":"available",
		"usageState":"busy","place":{"id":"MELB","role":"installationAddress"},"rackUnit":12,
		"resourceCharacteristic":[{"name":"ports","value":48}],"startOperatingDate":"2019-03-01T00:00:00Z"}`)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	second := r.One(t, coll+"/RES-REG-002")
	assert.Equal(t, "Resource", second["@type"], "@type defaults to Resource")
	assert.Equal(t, 12.0, second["rackUnit"], "extensions are kept")
	assert.Equal(t, 48.0, apitest.Lookup(t, second["resourceCharacteristic"], "ports"))
	assert.Equal(t, []string{"RES-REG-002"}, apitest.IDsOf(r.List(t, coll+"?place.id=MELB&usageState=busy")))

	// Merge patch (RFC 7386), sent as the kits send it: application/json.
	w = r.Call(t, http.MethodPatch, coll+"/RES-REG-002", `{"name":"Core switch MEL-02","usageState":null,
		"place":{"name":"Melbourne HQ"}}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	patched := r.One(t, coll+"/RES-REG-002")
	assert.Equal(t, "Core switch MEL-02", patched["name"])
	assert.NotContains(t, patched, "usageState")
	assert.Equal(t, map[string]any{"id": "MELB", "role": "installationAddress", "name": "Melbourne HQ"}, patched["place"])
	assert.Equal(t, "available", patched["resourceStatus"])

	w = r.Call(t, http.MethodDelete, coll+"/RES-REG-002", "")
	assert.Equal(t, http.StatusNoContent, w.Code)
	assert.Empty(t, w.Body.String())
	apitest.TMFError(t, r.Call(t, http.MethodGet, coll+"/RES-REG-002", ""), http.StatusNotFound, "RES-REG-002")
	apitest.TMFError(t, r.Call(t, http.MethodDelete, coll+"/RES-REG-002", ""), http.StatusNotFound, "RES-REG-002")
	apitest.TMFError(t, r.Call(t, http.MethodPatch, coll+"/RES-REG-002", `{"name":"x"}`), http.StatusNotFound, "RES-REG-002")
	assert.Len(t, r.List(t, coll), 31)
}

// The network's resources are ROM's: a client can read them, not change
// or delete them (409).
func TestNetworkResourcesAreReadOnly(t *testing.T) {
	r := apitest.ServeRollout(t)
	coll := tmf630.ResourceInventory + "/resource"
	for _, method := range []string{http.MethodPatch, http.MethodDelete} {
		apitest.TMFError(t, r.Call(t, method, coll+"/OLT-SOUTH-03-LC2-P8", `{"name":"mine"}`), http.StatusConflict, "owned by ROM")
		apitest.TMFError(t, r.Call(t, method, coll+"/SOUTH-ENT-10.88.12.0%2F29", `{"name":"mine"}`), http.StatusConflict,
			"SOUTH-ENT-10.88.12.0/29")
	}
	assert.Equal(t, "OLT-SOUTH-03 LC2 Port 8", r.One(t, coll+"/OLT-SOUTH-03-LC2-P8")["name"])
}

// Bad input is refused with 400 (415 for another media type) naming the
// field, and changes nothing.
func TestRegisteredResourceBadInput(t *testing.T) {
	r := apitest.ServeRollout(t)
	coll := tmf630.ResourceInventory + "/resource"
	require.Equal(t, http.StatusCreated, r.Call(t, http.MethodPost, coll, `{"name":"RouterXX"}`).Code)
	for _, c := range []struct {
		method, path, body string
		names              string
	}{
		{http.MethodPost, coll, `{"id":"R1","name":"RouterXX"}`, "id: set by the server"},
		{http.MethodPost, coll, `{"href":"/x","name":"RouterXX"}`, "href: set by the server"},
		{http.MethodPost, coll, `{"@type":"Resource"}`, "name: required"},
		{http.MethodPost, coll, `{"name":"  "}`, "name: required"},
		{http.MethodPost, coll, `{"name":null}`, "name: required"},
		{http.MethodPost, coll, `{"name":42}`, "name"},
		{http.MethodPost, coll, `{"name":"R","resourceStatus":"broken"}`, "resourceStatus"},
		{http.MethodPost, coll, `{"name":"R","usageState":"busy!"}`, "usageState"},
		{http.MethodPost, coll, `{"name":"R","administrativeState":"open"}`, "administrativeState"},
		{http.MethodPost, coll, `{"name":"R","startOperatingDate":"yesterday"}`, "startOperatingDate"},
		{http.MethodPost, coll, `{"name":"R","resourceCharacteristic":[{"value":1}]}`, "resourceCharacteristic[0].name"},
		{http.MethodPost, coll, `{"name":"R","resourceCharacteristic":[{"name":"a","value":1},{"name":"b"}]}`,
			"resourceCharacteristic[1].value"},
		{http.MethodPost, coll, `{"name":"R","resourceCharacteristic":{"name":"a"}}`, "resourceCharacteristic"},
		{http.MethodPost, coll, `{"name":"R","relatedParty":[{"id":"CUST-ENT-1102"}]}`, "relatedParty[0].@referredType"},
		{http.MethodPost, coll, `{"name":"R","place":{"name":"MELB"}}`, "place.id"},
		{http.MethodPost, coll, `{"name":"R","place":"MELB"}`, "place"},
		{http.MethodPost, coll, `{"Name":"RouterXX"}`, "Name: names are case-sensitive: want name"},
		{http.MethodPost, coll, `{"name":"R","resourceCharacteristic":[{"NAME":"a","value":1}]}`,
			"resourceCharacteristic[0].NAME"},
		{http.MethodPost, coll, `["RouterXX"]`, "the body"},
		{http.MethodPost, coll, `null`, "the body"},
		{http.MethodPost, coll, `{"name":"R"`, "JSON"},
		{http.MethodPost, coll, ``, "empty"},
		{http.MethodPatch, coll + "/RES-REG-001", `{"name":null}`, "name: required"},
		{http.MethodPatch, coll + "/RES-REG-001", `{"name":""}`, "name: required"},
		{http.MethodPatch, coll + "/RES-REG-001", `{"@type":null}`, "@type"},
		{http.MethodPatch, coll + "/RES-REG-001", `{"id":"RES-REG-009"}`, "id: set by the server"},
		{http.MethodPatch, coll + "/RES-REG-001", `{"operationalState":"up"}`, "operationalState"},
	} {
		t.Run(c.method+" "+c.body, func(t *testing.T) {
			apitest.TMFError(t, r.Call(t, c.method, c.path, c.body), http.StatusBadRequest, c.names)
		})
	}
	apitest.TMFError(t, r.CallAs(t, http.MethodPost, coll, `name=RouterXX`, "application/x-www-form-urlencoded"),
		http.StatusUnsupportedMediaType, "Content-Type")
	big := `{"name":"R","description":"` + strings.Repeat("x", tmf630.MaxBody) + `"}`
	apitest.TMFError(t, r.Call(t, http.MethodPost, coll, big), http.StatusRequestEntityTooLarge, "larger")

	all := r.List(t, coll)
	assert.Len(t, all, 31, "nothing was created")
	assert.Equal(t, map[string]any{"id": "RES-REG-001", "href": coll + "/RES-REG-001", "name": "RouterXX",
		"@type": "Resource"}, all[30], "nothing was changed")
}

// A registration sent again with its Idempotency-Key is answered with the
// resource the first made, marked replayed; once that one is deleted, the
// key makes no other (409, as a hub's).
func TestRegisteredResourceKeyReplayed(t *testing.T) {
	r := apitest.ServeRollout(t)
	coll := tmf630.ResourceInventory + "/resource"
	h := http.Header{"Content-Type": {"application/json"}, "Idempotency-Key": {"r9"}}
	first := r.CallWith(t, http.MethodPost, coll, `{"name":"RouterXX"}`, h)
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	assert.Empty(t, first.Header().Get("Idempotent-Replayed"))
	again := r.CallWith(t, http.MethodPost, coll, `{"name":"RouterXX"}`, h)
	require.Equal(t, http.StatusCreated, again.Code, again.Body.String())
	assert.Equal(t, "true", again.Header().Get("Idempotent-Replayed"))
	assert.JSONEq(t, first.Body.String(), again.Body.String())

	require.Equal(t, http.StatusNoContent, r.Call(t, http.MethodDelete, coll+"/RES-REG-001", "").Code)
	gone := r.CallWith(t, http.MethodPost, coll, `{"name":"RouterXX"}`, h)
	assert.Equal(t, http.StatusConflict, gone.Code, gone.Body.String())
	assert.Contains(t, gone.Body.String(), "Idempotency-Key: ")
}

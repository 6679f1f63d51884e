package tmf633_test

import (
	"net/http"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sc633 = tmf630.ServiceCatalog + "/serviceSpecification"

// The catalog's CFS and RFS as TMF633 service specifications: a CFS relies
// on the RFS that realise it on each access technology (seed step 3:
// CFS:Fibre-Access on GPON decomposes into RFS:GPON-Bearer,
// RFS:VLAN-Service, RFS:IP-Profile); an RFS names the resource it
// allocates and the RFS it comes after.
func TestServiceCatalogFromTheCatalogFile(t *testing.T) {
	c := apitest.ServeCatalog(t, scenarios.Options{})
	all, h := c.List(t, sc633)
	assert.Equal(t, []string{"CFS:CPE-Management", "CFS:Enterprise-QoS", "CFS:Fibre-Access", "RFS:CE-Router", "RFS:GPON-Bearer",
		"RFS:IP-Profile", "RFS:P2P-Bearer", "RFS:QoS-Policy", "RFS:SLA-Monitoring", "RFS:VLAN-Service"}, apitest.IDsOf(all))
	assert.Equal(t, "10", h.Get("X-Total-Count"))
	for _, s := range all {
		assert.Equal(t, sc633+"/"+s["id"].(string), s["href"])
		assert.Equal(t, "Active", s["lifecycleStatus"])
		assert.Equal(t, "2024-06-02T23:00:00Z", s["lastUpdate"])
		assert.Equal(t, "ServiceSpecification", s["@baseType"])
	}

	fa := c.One(t, http.MethodGet, sc633+"/CFS:Fibre-Access", "", http.StatusOK)
	assert.Equal(t, "CustomerFacingServiceSpecification", fa["@type"])
	byRole := map[string][]string{}
	for _, r := range fa["serviceSpecRelationship"].([]any) {
		rel := r.(map[string]any)
		assert.Equal(t, "reliesOn", rel["relationshipType"])
		byRole[rel["role"].(string)] = append(byRole[rel["role"].(string)], rel["id"].(string))
	}
	assert.Equal(t, map[string][]string{
		"GPON":         {"RFS:GPON-Bearer", "RFS:VLAN-Service", "RFS:IP-Profile"},
		"P2P-Ethernet": {"RFS:P2P-Bearer", "RFS:VLAN-Service", "RFS:IP-Profile"},
	}, byRole)
	chars := fa["specCharacteristic"].([]any)
	require.NotEmpty(t, chars)
	assert.Equal(t, map[string]any{"name": "speed", "valueType": "string", "description": "set for each order from {speed}"}, chars[0])

	qos := c.One(t, http.MethodGet, sc633+"/CFS:Enterprise-QoS", "", http.StatusOK)
	assert.Equal(t, "any", qos["serviceSpecRelationship"].([]any)[0].(map[string]any)["role"], "RFS for every technology")

	vlan := c.One(t, http.MethodGet, sc633+"/RFS:VLAN-Service", "", http.StatusOK)
	assert.Equal(t, "ResourceFacingServiceSpecification", vlan["@type"])
	assert.Equal(t, []any{map[string]any{"id": "VLAN", "name": "VLAN", "@referredType": "LogicalResourceSpecification"}}, vlan["resourceSpecification"])
	var after []string
	for _, r := range vlan["serviceSpecRelationship"].([]any) {
		rel := r.(map[string]any)
		assert.Equal(t, "dependency", rel["relationshipType"])
		after = append(after, rel["id"].(string))
	}
	assert.Equal(t, []string{"RFS:GPON-Bearer", "RFS:P2P-Bearer"}, after)
	assert.Equal(t, "VLAN is configured on the provisioned bearer", vlan["description"])
	assert.Equal(t, []any{
		map[string]any{"name": "vlanType", "valueType": "string", "characteristicValueSpecification": []any{map[string]any{"value": "c-tag", "valueType": "string", "isDefault": true}}},
		map[string]any{"name": "serviceType", "valueType": "string", "characteristicValueSpecification": []any{map[string]any{"value": "enterprise", "valueType": "string", "isDefault": true}}},
	}, vlan["specCharacteristic"])
}

func TestServiceCatalogQueriesAndRefusals(t *testing.T) {
	c := apitest.ServeCatalog(t, scenarios.Options{})
	got, _ := c.List(t, sc633+"?@type=CustomerFacingServiceSpecification&fields=name")
	assert.Equal(t, []string{"CFS:CPE-Management", "CFS:Enterprise-QoS", "CFS:Fibre-Access"}, apitest.IDsOf(got))
	assert.Equal(t, map[string]any{"id": "CFS:CPE-Management", "href": sc633 + "/CFS:CPE-Management",
		"@type": "CustomerFacingServiceSpecification", "name": "CPE Management"}, got[0])
	got, _ = c.List(t, sc633+"?resourceSpecification.id=OLTPort,P2PHandoff")
	assert.Equal(t, []string{"RFS:GPON-Bearer", "RFS:P2P-Bearer"}, apitest.IDsOf(got))
	got, h := c.List(t, sc633+"?offset=8&limit=5")
	assert.Equal(t, []string{"RFS:SLA-Monitoring", "RFS:VLAN-Service"}, apitest.IDsOf(got))
	assert.Equal(t, "10", h.Get("X-Total-Count"))
	assert.Equal(t, "2", h.Get("X-Result-Count"))

	res, b := c.Do(t, http.MethodGet, sc633+"/CFS:Voice", "")
	apitest.Refused(t, res, b, http.StatusNotFound, `no serviceSpecification "CFS:Voice"`)
	res, b = c.Do(t, http.MethodGet, sc633+"?state=active", "")
	apitest.Refused(t, res, b, http.StatusBadRequest, "query parameter state: not an attribute of this resource")
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, sc633}, {http.MethodPatch, sc633 + "/CFS:Fibre-Access"}, {http.MethodDelete, sc633 + "/RFS:VLAN-Service"},
	} {
		res, b := c.Do(t, tc.method, tc.path, `{"name":"x"}`)
		apitest.Refused(t, res, b, http.StatusMethodNotAllowed, tc.method+" "+tc.path+": the service catalog comes from the catalog file and is read-only")
		assert.Equal(t, "GET, HEAD", res.Header.Get("Allow"))
	}
}

package tmf639_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Seed, "Complete Resource Allocation Summary" and entity map: the pilot's
// six resources, 30 in all, each named (the TMF639 kit wants a name on
// every resource), in use and unlocked.
func TestResourceInventoryAfterTheRollout(t *testing.T) {
	r := apitest.ServeRollout(t)
	coll := tmf630.ResourceInventory + "/resource"
	resources := r.List(t, coll)
	require.Len(t, resources, 30)
	for _, res := range resources {
		assert.NotEmpty(t, res["name"], res["id"])
		assert.IsType(t, "", res["href"])
		assert.Equal(t, "available", res["resourceStatus"], res["id"])
		assert.Equal(t, "active", res["usageState"], res["id"])
		assert.Equal(t, "unlocked", res["administrativeState"], res["id"])
		assert.Equal(t, "available", apitest.Lookup(t, res["resourceCharacteristic"], "lifecycleState"), res["id"])
	}
	for _, c := range []struct{ id, name, typ, base string }{
		{"OLT-SOUTH-03-LC2-P8", "OLT-SOUTH-03 LC2 Port 8", "OLTPort", "PhysicalResource"},
		{"ENT-MEL-VLAN-2108", "VLAN 2108", "VLAN", "LogicalResource"},
		{"SOUTH-ENT-10.88.12.0/29", "10.88.12.0/29", "IPv4Subnet", "LogicalResource"},
		{"BW-500-500-GOLD-ENT-ROI-004", "BW-500-500-GOLD-ENT", "QoSPolicy", "LogicalResource"},
		{"Probe-ENT-1102-MELB", "Probe-ENT-1102-MELB", "TWAMPProbe", "LogicalResource"},
		{"FDO2340567", "ISR-4431 S/N: FDO2340567", "CPE", "PhysicalResource"},
	} {
		res := r.One(t, coll+"/"+url.PathEscape(c.id))
		if c.typ == "CPE" { // the one read adds the router's configuration
			chars := res["resourceCharacteristic"].([]any)
			last := chars[len(chars)-1].(map[string]any)
			assert.Equal(t, "day1Configuration", last["name"])
			res["resourceCharacteristic"] = chars[:len(chars)-1]
		}
		assert.Equal(t, apitest.ByID(t, resources, c.id), res)
		assert.Equal(t, c.name, res["name"])
		assert.Equal(t, c.typ, res["@type"])
		assert.Equal(t, c.base, res["@baseType"])
		assert.Equal(t, coll+"/"+url.PathEscape(c.id), res["href"])
		assert.Equal(t, "MELB", res["place"].(map[string]any)["id"], c.id)
	}
	assert.Equal(t, "FDO2340567", r.One(t, coll+"/FDO2340567")["serialNumber"])
	assert.Equal(t, "10.88.12.0/29", r.One(t, coll+"/SOUTH-ENT-10.88.12.0%2F29")["value"])
	port := r.One(t, coll+"/OLT-SOUTH-03-LC2-P8")
	assert.Equal(t, "2", apitest.Lookup(t, port["resourceCharacteristic"], "lineCard"))
	assert.Equal(t, "8", apitest.Lookup(t, port["resourceCharacteristic"], "port"))
}

func TestResourceInventoryQueries(t *testing.T) {
	r := apitest.ServeRollout(t)
	coll := tmf630.ResourceInventory + "/resource"
	assert.Equal(t, []string{"ENT-MEL-VLAN-2108", "ENT-SYD-VLAN-2232", "ENT-SYD-VLAN-2233", "ENT-BNE-VLAN-2312",
		"ENT-BNE-VLAN-2313"}, apitest.IDsOf(r.List(t, coll+"?@type=VLAN")))
	assert.Equal(t, []string{"ENT-MEL-VLAN-2108"}, apitest.IDsOf(r.List(t, coll+"?name=VLAN%202108")))
	assert.Len(t, r.List(t, coll+"?@baseType=PhysicalResource"), 10, "5 CPE, 3 OLT ports, 2 P2P handoffs")
	assert.Len(t, r.List(t, coll+"?place.id=MELB"), 6)
	assert.Len(t, r.List(t, coll+"?resourceCharacteristic.value=SOUTH-ENT"), 1)
	assert.Empty(t, r.List(t, coll+"?resourceStatus=reserved"))
	for _, res := range r.List(t, coll+"?fields=name&limit=3") {
		assert.ElementsMatch(t, []string{"id", "href", "@type", "name"}, apitest.Keys(res))
	}
	apitest.TMFError(t, r.Call(t, http.MethodGet, coll+"/907d9939-c640-438a-8461-a6bd53924214", ""), http.StatusNotFound,
		"907d9939-c640-438a-8461-a6bd53924214")
	apitest.TMFError(t, r.Call(t, http.MethodGet, coll+"?colour=red", ""), http.StatusBadRequest, "colour")
}

// An installed CE router carries what it was configured with, and a read
// of it renders its Day-1 configuration from them: the site's VLAN
// sub-interface with the CE address of its /29, the QoS policy of its
// tier both ways, the default route to the BNG's gateway, NETCONF on.
func TestCERouterDay1Configuration(t *testing.T) {
	r := apitest.ServeRollout(t)
	router := r.One(t, tmf630.ResourceInventory+"/resource/FDO2340567")
	chars := router["resourceCharacteristic"]
	for name, want := range map[string]string{"customer": "CUST-ENT-1102", "resourceOrderItem": "ROI-006", "vlanId": "2108",
		"ipv4Subnet": "10.88.12.0/29", "bandwidthProfile": "BW-500-500-GOLD-ENT", "slaTier": "Gold"} {
		assert.Equal(t, want, apitest.Lookup(t, chars, name), name)
	}
	config, ok := apitest.Lookup(t, chars, "day1Configuration").(string)
	require.True(t, ok, "a day1Configuration")
	for _, line := range []string{
		"hostname CE-ENT-1102-MELB",
		"! for ROI-006: CUST-ENT-1102 site MELB",
		"interface GigabitEthernet0/0/0.2108\n description BW-500-500-GOLD-ENT VLAN 2108 to the BNG\n encapsulation dot1Q 2108\n ip address 10.88.12.2 255.255.255.248",
		"policy-map BW-500-500-GOLD-ENT-IN\n class ENT-GOLD\n  police cir 500000000\n   conform-action set-dscp-transmit af41",
		"ip route 0.0.0.0 0.0.0.0 10.88.12.1",
		"netconf-yang",
	} {
		assert.Contains(t, config, line)
	}
	assert.NotContains(t, config, "event manager environment", "the call's marker is the adapter's, not the inventory's")
	for _, res := range r.List(t, tmf630.ResourceInventory+"/resource") {
		assert.Nil(t, apitest.Lookup(t, res["resourceCharacteristic"], "day1Configuration"), "lists leave it out: %s", res["id"])
	}
	vlan := r.One(t, tmf630.ResourceInventory+"/resource/ENT-MEL-VLAN-2108")
	assert.Nil(t, apitest.Lookup(t, vlan["resourceCharacteristic"], "day1Configuration"))
}

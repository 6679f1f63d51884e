package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/twin"
)

// Inventory after compensation (catalog failure policy compensate): Sydney
// Office 1's SLA probe is refused after its bearer, VLAN, IP, QoS policy
// and router are in service, so its site is compensated. Every resource
// of the site goes back, and no service of the site stays active on
// them: Fibre Access and CPE Management, completed before the failure,
// end terminated. The other sites are untouched.
func TestCompensatedSiteInventoryIsConsistent(t *testing.T) {
	r := withFaults(t, twin.FaultRule{Name: "nms-refuses-syd1", Kind: twin.Hard,
		Target: twin.FaultTarget{System: "nms", Op: "commit", Site: "SYD1"}})
	require.Equal(t, 1, r.Faults[0].Hits)

	resources := 0
	for _, res := range r.Resources {
		if res.Site == "SYD1" {
			resources++
			assert.Equal(t, "released", res.State, res.ID)
		}
	}
	assert.Equal(t, 6, resources)
	services := map[string]string{}
	for _, svc := range r.ServiceInstances {
		if svc.Site == "SYD1" {
			services[svc.ID] = svc.State
		} else {
			assert.Equal(t, "active", svc.State, svc.ID)
		}
	}
	assert.Equal(t, map[string]string{"SI-FA-ENT-1102-SYD1": "terminated", "SI-CPE-ENT-1102-SYD1": "terminated"}, services)
	for _, it := range r.ProductOrders[0].Items {
		if it.Site == "SYD1" {
			assert.Equal(t, "failed", it.State)
		}
	}
}

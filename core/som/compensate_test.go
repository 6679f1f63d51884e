package som

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// roiEvent is ROM's event about item i of ro, in state with milestone.
func roiEvent(ro *tmf.ResourceOrder, i int, state, milestone, reason string) *tmf.OrderEvent {
	it := ro.Items[i]
	return &tmf.OrderEvent{Type: tmf.ResourceOrderItemStateChange, OrderID: "RO-001", ExternalID: ro.ExternalID,
		Item: &tmf.ItemEvent{ID: it.ID, Handle: it.Handle, State: state, Milestone: milestone, StateReason: reason,
			Instance: tmf.Ref{ID: "R" + it.ID, Name: "v" + it.ID, Type: it.Specification.ID}}}
}

// Seed, Step 5 ("each instance references the allocated resources") under
// a compensated site: the services installed before the site failed end
// terminated once ROM says their resources were released, so no service
// stays active on a router given back to stock. The order's items keep
// their states; a service not yet made is left alone.
func TestCompensatedSiteEndsItsServices(t *testing.T) {
	so := &tmf.ServiceOrder{ExternalID: "PO-1/SO-PILOT", Description: "SO-PILOT",
		RelatedParty: []tmf.Ref{{ID: "CUST-ENT-1102", Role: "customer"}}, Items: siteItems("SOI-00", "MELB", "GPON", 0)}
	s, _, _ := run(t, so, func(e *engine.Engine, ros []*tmf.ResourceOrder) {
		ro := ros[0]
		at := e.Now() + time.Hour
		for _, i := range []int{0, 1, 2, 3, 5} { // bearer, VLAN, IP, QoS, CE router
			e.Inject(at, engine.SOM, roiEvent(ro, i, lc.Completed, "", ""))
		}
		at += time.Hour
		for _, i := range []int{0, 1, 2, 3, 5} {
			e.Inject(at, engine.SOM, roiEvent(ro, i, lc.Completed, lc.Released, ""))
		}
		e.Inject(at, engine.SOM, roiEvent(ro, 4, lc.Failed, "", "NMS refused the probe"))
		e.Inject(at+time.Hour, engine.SOM, roiEvent(ro, 5, lc.Completed, lc.Released, "")) // re-delivered: no-op
	})
	items := s.Orders()[0].Items
	assert.Equal(t, lc.Completed, items[0].State)
	assert.Equal(t, lc.Failed, items[1].State)
	assert.Equal(t, lc.Completed, items[2].State)
	for _, id := range []string{"SI-FA-ENT-1102-MELB", "SI-CPE-ENT-1102-MELB"} {
		svc := s.Services.Get(id)
		require.NotNil(t, svc, id)
		assert.Equal(t, "terminated", svc.State, id)
	}
	assert.Nil(t, s.Services.Get("SI-QOS-ENT-1102-MELB"), "the QoS item failed: its service was never made")
}

// Without compensation a failed step leaves what completed in service.
func TestFailedStepKeepsOtherServices(t *testing.T) {
	so := &tmf.ServiceOrder{ExternalID: "PO-1/SO-PILOT", Description: "SO-PILOT",
		RelatedParty: []tmf.Ref{{ID: "CUST-ENT-1102", Role: "customer"}}, Items: siteItems("SOI-00", "MELB", "GPON", 0)}
	s, _, _ := run(t, so, func(e *engine.Engine, ros []*tmf.ResourceOrder) {
		for _, i := range []int{0, 1, 2, 5} {
			e.Inject(e.Now()+time.Hour, engine.SOM, roiEvent(ros[0], i, lc.Completed, "", ""))
		}
		e.Inject(e.Now()+2*time.Hour, engine.SOM, roiEvent(ros[0], 3, lc.Failed, "", "no QoS template"))
	})
	assert.Equal(t, "active", s.Services.Get("SI-FA-ENT-1102-MELB").State)
	assert.Equal(t, "active", s.Services.Get("SI-CPE-ENT-1102-MELB").State)
}

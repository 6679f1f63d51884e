package rom

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// milestones records the events ROM sends back with each item's milestone.
type milestones struct{ events []string }

func (m *milestones) Handle(now time.Duration, msg any, _ *engine.Out) {
	ev := msg.(*tmf.OrderEvent)
	if ev.Item == nil {
		m.events = append(m.events, fmt.Sprintf("%s %s %s", now, ev.OrderID, ev.State))
		return
	}
	m.events = append(m.events, fmt.Sprintf("%s %s %s %s", now, ev.Item.ID, ev.Item.State, ev.Item.Milestone))
}

// Reference: catalog failure policy "compensate" (docs/architecture.md,
// ROM): a failed site gives back everything it holds. Items completed
// before the failure stay completed with the milestone released, and the
// orderer hears it before the order ends, so that it can end the services
// they supported (seed, Step 5: a service instance references its
// allocated resources; none may stay active on a resource given back).
func TestCompensationTellsReleasedItems(t *testing.T) {
	net := &network{fail: map[string]bool{"ROI-002": true}} // the VLAN, after bearer and router completed
	e := engine.New(engine.Options{})
	r := New(Config{Specs: specs, StartDelay: time.Hour,
		Policy: func(string, string, string) catalog.Policy { return catalog.Policy{Action: catalog.Compensate} }})
	som := &milestones{}
	e.Handle(engine.ROM, r)
	e.Handle(engine.SOM, som)
	e.Attach(net, port.Access, port.VLAN, port.BNG, port.Logistics, port.ZTP)
	e.Inject(0, engine.ROM, melbOrder())
	require.NoError(t, e.Run(context.Background()))

	ro := r.Orders()[0]
	assert.Equal(t, lc.Partial, ro.State)
	for _, i := range []int{0, 2} {
		assert.Equal(t, lc.Completed, ro.Items[i].State, ro.Items[i].ID)
		assert.Equal(t, lc.Released, ro.Items[i].Milestone, ro.Items[i].ID)
		assert.Equal(t, "released", ro.Items[i].Resource.State, ro.Items[i].ID)
	}
	assert.Equal(t, lc.Failed, ro.Items[1].State)
	assert.Equal(t, []string{
		"0s RO-001 acknowledged", "1h0m0s RO-001 inProgress",
		"3h0m0s ROI-001 completed ", "3h0m0s ROI-003 completed installed",
		"4h0m0s ROI-001 completed released", "4h0m0s ROI-003 completed released",
		"4h0m0s ROI-002 failed ", "4h0m0s RO-001 partial",
	}, som.events, "the released items are told before the order ends")
}

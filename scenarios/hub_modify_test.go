package scenarios

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two modify orders on an active site (docs/api.md, change orders: a speed,
// then an SLA tier) change its product and services; they make nothing.
// The TMF637 listener hears the product made, then changed twice
// (ProductAttributeValueChangeEvent, TMF637 v4); the TMF638 listener hears
// the site's three services made, then each modify's changes as
// ServiceAttributeValueChangeEvent: the QoS service, and for the speed the
// Fibre Access service, which carries it; never a second Create for an id.
// The QoS service keeps the date it started.
func TestModifyOrdersOnTheInventoryHubs(t *testing.T) {
	sc := load(t, globaltech)
	spec := sc.Spec
	placed := spec.Orders
	spec.Orders = nil // placed once the listeners are registered
	spec.Events = nil
	sys, st, register := serveHub(t, spec)
	ctx := context.Background()
	products := register(events.ProductInventory.Base, "")
	services := register(events.ServiceInventory.Base, "")
	idle := func() {
		for pending := -1; pending != 0; {
			require.NoError(t, sys.Engine.Query(ctx, func() { pending = sys.Engine.Pending() }))
		}
	}
	for i, p := range placed {
		_, err := sys.Engine.Command(ctx, engine.COM, p.Quote)
		require.NoError(t, err)
		_, err = sys.Engine.Command(ctx, engine.COM, com.OrderRequest{Order: com.NewOrder(p.OrderID, p.Quote, fmt.Sprintf("QT-%03d", i+1))})
		require.NoError(t, err)
	}
	idle()
	var qosStarted tmf.Service
	require.NoError(t, sys.Engine.Query(ctx, func() {
		for _, svc := range sys.SOM.Services.All() {
			if strings.HasPrefix(svc.ID, "SI-QOS-") && svc.Place.ID == "MELB" {
				qosStarted = *svc
			}
		}
	}))
	require.NotEmpty(t, qosStarted.ID, "MELB's QoS service")
	for _, ch := range []com.Change{{Site: "MELB", Speed: "1G-sym"}, {Site: "MELB", Tier: "Platinum"}} {
		_, err := sys.Engine.Command(ctx, engine.COM, ch)
		require.NoError(t, err)
		idle()
	}

	// Each listener gets one event per record of its inventory.
	held, err := st.Records()
	require.NoError(t, err)
	count := map[string]int{}
	for _, r := range held {
		count[r.Kind]++
	}
	heard := func(in *inbox, field string) []string {
		var lines []string
		for _, ev := range in.await(t, count[field]) {
			e := ev.Event[field]
			if id := e["id"].(string); strings.HasSuffix(id, "-MELB") {
				line := ev.EventType + " " + id[:strings.IndexByte(id[3:], '-')+3]
				if s, ok := e["status"]; ok {
					line += " " + s.(string)
				}
				if s, ok := e["state"]; ok {
					line += " " + s.(string)
				}
				lines = append(lines, line)
			}
		}
		return lines
	}
	assert.Equal(t, []string{
		"ProductCreateEvent PI-EFCG active",
		"ProductAttributeValueChangeEvent PI-EFCG active", // 1G-sym, 2400 a month
		"ProductAttributeValueChangeEvent PI-EFCG active", // Platinum
	}, heard(products, "product"))
	assert.Equal(t, []string{
		"ServiceCreateEvent SI-FA active",
		"ServiceCreateEvent SI-CPE active",
		"ServiceCreateEvent SI-QOS active",               // its SLA probe waits for the CE router
		"ServiceAttributeValueChangeEvent SI-QOS active", // its new policy at 1G-sym
		"ServiceAttributeValueChangeEvent SI-FA active",  // its speed
		"ServiceAttributeValueChangeEvent SI-QOS active", // Platinum; the speed is unchanged
	}, heard(services, "service"))
	got := products.await(t, count["product"])
	assert.Len(t, got, count["product"], "each product record once")
	assert.Len(t, services.await(t, count["service"]), count["service"], "each service record once")
	for _, ev := range got {
		if ev.EventType == "ProductAttributeValueChangeEvent" {
			assert.Contains(t, ev.Description, "speed 500M-sym → 1G-sym", "the first says what changed")
			break
		}
	}

	// GET shows the changes: the product's, and both services'.
	require.NoError(t, sys.Engine.Query(ctx, func() {
		for _, p := range sys.COM.Products.All() {
			if p.Place.ID == "MELB" {
				assert.Equal(t, "1G-sym", p.Characteristics.Get("speed"))
				assert.Equal(t, "Platinum", p.Characteristics.Get("slaTier"))
			}
		}
		for _, svc := range sys.SOM.Services.All() {
			if svc.Place.ID != "MELB" {
				continue
			}
			switch {
			case strings.HasPrefix(svc.ID, "SI-FA-"):
				assert.Equal(t, "1G-sym", svc.Characteristics.Get("speed"), "the access service's speed follows the product's")
			case strings.HasPrefix(svc.ID, "SI-QOS-"):
				assert.Equal(t, "Platinum", svc.Characteristics.Get("slaTier"))
				assert.Equal(t, qosStarted.StartDate, svc.StartDate, "a modify keeps the date the service started")
				assert.Equal(t, qosStarted.Ord, svc.Ord)
			}
		}
	}))
}

package som

import (
	"context"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// capture is a component that keeps what it is sent.
// capture keeps the messages it is sent, as a component in SOM's process
// must: copies of those SOM takes back once handled (a resource order, an
// event), which it empties then.
type capture struct{ msgs []any }

func (c *capture) Handle(_ time.Duration, msg any, _ *engine.Out) {
	switch m := msg.(type) {
	case *tmf.ResourceOrder:
		kept := *m
		msg = &kept
	case *tmf.OrderEvent:
		kept := *m
		if m.Item != nil {
			item := *m.Item
			kept.Item = &item
		}
		msg = &kept
	}
	c.msgs = append(c.msgs, msg)
}

func loadCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load("../../scenarios/catalog/enterprise.yaml")
	require.NoError(t, err)
	return c
}

// soi builds a service order item the way COM does for the worked example.
func soi(id, cfs, site string, handle int, chars ...string) tmf.ServiceOrderItem {
	it := tmf.ServiceOrderItem{ID: id, Action: tmf.Add, Handle: handle,
		Service: tmf.Service{Specification: tmf.Ref{ID: cfs}, Place: tmf.Place{ID: site, Address: site + " street"}}}
	for i := 0; i+1 < len(chars); i += 2 {
		it.Service.Characteristics = append(it.Service.Characteristics, tmf.Characteristic{Name: chars[i], Value: chars[i+1]})
	}
	return it
}

func siteItems(prefix, code, tech string, handle int) []tmf.ServiceOrderItem {
	where := []string{"oltArea", "SOUTH-03"}
	if tech == "P2P-Ethernet" {
		where = []string{"exchange", "SYD-EX-01"}
	}
	access := append([]string{"speed", "500M-sym", "technology", tech}, where...)
	return []tmf.ServiceOrderItem{
		soi(prefix+"1", "CFS:Fibre-Access", code, handle, append(access, "ipPool", "SOUTH-ENT")...),
		soi(prefix+"2", "CFS:Enterprise-QoS", code, handle+1, "slaTier", "Gold", "availability", "99.95%", "latencyMs", "10", "lossPct", "0.01"),
		soi(prefix+"3", "CFS:CPE-Management", code, handle+2, "model", "ISR-4431", "config", "enterprise-fibre"),
	}
}

func run(t *testing.T, so *tmf.ServiceOrder, feed func(e *engine.Engine, ros []*tmf.ResourceOrder)) (*SOM, *capture, []*tmf.ResourceOrder) {
	t.Helper()
	e := engine.New(engine.Options{})
	s := New(Config{Catalog: loadCatalog(t), PlanDelay: time.Hour})
	com, rom := &capture{}, &capture{}
	e.Handle(engine.SOM, s)
	e.Handle(engine.COM, com)
	e.Handle(engine.ROM, rom)
	e.Inject(0, engine.SOM, so)
	require.NoError(t, e.Run(context.Background()))
	var ros []*tmf.ResourceOrder
	for _, m := range rom.msgs {
		ros = append(ros, m.(*tmf.ResourceOrder))
	}
	if feed != nil {
		feed(e, ros)
		require.NoError(t, e.Run(context.Background()))
	}
	return s, com, ros
}

// CFS → RFS decomposition per site with the catalog's plan: one resource
// order per site, six items, the seed's dependency table (Step 3).
func TestDecomposition(t *testing.T) {
	so := &tmf.ServiceOrder{ExternalID: "PO-1/SO-WAVE1", Description: "SO-WAVE1",
		RelatedParty: []tmf.Ref{{ID: "CUST-ENT-1102", Role: "customer"}},
		Items:        append(siteItems("SOI-00", "MELB", "GPON", 0), siteItems("SOI-01", "SYD1", "P2P-Ethernet", 3)...)}
	s, _, ros := run(t, so, nil)
	require.Len(t, ros, 2)
	assert.Equal(t, lc.InProgress, s.Orders()[0].State)
	mel, syd := ros[0], ros[1]
	assert.Equal(t, "MELB", mel.Place.ID)
	assert.Equal(t, "SYD1", syd.Place.ID)
	rfs := func(ro *tmf.ResourceOrder) (out []string) {
		for _, it := range ro.Items {
			out = append(out, it.Specification.Name)
		}
		return out
	}
	assert.Equal(t, []string{"RFS:GPON-Bearer", "RFS:VLAN-Service", "RFS:IP-Profile", "RFS:QoS-Policy", "RFS:SLA-Monitoring", "RFS:CE-Router"}, rfs(mel))
	assert.Equal(t, "RFS:P2P-Bearer", rfs(syd)[0])
	assert.Equal(t, "SYD-EX-01", syd.Items[0].Characteristics.Get("exchange"))
	assert.Equal(t, "ROI-001", mel.Items[0].ID)
	assert.Equal(t, "ROI-007", syd.Items[0].ID)
	deps := map[string][]string{}
	for _, it := range mel.Items {
		deps[it.Specification.Name] = it.DependsOn
	}
	assert.Equal(t, map[string][]string{
		"RFS:GPON-Bearer": nil, "RFS:CE-Router": nil,
		"RFS:VLAN-Service": {"ROI-001"}, "RFS:IP-Profile": {"ROI-002"},
		"RFS:QoS-Policy": {"ROI-001"}, "RFS:SLA-Monitoring": {"ROI-004"},
	}, deps)
	chars := mel.Items[0].Characteristics
	assert.Equal(t, "1G", chars.Get("bearerSpeed"))
	assert.Equal(t, "SOUTH-03", chars.Get("oltArea"))
	assert.Equal(t, "SOUTH-ENT", mel.Items[2].Characteristics.Get("pool"))
	assert.Equal(t, "500M-sym", mel.Items[3].Characteristics.Get("speed"), "QoS takes the speed of the access item")
	assert.Equal(t, "10", mel.Items[4].Characteristics.Get("latencyMs"))
}

// A CFS item completes when the RFS items of its completion mapping do:
// Fibre Access = bearer + VLAN + IP (Step 5).
func TestCompletionMapping(t *testing.T) {
	so := &tmf.ServiceOrder{ExternalID: "PO-1/SO-PILOT", Description: "SO-PILOT",
		RelatedParty: []tmf.Ref{{ID: "CUST-ENT-1102", Role: "customer"}}, Items: siteItems("SOI-00", "MELB", "GPON", 0)}
	done := func(ro *tmf.ResourceOrder, i int) *tmf.OrderEvent {
		it := ro.Items[i]
		return &tmf.OrderEvent{Type: tmf.ResourceOrderItemStateChange, OrderID: "RO-001", ExternalID: ro.ExternalID,
			Item: &tmf.ItemEvent{ID: it.ID, Handle: it.Handle, State: lc.Completed, Instance: tmf.Ref{ID: "R" + it.ID, Name: "v" + it.ID, Type: it.Specification.ID}}}
	}
	s, com, _ := run(t, so, func(e *engine.Engine, ros []*tmf.ResourceOrder) {
		for _, i := range []int{0, 1} {
			e.Inject(e.Now()+time.Hour, engine.SOM, done(ros[0], i))
		}
		e.Inject(e.Now()+2*time.Hour, engine.SOM, done(ros[0], 1)) // re-delivered: no-op
		e.Inject(e.Now()+3*time.Hour, engine.SOM, done(ros[0], 2))
	})
	items := s.Orders()[0].Items
	assert.Equal(t, lc.Completed, items[0].State, "bearer, VLAN and IP done")
	assert.Equal(t, lc.InProgress, items[1].State)
	assert.Equal(t, lc.InProgress, items[2].State)
	svc := s.Services.Get("SI-FA-ENT-1102-MELB")
	require.NotNil(t, svc)
	assert.Equal(t, []tmf.Ref{{ID: "RROI-001", Name: "vROI-001", Type: "OLTPort"}, {ID: "RROI-002", Name: "vROI-002", Type: "VLAN"}, {ID: "RROI-003", Name: "vROI-003", Type: "IPv4Subnet"}}, svc.SupportingRes)
	var completed []string
	for _, m := range com.msgs {
		if ev := m.(*tmf.OrderEvent); ev.Item != nil {
			completed = append(completed, ev.Item.ID+" "+ev.Item.State)
			assert.Equal(t, 0, ev.Item.Handle, "COM's handle echoed")
		}
	}
	assert.Equal(t, []string{"SOI-001 completed"}, completed)
}

// A failed resource item fails the CFS item it realises, with the reason.
func TestFailurePropagates(t *testing.T) {
	so := &tmf.ServiceOrder{ExternalID: "PO-1/SO-PILOT", Description: "SO-PILOT", Items: siteItems("SOI-00", "MELB", "GPON", 0)}
	s, _, _ := run(t, so, func(e *engine.Engine, ros []*tmf.ResourceOrder) {
		it := ros[0].Items[5]
		e.Inject(e.Now(), engine.SOM, &tmf.OrderEvent{Type: tmf.ResourceOrderItemStateChange, OrderID: "RO-001", ExternalID: ros[0].ExternalID,
			Item: &tmf.ItemEvent{ID: it.ID, Handle: it.Handle, State: lc.Failed, StateReason: "no ISR-4431 in stock"}})
	})
	it := s.Orders()[0].Items[2]
	assert.Equal(t, lc.Failed, it.State)
	assert.Equal(t, "ROI-006 failed: no ISR-4431 in stock", it.StateReason)
}

// A site with an unknown technology cannot be decomposed: its items fail
// with a reason naming it.
func TestUnknownTechnology(t *testing.T) {
	so := &tmf.ServiceOrder{ExternalID: "PO-1/SO-PILOT", Description: "SO-PILOT", Items: siteItems("SOI-00", "MELB", "DSL", 0)}
	s, _, ros := run(t, so, nil)
	assert.Empty(t, ros)
	assert.Equal(t, lc.Failed, s.Orders()[0].State)
	assert.Contains(t, s.Orders()[0].Items[0].StateReason, `technology "DSL"`)
}

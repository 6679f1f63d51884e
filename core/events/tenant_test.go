package events_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
)

// parties are the customers of the entities the tests' records are about.
var parties = map[string]string{"productOrder/PO-1": "CUST-A", "productOrder/PO-2": "CUST-B", "quote/QT-001": "CUST-A"}

// Party implements events.Parties for the tests' directory.
func (d *directory) Party(_ context.Context, field, id string) (string, error) {
	return parties[field+"/"+id], nil
}

// A listener registered by a caller bound to a party hears of that
// party's orders only, never of another's; one that is not bound hears of
// all; the catalogs' events are everyone's.
func TestTenantListenersHearTheirPartyOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.open()
		defer r.stop()
		all := r.listen("HUB-001", "ops.test", "", events.ProductOrdering)
		partner := r.listenAs("HUB-002", "a.test", "CUST-A", events.ProductOrdering)
		catalog := r.listenAs("HUB-003", "cat.test", "CUST-A", events.ProductCatalog)
		r.commit(
			transition("productOrder", "PO-1", "", "acknowledged", "create", 0),
			transition("productOrder", "PO-2", "", "acknowledged", "create", 0),
			transition("productOrder", "PO-3", "", "acknowledged", "create", 0),
			store.Record{Kind: "productOffering", Entity: "POD-001", System: "API", To: "created", Event: "create"},
		)
		assert.Equal(t, []string{"4 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged",
			"5 ProductOrderCreateEvent productOrder:PO-2 state=acknowledged",
			"6 ProductOrderCreateEvent productOrder:PO-3 state=acknowledged"}, summary(all.events()))
		assert.Equal(t, []string{"4 ProductOrderCreateEvent productOrder:PO-1 state=acknowledged"}, summary(partner.events()),
			"PO-2 is another party's, PO-3 no party's")
		assert.Len(t, catalog.events(), 1, "the catalog's events are everyone's")
	})
}

// listenAs registers a listener bound to tenant.
func (r *rig) listenAs(id, host, tenant string, api *events.API) *callback {
	cb := &callback{}
	r.net.set(host, cb)
	r.dir.register(events.Listener{ID: id, Callback: "http://" + host + "/events", Base: api.Base, Tenant: tenant})
	r.commit(store.Record{Kind: "hub", Entity: id, System: "API", To: "created", Event: "create"})
	return cb
}

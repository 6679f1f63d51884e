package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The table's defaults: a route it does not name is admin's alone; a
// route without a method (it answers 405) or no route (404) is open to
// whoever is authenticated; /metrics is public only when configured.
func TestPolicyDefaults(t *testing.T) {
	p := NewPolicy(false)
	sales := Identity{Subject: "s", Roles: []Role{Sales}, Tenant: "CUST-1"}
	admin := Identity{Subject: "a", Roles: []Role{Admin}}
	assert.False(t, p.Allows(sales, "PUT /tmf-api/productOrderingManagement/v4/somethingNew"))
	assert.True(t, p.Allows(admin, "PUT /tmf-api/productOrderingManagement/v4/somethingNew"))
	assert.True(t, p.Allows(sales, "/tmf-api/productCatalogManagement/v4/catalog"))
	assert.True(t, p.Allows(sales, ""))
	assert.True(t, p.Allows(sales, "/"))
	assert.True(t, p.Public("GET /healthz"))
	assert.True(t, p.Public("GET /readyz"))
	assert.False(t, p.Public("GET /metrics"))
	assert.True(t, NewPolicy(true).Public("GET /metrics"))
	assert.False(t, p.Allows(Identity{Subject: "x", Roles: []Role{Peer}}, "GET /tmf-api/productOrderingManagement/v4/productOrder"),
		"a peer only delivers its messages")
}

// An identity with several roles may do what any of them may; one with
// any role that acts across parties is not bound to its tenant.
func TestIdentityScope(t *testing.T) {
	mixed := Identity{Subject: "m", Roles: []Role{Sales, Operations}, Tenant: "CUST-1"}
	assert.False(t, mixed.Scoped())
	assert.True(t, mixed.Sees("CUST-2"))
	partner := Identity{Subject: "p", Roles: []Role{Partner}, Tenant: "CUST-1"}
	assert.True(t, partner.Scoped())
	assert.True(t, partner.Sees("CUST-1"))
	assert.False(t, partner.Sees("CUST-2"))
	assert.False(t, partner.Sees(""), "an entity of no party is not a partner's")
	assert.True(t, Identity{Roles: []Role{ApproverCommercial}}.Decides("commercial"))
	assert.False(t, Identity{Roles: []Role{ApproverCommercial}}.Decides("technical"))
	assert.True(t, Identity{Roles: []Role{Admin}}.Decides("customer"))
}

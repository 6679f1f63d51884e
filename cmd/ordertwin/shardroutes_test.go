package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store/postgres"
)

// Where a sharded instance sends a request (docs/api.md, "Several
// instances on one database"): a new order to its customer's shard, an
// entity to the shard its id's number names (an id of no number: from
// shard 0 on), a list of what the shards share out to every shard, a
// catalogue to one, a hub registration to every shard.
func TestShardRoutes(t *testing.T) {
	h := &shardHost{shardServe: shardServe{shards: 4}}
	order := `{"relatedParty":[{"id":"ACME","role":"bill receiver"},{"id":"CUST-ENT-00042","role":"customer"}]}`
	r := httptest.NewRequest("POST", "/tmf-api/productOrderingManagement/v4/productOrder", strings.NewReader(order))
	shard, byID := h.shardOf(r, []byte(order))
	assert.Equal(t, postgres.ShardOf("CUST-ENT-00042", 4), shard, "the customer's shard")
	assert.False(t, byID)

	for path, want := range map[string]int{
		"/tmf-api/productOrderingManagement/v4/productOrder/PO-007":           2, // 7 = 1 + 2 + 4
		"/tmf-api/serviceOrdering/v4/serviceOrder/SO-004":                     3,
		"/tmf-api/resourceInventoryManagement/v4/resource/OLT-1-LC1-P3":       0, // the network names it: shard 0 first
		"/tmf-api/productOrderingManagement/v4/productOrder/ORDER-FROM-A-CPQ": 0, // no number: shard 0 first
	} {
		shard, byID := h.shardOf(httptest.NewRequest("GET", path, nil), nil)
		assert.Equal(t, want, shard, path)
		assert.True(t, byID, path)
	}
	shard, _ = h.shardOf(httptest.NewRequest("GET", "/tmf-api/productOrderingManagement/v4/productOrder?state=completed", nil), nil)
	assert.Equal(t, -1, shard, "a list is no one shard's")

	for path, want := range map[string]bool{
		"/tmf-api/productOrderingManagement/v4/productOrder":       true,
		"/tmf-api/quoteManagement/v4/quote":                        true,
		"/tmf-api/resourceInventoryManagement/v4/resource":         true,
		"/ordertwin/v1/worklist":                                   true,
		"/tmf-api/productCatalogManagement/v4/productOffering":     false, // every shard's alike
		"/tmf-api/productOrderingManagement/v4/hub":                false,
		"/tmf-api/productOrderingManagement/v4/productOrder/PO-01": false,
	} {
		assert.Equal(t, want, mergedList(path), path)
	}
	assert.True(t, hubPath("/tmf-api/productOrderingManagement/v4/hub"))
	assert.True(t, hubPath("/tmf-api/serviceOrdering/v4/hub/HUB-002"))
	assert.False(t, hubPath("/tmf-api/productOrderingManagement/v4/productOrder"))
}

// An instance whose --advertise reaches another instance is refused at
// start; one that does not answer there, or not as an instance, is told.
func TestReachSelf(t *testing.T) {
	first := &shardHost{client: http.DefaultClient, instance: "first"}
	srv := httptest.NewServer(first)
	defer srv.Close()
	first.self = srv.URL
	require.NoError(t, first.reachSelf(t.Context()))

	second := &shardHost{shardServe: shardServe{self: srv.URL}, client: http.DefaultClient, instance: "second"}
	err := second.reachSelf(t.Context())
	require.ErrorIs(t, err, errNotThisInstance)
	assert.Contains(t, err.Error(), srv.URL)

	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	second.self = other.URL
	err = second.reachSelf(t.Context())
	require.Error(t, err)
	assert.NotErrorIs(t, err, errNotThisInstance, "a proxy may answer for it")
	assert.Contains(t, err.Error(), "404")

	other.Close()
	err = second.reachSelf(t.Context())
	require.Error(t, err)
	assert.NotErrorIs(t, err, errNotThisInstance)
	assert.Contains(t, err.Error(), "does not answer here")
}

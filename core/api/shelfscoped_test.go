package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/ordertwin/ordertwin/ui"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §7 a caller bound to a party lists what that party has on the shelf
// the same as what it had in memory: a server whose finished orders all
// left memory answers every list of the worked example, whole, in pages
// and filtered, as the server that kept them, to the customer, to another
// party (nothing) and to an unscoped caller.
func TestScopedListsOfRetiredEntities(t *testing.T) {
	kept := serveGuarded(t)
	mem := store.NewMemory()
	gone := serveGuardedWith(t, scenarios.Options{Journal: mem, Log: mem, Retention: time.Hour})
	shelved, err := mem.ShelvedAll("productOrder")
	require.NoError(t, err)
	require.NotEmpty(t, shelved, "the orders left memory")
	seen := 0
	for _, c := range []caller{
		{name: "sales", role: auth.Sales, tenant: ownParty},
		{name: "partner", role: auth.Partner, tenant: ownParty},
		{name: "sales-other", role: auth.Sales, tenant: otherParty},
		{name: "operations", role: auth.Operations},
	} {
		for _, list := range []string{ordersPath, quotesPath, tmf630.ProductInventory + "/product", tmf630.ServiceInventory + "/service",
			tmf630.ResourceInventory + "/resource", tmf630.ServiceOrdering + "/serviceOrder", tmf630.ResourceOrdering + "/resourceOrder"} {
			for _, page := range []string{"", "?limit=1", "?offset=1&limit=2", "?offset=3&limit=100", "?offset=40", "?state=completed",
				"?state=completed&offset=1&limit=1", "?id=nothing"} {
				path := list + page
				wk, wg := kept.do(t, c, "GET", path, ""), gone.do(t, c, "GET", path, "")
				require.Equal(t, wk.Code, wg.Code, "%s %s", c, path)
				if wk.Code != http.StatusOK {
					continue
				}
				var want, got []map[string]any
				require.NoError(t, json.Unmarshal(wk.Body.Bytes(), &want))
				require.NoError(t, json.Unmarshal(wg.Body.Bytes(), &got))
				assert.Equal(t, want, got, "%s %s", c, path)
				assert.Equal(t, wk.Header().Get("X-Total-Count"), wg.Header().Get("X-Total-Count"), "%s %s", c, path)
				if c.tenant == ownParty {
					seen += len(got)
				}
			}
		}
	}
	assert.Positive(t, seen, "the customer sees its own")
}

// The party of an entity that left memory is the shelf's: a caller bound
// to a party is sent the records of its quotes, orders and products on the
// console's stream once they left memory too (it was sent none of them).
func TestPartyOfRetiredEntities(t *testing.T) {
	mem := store.NewMemory()
	gone := serveGuardedWith(t, scenarios.Options{Journal: mem, Log: mem, Retention: time.Hour})
	parties, ok := gone.srv.Listeners().(ui.Parties)
	require.True(t, ok)
	for field, kind := range map[string]string{"productOrder": "productOrder", "quote": "quote", "product": "product"} {
		shelved, err := mem.ShelvedAll(kind)
		require.NoError(t, err)
		require.NotEmpty(t, shelved, "%s: it left memory", kind)
		party, err := parties.Party(context.Background(), field, shelved[0].ID)
		require.NoError(t, err)
		assert.Equal(t, ownParty, party, "%s %s", field, shelved[0].ID)
	}
	party, err := parties.Party(context.Background(), "productOrder", "PO-NOPE")
	require.NoError(t, err)
	assert.Empty(t, party)
}

// What-ifs are their party's: a caller bound to another party neither
// lists, reads nor cancels them, an unscoped one does; and one party's
// callers may keep two waiting, not the whole queue.
func TestWhatIfsOfAParty(t *testing.T) {
	g := serveGuarded(t)
	own := caller{name: "sales", role: auth.Sales, tenant: ownParty}
	other := caller{name: "sales-other", role: auth.Sales, tenant: otherParty}
	ops := caller{name: "operations", role: auth.Operations}
	var ids []string
	post := func(c caller) *httptest.ResponseRecorder {
		w := g.do(t, c, "POST", ui.WhatIfPath, `{"scenario":"globaltech-5site.yaml","runs":300}`)
		var job struct{ ID string }
		if w.Code == http.StatusCreated {
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &job))
			ids = append(ids, job.ID)
		}
		return w
	}
	defer func() {
		for _, id := range ids {
			g.do(t, ops, "DELETE", ui.WhatIfPath+"/"+id, "")
		}
	}()
	for range 3 { // one runs, two wait
		require.Equal(t, http.StatusCreated, post(own).Code)
	}
	w := post(own)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Contains(t, w.Body.String(), "2 what-ifs of party "+ownParty+" wait already")
	assert.Equal(t, http.StatusCreated, post(other).Code, "another party is not kept out")

	count := func(c caller) int {
		var list []map[string]any
		w := g.do(t, c, "GET", ui.WhatIfPath, "")
		require.Equal(t, http.StatusOK, w.Code)
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &list))
		return len(list)
	}
	assert.Equal(t, 3, count(own))
	assert.Equal(t, 1, count(other))
	assert.Equal(t, 4, count(ops))
	assert.Equal(t, http.StatusNotFound, g.do(t, other, "GET", ui.WhatIfPath+"/"+ids[0], "").Code)
	assert.Equal(t, http.StatusNotFound, g.do(t, other, "DELETE", ui.WhatIfPath+"/"+ids[0], "").Code)
	assert.Equal(t, http.StatusOK, g.do(t, own, "GET", ui.WhatIfPath+"/"+ids[0], "").Code)
}

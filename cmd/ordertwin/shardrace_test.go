package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/com"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/storetest"
	"github.com/ordertwin/ordertwin/scenarios"
)

// Orders for the last free port of an exchange, placed at once through
// three instances of one deployment (serve --shards 3 on PostgreSQL), one
// customer in each shard: each shard's twin sees the port free when its
// order is quoted, and the one allocation authority (the ledger) gives it
// to exactly one; the others are held for capacity, as one instance holds
// the second of two sites for one port (brisbane-capacity.yaml).
func TestShardsLastPortRace(t *testing.T) {
	if testing.Short() {
		t.Skip("three instances on PostgreSQL")
	}
	url := storetest.Postgres(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	bin := buildOrdertwin(t)

	// The live default's network with one port left at Brisbane; its
	// worked example's billing account is every racing customer's.
	dir := t.TempDir()
	lib, err := filepath.Abs("../../scenarios")
	require.NoError(t, err)
	network, err := os.ReadFile(filepath.Join(lib, "networks", "au-east.yaml"))
	require.NoError(t, err)
	shared := strings.Replace(string(network), "{account: ACC-ENT-3384, customer: CUST-ENT-1102,", "{account: ACC-ENT-3384,", 1)
	require.NotEqual(t, string(network), shared)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "network.yaml"), []byte(shared), 0o644))
	scenario := filepath.Join(dir, "one-port-left.yaml")
	require.NoError(t, os.WriteFile(scenario, fmt.Appendf(nil, `version: 1
name: one port left at the Brisbane exchange
seed: 7
start: "2024-06-03T09:00:00+10:00"
catalog: %s/catalog/enterprise.yaml
network: network.yaml
occupancy:
  - {olt: OLT-BNE-07, slot: 1, occupied: "1-15"}
`, lib), 0o644))

	const shards = 3
	logs := &lockedBuffer{}
	var instances []*instance
	stopAll(t, logs, &instances)
	for range shards {
		instances = append(instances, startInstance(t, bin, logs, scenario, "--db", url, "--shards", strconv.Itoa(shards),
			"--addr", "127.0.0.1:0", "--scale", "100000"))
	}
	waitOwners(t, url, 30*time.Second, func(o map[int]string) bool {
		return len(o) == shards && len(countBy(o)) == shards
	})
	token := shardToken(t, url)
	for _, in := range instances { // each knows where every shard runs
		require.Eventually(t, func() bool {
			resp, err := http.Get(in.base + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		}, 30*time.Second, 20*time.Millisecond, "%s ready", in.base)
	}

	// A one-site quote for a Brisbane office, for a customer of each shard.
	worked, err := scenarios.LoadLibrary("brisbane-capacity.yaml")
	require.NoError(t, err)
	base := worked.Spec.Orders[0].Quote
	var site com.Site
	for _, s := range base.Sites {
		if s.Code == "BNE2" {
			site = s
		}
	}
	base.Waves = []com.WavePlan{{Name: site.Wave, Target: 30 * 24 * time.Hour}}
	base.Sites = []com.Site{site}
	customers := make([]string, shards)
	for n, found := 0, 0; found < shards; n++ {
		id := fmt.Sprintf("CUST-RACE-%03d", n)
		if s := postgres.ShardOf(id, shards); customers[s] == "" {
			customers[s], found = id, found+1
		}
	}

	// Placed at once, each through an instance that does not run its
	// customer's shard (forwarded there).
	orders := make([]string, shards)
	var placing sync.WaitGroup
	for s, customer := range customers {
		placing.Go(func() {
			q := base
			q.Customer.ID, q.Customer.Name = customer, "Race "+customer
			c := &client{base: instances[(s+1)%shards].base, http: &http.Client{Timeout: 30 * time.Second}, token: token}
			// A shard still settling on its instance answers 503 with
			// Retry-After: a client sends the same request again.
			post := func(path, key string, body, out any) (err error) {
				for range 20 {
					var status *statusError
					if err = c.post(context.Background(), path, key, body, out); !errors.As(err, &status) || status.status != http.StatusServiceUnavailable {
						return err
					}
					time.Sleep(500 * time.Millisecond)
				}
				return err
			}
			var quote tmf648.Quote
			if err := post(tmf630.QuoteManagement+"/quote", "race-"+customer, tmf648.NewQuoteBody(q, "AUD"), &quote); err != nil {
				t.Errorf("quote for %s: %v", customer, err)
				return
			}
			var po tmf622.ProductOrder
			if err := post(tmf630.ProductOrdering+"/productOrder", "race-"+customer,
				tmf622.NewOrderBody(quote.ID, q, "race-"+customer), &po); err != nil {
				t.Errorf("order for %s: %v", customer, err)
				return
			}
			orders[s] = po.ID
		})
	}
	placing.Wait()
	require.False(t, t.Failed())

	// Each site is revalidated (the port taken, or not) half an hour after
	// its order: then one is on its way and the others held for capacity.
	// The one that took the port may still be acknowledged when the others
	// are held (its item moves on a step later): it is waited for too.
	c := &client{base: instances[0].base, http: &http.Client{Timeout: 30 * time.Second}, token: token}
	states := map[string]string{}
	require.Eventually(t, func() bool {
		clear(states)
		held, onItsWay := 0, 0
		for _, id := range orders {
			var po tmf622.ProductOrder
			if err := c.get(context.Background(), tmf630.ProductOrdering+"/productOrder/"+id, &po); err != nil || len(po.ProductOrderItem) != 1 {
				return false
			}
			it := po.ProductOrderItem[0]
			states[id] = it.State
			switch it.State {
			case lc.Held:
				states[id] += ": " + it.StateReason
				held++
			case lc.InProgress, lc.Completed:
				onItsWay++
			}
		}
		return held == shards-1 && held+onItsWay == shards
	}, time.Minute, 50*time.Millisecond, "all but one site held, that one on its way: %v", states)
	t.Logf("the orders for the last port: %v", states)
	for _, st := range states {
		if strings.HasPrefix(st, lc.Held) {
			assert.Contains(t, st, "no OLT capacity", "held for capacity")
		} else {
			assert.Contains(t, []string{lc.InProgress, lc.Completed}, st, "the one that has the port")
		}
	}

	// The network: the winner's port allocated once its resource order
	// runs, one port of the exchange's line card in use across the shards.
	ports := map[string]int{}
	require.Eventually(t, func() bool {
		clear(ports)
		for s := range shards {
			for _, r := range listAll(t, c.base, token, s, "/tmf-api/resourceInventoryManagement/v4/resource?fields=@type,resourceCharacteristic") {
				if strings.HasPrefix(r.ID, "OLT-BNE-07") {
					ports[r.ID]++
				}
			}
		}
		return len(ports) > 0
	}, time.Minute, 100*time.Millisecond, "the winner's port allocated")
	t.Logf("ports of OLT-BNE-07 in use: %v", ports)
	assert.Len(t, ports, 1, "exactly one order has the last port: one port of OLT-BNE-07 allocated across the shards")
	for id, n := range ports {
		assert.Equal(t, 1, n, "%s is allocated in %d shards", id, n)
	}
}

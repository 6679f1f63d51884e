package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/storetest"
)

// submit --watch through an instance of a deployment of two (serve
// --shards 2 on PostgreSQL) that does not run the customer's shard: the
// deployment refuses a stream that names no shard and says how many it
// has, and submit follows the stream of the order's shard, relayed from
// the instance that runs it, to the order's end.
func TestSubmitWatchOnShards(t *testing.T) {
	url := storetest.Postgres(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // the development issuer's key of the database
	bin := buildOrdertwin(t)
	logs := &lockedBuffer{}
	var instances []*instance
	stopAll(t, logs, &instances)
	start := func() {
		instances = append(instances, startInstance(t, bin, logs, "--db", url, "--shards", "2", "--addr", "127.0.0.1:0", "--scale", "864000"))
	}
	start()
	waitOwners(t, url, 30*time.Second, func(o map[int]string) bool { return len(o) == 2 })
	start()
	owners := waitOwners(t, url, 30*time.Second, func(o map[int]string) bool { return slices.Equal(countBy(o), []int{1, 1}) })
	const customer = "CUST-ENT-1102" // the worked example's
	front := instances[0]
	if owners[postgres.ShardOf(customer, 2)] == front.base {
		front = instances[1]
	}

	// Ready: the instance knows where every shard runs (it learns at each
	// poll of the leases).
	require.Eventually(t, func() bool {
		resp, err := http.Get(front.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond)

	var out strings.Builder
	token := devToken(t, url, auth.Sales, customer)
	require.NoError(t, submitCmd(context.Background(), []string{"--to", front.base, "--token", token, "--watch", example}, &out))
	assert.NotContains(t, out.String(), "polling", "followed on the stream")
	assert.Regexp(t, `(?m)^P\S* +\S+  Pilot +item POI-\S+ \(MELB\) inProgress → completed`, out.String())
	assert.Regexp(t, `(?m)^P\S* +\S+  - +order PO-\S+ inProgress → completed$`, out.String())
}

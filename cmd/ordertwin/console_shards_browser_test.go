package main

import (
	"context"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store/storetest"
	"github.com/ordertwin/ordertwin/ui"
)

// The console of a deployment of several instances on PostgreSQL (serve
// --shards 2, two instances, a shard each): the page, signed in at one
// instance, reads both shards' streams side by side (the other instance's
// relayed through this one) and lists the orders of both. The other
// instance stops mid-run, and this one takes its shard over: the page's
// stream of that shard reconnects and resumes where it was. When the
// rollout has ended, the page has every record of each shard once, in
// order, and it offers none of the controls a deployment does not serve.
func TestConsoleOnShardsInBrowser(t *testing.T) {
	ctx := browser(t)
	url := storetest.Postgres(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // the development issuer's key of the database
	bin := buildOrdertwin(t)
	logs := &lockedBuffer{}
	var instances []*instance
	start := func() *instance {
		in := startInstance(t, bin, logs, "../../scenarios/v2-change-storm.yaml", "--db", url, "--shards", "2",
			"--addr", "127.0.0.1:0", "--scale", "172800")
		instances = append(instances, in)
		return in
	}
	stopAll(t, logs, &instances)
	front := start()
	waitOwners(t, url, 30*time.Second, func(o map[int]string) bool { return len(o) == 2 })
	other := start()
	waitOwners(t, url, 30*time.Second, func(o map[int]string) bool { return slices.Equal(countBy(o), []int{1, 1}) })

	token := devToken(t, url, auth.Operations, "")
	signInWith(t, ctx, front.base+"/", token)
	poll(t, ctx, "both shards' streams", `ordertwin.stats().streams === 2 && document.querySelector("#status").dataset.state === "live"`, 30*time.Second)
	poll(t, ctx, "records of both shards", `ordertwin.streams().every((s) => s.received > 0)`, time.Minute)
	poll(t, ctx, "orders of both shards", `document.querySelectorAll("#orders tbody tr").length > 0`, time.Minute)

	// Mid-run, the other instance stops; this one takes its shard.
	require.NoError(t, other.cmd.Process.Signal(os.Interrupt))
	require.NoError(t, other.cmd.Wait())
	waitOwners(t, url, 30*time.Second, func(o map[int]string) bool { return len(o) == 2 && o[0] == front.base && o[1] == front.base })
	poll(t, ctx, "the moved shard's stream again", `ordertwin.stats().reconnects >= 1 && document.querySelector("#status").dataset.state === "live"`, time.Minute)

	// The rollout ends: every order final, and no record left to send.
	c := &client{base: front.base, http: &http.Client{Timeout: 30 * time.Second}, token: token}
	var orders []struct{ ID, State string }
	require.Eventually(t, func() bool {
		orders = nil
		if err := c.get(context.Background(), tmf630.ProductOrdering+"/productOrder?fields=id,state&limit=1000", &orders); err != nil {
			t.Log(err)
			return false
		}
		return len(orders) > 0 && !slices.ContainsFunc(orders, func(o struct{ ID, State string }) bool {
			return !slices.Contains([]string{"completed", "failed", "cancelled", "partial", "rejected"}, o.State)
		})
	}, 3*time.Minute, 200*time.Millisecond, "every order of the rollout ends")
	poll(t, ctx, "every record sent", `ordertwin.streams().every((s) => s.live && s.last === s.head)`, time.Minute)
	poll(t, ctx, "every order listed", `document.querySelectorAll("#orders tbody tr").length === `+strconv.Itoa(len(orders)), time.Minute)

	type stream struct {
		Last, Head, Received int64
	}
	streams := eval[[]stream](t, ctx, `ordertwin.streams()`)
	require.Len(t, streams, 2)
	for k, s := range streams {
		seqs := eval[[]int64](t, ctx, `ordertwin.seqs(`+strconv.Itoa(k)+`)`)
		want := make([]int64, s.Last)
		for i := range want {
			want[i] = int64(i + 1)
		}
		assert.Equal(t, want, seqs, "shard %d: every record once, in order: 1 … %d", k, s.Last)
		assert.Positive(t, s.Last, "shard %d streamed", k)
	}
	st := eval[map[string]int64](t, ctx, `ordertwin.stats()`)
	t.Logf("%d orders; the page's streams %+v; %d reconnections", len(orders), streams, st["reconnects"])
	// Each stream is its shard's: the product orders it tells of are those
	// the shard lists.
	for k := range 2 {
		var listed []struct{ ID string }
		require.NoError(t, c.getShard(k, tmf630.ProductOrdering+"/productOrder?fields=id&limit=1000", &listed))
		var want []string
		for _, o := range listed {
			want = append(want, o.ID)
		}
		assert.ElementsMatch(t, want, streamedOrders(t, front.base, token, k), "shard %d", k)
	}
	assert.Zero(t, st["duplicates"])
	assert.True(t, eval[bool](t, ctx, `document.querySelector("#error").hidden`), eval[string](t, ctx, `document.querySelector("#error").textContent`))
	// What a deployment does not serve is not offered: the clock, what-ifs,
	// the network's resource use; faults it does serve.
	for _, sel := range []string{"#clock-controls", "#whatif-view", "#resources-view"} {
		assert.True(t, eval[bool](t, ctx, `document.querySelector("`+sel+`").hidden`), sel+" hidden")
	}
	assert.False(t, eval[bool](t, ctx, `document.querySelector("#fault-form").hidden`), "the fault form shown")
}

// streamedOrders reads shard k's stream through the instance at base,
// from its first record to its head, and returns the product orders it
// tells of.
func streamedOrders(t *testing.T, base, token string, k int) []string {
	t.Helper()
	dialer := websocket.Dialer{Subprotocols: []string{ui.Subprotocol, auth.BearerProtocolPrefix + token}}
	conn, _, err := dialer.Dial("ws"+strings.TrimPrefix(base, "http")+ui.StreamPath+"?shard="+strconv.Itoa(k), nil)
	require.NoError(t, err)
	defer conn.Close()
	seen := map[string]bool{}
	for {
		var m ui.Message
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
		require.NoError(t, conn.ReadJSON(&m))
		for _, r := range m.Records {
			if r.Kind == "productOrder" {
				seen[r.Entity] = true
			}
		}
		if m.Last >= m.Head {
			return slices.Sorted(maps.Keys(seen))
		}
	}
}

// getShard reads path of shard k alone (Ordertwin-Shard).
func (c *client) getShard(k int, path string, out any) error {
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set(shardHeader, strconv.Itoa(k))
	return c.do(req, http.StatusOK, out)
}

package scenarios

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// process is one role's system, served over HTTP.
type process struct {
	sys   *System
	srv   *httptest.Server
	links []*api.Link
}

// The worked example with COM, SOM and ROM in three processes (here three
// engines, each with its own store, twin and HTTP server), talking only
// over TMF641 and TMF652: service and resource orders POSTed to the peer,
// their events POSTed back to the orderer's listener. The order completes
// with the seed's allocations, as in one process (issue: COM, SOM and ROM
// can run as separate processes; DESIGN.md §1).
func TestWorkedExampleAcrossProcesses(t *testing.T) {
	sc := load(t, globaltech)
	start := time.Now()
	const scale = 2e6 // the 35-day rollout in under two seconds
	roles := []string{"com", "som", "rom"}
	procs := map[string]*process{}
	for _, role := range roles {
		p := &process{}
		peers := map[engine.Address]engine.Peer{}
		for _, to := range Roles[role].Needs {
			l := &api.Link{Stream: role + "→" + strings.ToLower(to.String()), To: to, Epoch: sc.Spec.Epoch}
			peers[to] = l
			p.links = append(p.links, l)
		}
		sys, err := New(sc.Spec, Options{Clock: &engine.Wall{Start: start, Scale: scale}, Journal: store.NewMemory(),
			Role: role, Peers: peers})
		require.NoError(t, err)
		p.sys = sys
		a := sys.API()
		a.Links = p.links
		p.srv = httptest.NewServer(a.Handler())
		defer p.srv.Close()
		procs[role] = p
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 3)
	for _, role := range roles {
		p := procs[role]
		for _, l := range p.links {
			l.Base = procs[roleOf(l.To)].srv.URL
			go l.Run(ctx)
		}
		go func() { done <- p.sys.Engine.Serve(ctx) }()
	}

	com := procs["com"]
	var state string
	for deadline := time.Now().Add(30 * time.Second); !lc.IsFinal(lc.ProductOrder, state); {
		require.True(t, time.Now().Before(deadline), "the order did not end: %s", state)
		time.Sleep(20 * time.Millisecond)
		require.NoError(t, com.sys.Engine.Query(ctx, func() {
			if orders := com.sys.COM.Orders(); len(orders) > 0 {
				state = orders[0].State
			}
		}))
	}
	assert.Equal(t, "completed", state)

	// The seed's allocations, made by ROM in its own process: the same as
	// in one process.
	rom := procs["rom"]
	values := map[string]bool{}
	require.NoError(t, rom.sys.Engine.Query(ctx, func() {
		for _, r := range rom.sys.ROM.Resources.All() {
			values[r.Value] = true
		}
	}))
	one, err := New(sc.Spec, Options{})
	require.NoError(t, err)
	require.NoError(t, one.Run(ctx))
	want := map[string]bool{}
	for _, r := range one.ROM.Resources.All() {
		want[r.Value] = true
	}
	assert.Equal(t, want, values)
	for _, v := range []string{"OLT-SOUTH-03 LC2 Port 8", "VLAN 2108", "10.88.12.0/29", "BW-500-500-GOLD-ENT"} {
		assert.True(t, values[v], "ROM allocated %s", v)
	}
	som := procs["som"]
	var serviceOrders []string
	require.NoError(t, som.sys.Engine.Query(ctx, func() {
		for _, so := range som.sys.SOM.Orders() {
			serviceOrders = append(serviceOrders, so.State)
		}
	}))
	assert.Equal(t, []string{"completed", "completed", "completed"}, serviceOrders)
	var products int
	require.NoError(t, com.sys.Engine.Query(ctx, func() { products = com.sys.COM.Products.Len() }))
	assert.Equal(t, 5, products)

	// The same order, over the API of COM's process.
	res, err := http.Get(com.srv.URL + api.ProductOrdering + "/productOrder?state=completed")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, "1", res.Header.Get("X-Total-Count"))
	// Nothing waits on the way to a peer once the order is done.
	assert.Eventually(t, func() bool {
		_, body := get(t, procs["som"].srv.URL+"/metrics")
		return strings.Contains(body, `ordertwin_peer_pending{stream="som→com"} 0`) &&
			strings.Contains(body, `ordertwin_peer_pending{stream="som→rom"} 0`)
	}, 10*time.Second, 10*time.Millisecond)
	cancel()
	for range roles {
		<-done
	}
}

// roleOf names the role that runs component a.
func roleOf(a engine.Address) string {
	for name, r := range Roles {
		if r.Runs == a {
			return name
		}
	}
	return ""
}

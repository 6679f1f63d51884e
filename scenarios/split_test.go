package scenarios

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/system"
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
// can run as separate processes; docs/architecture.md §1).
func TestWorkedExampleAcrossProcesses(t *testing.T) {
	sc := load(t, globaltech)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	procs, stopped := split(t, ctx, sc.Spec, 2e6) // the 35-day rollout in under two seconds
	defer stopped()
	defer cancel() // before stopped: the engines end with ctx

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
	res, err := http.Get(com.srv.URL + tmf630.ProductOrdering + "/productOrder?state=completed")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, "1", res.Header.Get("X-Total-Count"))
	// Nothing waits on the way to a peer once the order is done.
	assert.Eventually(t, func() bool {
		_, body := get(t, procs["som"].srv.URL+"/metrics")
		return strings.Contains(body, `ordertwin_peer_pending{stream="som→com"} 0`) &&
			strings.Contains(body, `ordertwin_peer_pending{stream="som→rom"} 0`)
	}, 10*time.Second, 10*time.Millisecond)
}

// split runs spec with COM, SOM and ROM each in a process of its own (an
// engine, a store, a twin and an HTTP server), all on one wall clock at
// scale, until ctx ends; stopped waits for the engines after that.
func split(t *testing.T, ctx context.Context, spec Spec, scale float64) (map[string]*process, func()) {
	t.Helper()
	start := time.Now()
	roles := []string{"com", "som", "rom"}
	procs := map[string]*process{}
	for _, role := range roles {
		p := &process{}
		peers := map[engine.Address]engine.Peer{}
		for _, to := range system.Roles[role].Needs {
			l := &api.Link{Stream: role + "→" + strings.ToLower(to.String()), To: to, Epoch: spec.Epoch}
			peers[to] = l
			p.links = append(p.links, l)
		}
		sys, err := New(spec, Options{Clock: &engine.Wall{Start: start, Scale: scale}, Journal: store.NewMemory(),
			Role: role, Peers: peers})
		require.NoError(t, err)
		p.sys = sys
		a := sys.API()
		a.Links = p.links
		p.srv = httptest.NewServer(a.Handler())
		t.Cleanup(p.srv.Close)
		procs[role] = p
	}
	done := make(chan error, len(roles))
	for _, role := range roles {
		p := procs[role]
		for _, l := range p.links {
			l.Base = procs[roleOf(l.To)].srv.URL
			go l.Run(ctx)
		}
		go func() { done <- p.sys.Engine.Serve(ctx) }()
	}
	return procs, func() {
		for range roles {
			<-done
		}
	}
}

// A rollout cancelled on COM while SOM and ROM, in their own processes,
// provision it: the cancellation travels as cancelServiceOrder and
// cancelResourceOrder, everything not yet active is cancelled, and every
// resource held for it is given back (seed: cancellation; docs/architecture.md §5:
// nothing leaks).
func TestCancellationAcrossProcesses(t *testing.T) {
	sc := load(t, globaltech)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	procs, stopped := split(t, ctx, sc.Spec, 2e5) // a virtual day in under half a second
	defer stopped()
	defer cancel()

	com := procs["com"]
	base := com.srv.URL + tmf630.ProductOrdering
	// Once the pilot's resources are being allocated: T+1 day or so.
	var po string
	for deadline := time.Now().Add(30 * time.Second); ; {
		require.True(t, time.Now().Before(deadline), "the rollout did not start")
		time.Sleep(20 * time.Millisecond)
		var n int
		require.NoError(t, procs["rom"].sys.Engine.Query(ctx, func() { n = procs["rom"].sys.ROM.Resources.Len() }))
		if n > 0 {
			require.NoError(t, com.sys.Engine.Query(ctx, func() { po = com.sys.COM.Orders()[0].ID }))
			break
		}
	}
	res, err := http.Post(base+"/cancelProductOrder", "application/json",
		strings.NewReader(`{"productOrder":{"id":"`+po+`"},"cancellationReason":"budget withdrawn"}`))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)

	var state string
	for deadline := time.Now().Add(30 * time.Second); !lc.IsFinal(lc.ProductOrder, state); {
		require.True(t, time.Now().Before(deadline), "the order did not end: %s", state)
		time.Sleep(20 * time.Millisecond)
		require.NoError(t, com.sys.Engine.Query(ctx, func() { state = com.sys.COM.Orders()[0].State }))
	}
	assert.Equal(t, "cancelled", state)
	// SOM's and ROM's orders ended, and nothing is held any more.
	for deadline := time.Now().Add(30 * time.Second); ; {
		require.True(t, time.Now().Before(deadline), "SOM and ROM did not end their orders")
		time.Sleep(20 * time.Millisecond)
		open, held := 0, 0
		require.NoError(t, procs["som"].sys.Engine.Query(ctx, func() {
			for _, so := range procs["som"].sys.SOM.Orders() {
				if !lc.IsFinal(lc.ServiceOrder, so.State) {
					open++
				}
			}
		}))
		require.NoError(t, procs["rom"].sys.Engine.Query(ctx, func() {
			for _, ro := range procs["rom"].sys.ROM.Orders() {
				if !lc.IsFinal(lc.ResourceOrder, ro.State) {
					open++
				}
			}
			for _, r := range procs["rom"].sys.ROM.Resources.All() {
				if r.State == "reserved" || r.State == "available" {
					held++
				}
			}
		}))
		if open == 0 && held == 0 {
			break
		}
	}
	var soStates, roStates []string
	require.NoError(t, procs["som"].sys.Engine.Query(ctx, func() {
		for _, so := range procs["som"].sys.SOM.Orders() {
			soStates = append(soStates, so.State)
		}
	}))
	require.NoError(t, procs["rom"].sys.Engine.Query(ctx, func() {
		for _, ro := range procs["rom"].sys.ROM.Orders() {
			roStates = append(roStates, ro.State)
		}
	}))
	require.NotEmpty(t, soStates)
	require.NotEmpty(t, roStates)
	for _, st := range soStates {
		assert.Equal(t, "cancelled", st, "the service orders placed, cancelled over TMF641: %v", soStates)
	}
	for _, st := range roStates {
		assert.Equal(t, "cancelled", st, "the resource orders placed, cancelled over TMF652: %v", roStates)
	}
}

// roleOf names the role that runs component a.
func roleOf(a engine.Address) string {
	for name, r := range system.Roles {
		if r.Runs == a {
			return name
		}
	}
	return ""
}

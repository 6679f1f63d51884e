package main

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/netconf"
	"github.com/ordertwin/ordertwin/scenarios"
)

// The worked example served with every network system outside, against
// twin serve, its server killed with SIGKILL at random points and
// restarted on its store: the calls a kill left unanswered are sent
// again under their keys, and no device is configured twice — the twin
// counts: NetBox made one VLAN and one prefix per site, each bearer holds
// one port on its OLT or exchange, each CE router applied its Day-1
// configuration once — and the order completes with nothing held twice or
// left reserved (issue 11: the crash test with outside adapters).
func TestCrashWithOutsideAdapters(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test runs the server 7 times; -short skips it")
	}
	ctx := context.Background()
	sc, err := scenarios.Load(example)
	require.NoError(t, err)
	served, adapters := serveScenario(t, example)
	defer served.Close()

	db := filepath.Join(t.TempDir(), "outside.db")
	var logs bytes.Buffer
	start := func() *server {
		return startServe(t, &logs, example, "--db", db, "--addr", "127.0.0.1:0", "--scale", "1e6",
			"--snapshot-every", "200", "--adapters", adapters)
	}
	srv := start()
	rng := rand.New(rand.NewPCG(11, 7))
	const kills = 6
	for range kills {
		time.Sleep(time.Duration(150+rng.IntN(600)) * time.Millisecond)
		srv.kill(t)
		srv = start()
	}
	c := &client{base: srv.base, http: &http.Client{Timeout: 5 * time.Second}, token: devToken(t, db, auth.Admin, "")}
	for deadline := time.Now().Add(90 * time.Second); ; {
		var list []tmf622.ProductOrder
		require.NoError(t, c.get(ctx, tmf630.ProductOrdering+"/productOrder?fields=state", &list))
		if len(list) == 1 && list[0].State == "completed" {
			break
		}
		if time.Now().After(deadline) {
			srv.stop(t) // its log is whole once it has ended
			t.Fatalf("the order did not complete: %+v\n%s", list, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	srv.stop(t)

	// Rebuilt with the same adapters (its replay calls none of them),
	// nothing is held twice and nothing is left reserved.
	outside, _, err := loadAdapters("serve", adapters, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer closeAdapters(outside)
	got := outcomeWith(t, sc, db, scenarios.Options{Adapters: outside})
	assert.Equal(t, map[string]int{"OLTPort": 3, "P2PHandoff": 2, "VLAN": 5, "IPv4Subnet": 5, "QoSPolicy": 5,
		"TWAMPProbe": 5, "CPE": 5}, got.Resources)

	// NetBox: a VLAN and a prefix for each of the 5 sites, none twice.
	allocations := 0
	for _, r := range served.NetBox.Received() {
		if strings.HasPrefix(r.Op, "POST ") && strings.Contains(r.Op, "/available-") {
			allocations++
		}
	}
	assert.Equal(t, 10, allocations, "each allocation made once across the kills")
	// The OLTs and exchanges: one port per bearer item.
	ports := map[string]int{}
	for name, dev := range served.Devices {
		tree, err := netconf.ParseTree(dev.Running())
		require.NoError(t, err, name)
		for _, top := range tree {
			for _, i := range top.Children {
				n, d := i.Child("name"), i.Child("description")
				if n == nil || d == nil || d.Text == inService {
					continue
				}
				if strings.HasPrefix(n.Text, "vani-") || strings.HasPrefix(n.Text, "p2p-") {
					ports[d.Text]++
				}
			}
		}
	}
	assert.Len(t, ports, 5, "a port for each site's bearer: %v", ports)
	for item, n := range ports {
		assert.Equal(t, 1, n, "%s holds one port", item)
	}
	// The CE routers: five configured, each once.
	applied := 0
	for _, stock := range sc.Spec.Network.CPE {
		for _, serial := range stock.Serials {
			st := served.Fleet.Device(serial).Show()
			assert.LessOrEqual(t, st.Applies, 1, serial)
			applied += st.Applies
		}
	}
	assert.Equal(t, 5, applied, "a Day-1 configuration for each site's router")
	resent := strings.Count(logs.String(), "sending again a call a restart left unanswered")
	assert.Positive(t, resent, "the kills cut calls in flight, sent again after the restarts")
	t.Logf("twin serve counts: %d NetBox allocations, %d ports, %d Day-1 configurations; %d calls sent again", allocations, len(ports), applied, resent)
}
